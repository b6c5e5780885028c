"""The roofline model: its formulas, the measurement code (quick mode) and the cached numbers."""

import json
import math

import pytest
import torch

from mlatlas.hardware import roofline as rl
from mlatlas.verification import verifies


def test_roof_formula():
    assert rl.attainable_flops(0.5, 100e9, 10e9) == 5e9  # memory-bound: I · β
    assert rl.attainable_flops(50.0, 100e9, 10e9) == 100e9  # compute-bound: π
    assert rl.ridge_point(100e9, 10e9) == 10.0
    i = rl.ridge_point(100e9, 10e9)
    assert rl.attainable_flops(i, 100e9, 10e9) == pytest.approx(100e9)  # the two roofs meet


def test_kernel_intensities_are_the_textbook_ones():
    cases = {name: (flops, nbytes) for name, flops, nbytes, _ in rl.kernel_cases(torch.device("cpu"))}
    flops, nbytes = cases["matmul 1024"]
    assert flops / nbytes == pytest.approx(1024 / 6)  # 2n³ / (3 · 4 n²) = n/6
    assert cases["vector add"][0] / cases["vector add"][1] == pytest.approx(1 / 12)
    flops, nbytes = cases["attention T=512"]
    assert flops / nbytes == pytest.approx(512 / 4)  # 4T²D / (16 T D) = T/4


@verifies(
    "roofline",
    against="measured numbers reported on the page",
    tol="n/a",
    note="the measurement runs and the cached JSON round-trips",
)
def test_quick_measurement_runs_and_round_trips(tmp_path):
    m = rl.measure(torch.device("cpu"), quick=True)
    assert m.peak > 0 and m.stream_bandwidth > 0
    assert all(k.seconds > 0 and k.achieved > 0 for k in m.kernels)
    again = rl.from_json(rl.to_json(m))
    assert again == m
    assert "ridge point" in rl.report(m)


def test_cached_measurement_is_present_and_sane():
    m = rl.load_cached()
    assert m.device in ("cpu", "mps") or m.device.startswith("cuda")
    assert 1e8 < m.peak < 1e16  # between 0.1 GFLOP/s and 10 PFLOP/s
    assert 1e8 < m.stream_bandwidth < 1e14
    names = {k.name for k in m.kernels}
    assert {"matmul 1024", "softmax", "layer norm", "vector add"} <= names
    assert all(math.isfinite(k.intensity) for k in m.kernels)


def test_broken_cache_is_a_clear_error():
    with pytest.raises(ValueError, match="re-measure"):
        rl.from_json(json.dumps({"device": "cpu"}))
    with pytest.raises(ValueError, match="copy' or 'triad"):
        rl.measure_bandwidth(16, torch.device("cpu"), kind="scale")


def test_demo_parses_its_flags(monkeypatch, capsys):
    seen = {}

    def fake_main(save, quick, threads):
        seen.update(save=save, quick=quick, threads=threads)

    monkeypatch.setattr(rl, "main", fake_main)
    rl.demo(["--quick"])
    assert seen == {"save": False, "quick": True, "threads": None}
    rl.demo(["--save"])
    assert seen == {"save": True, "quick": False, "threads": None}
    rl.demo(["--threads", "1"])
    assert seen["threads"] == 1


def test_cached_bfloat16_roof_is_about_four_times_float32():
    """The page: on the CPU that built the site the bf16 roof is about four times the float32 one."""
    from mlatlas.hardware.roofline import load_cached

    peaks = load_cached().peak_flops
    assert round(peaks["bfloat16"] / peaks["float32"]) == 4


def test_cached_kernels_sit_where_the_page_says():
    """The page: vector add, softmax and layer norm left of the ridge, matmuls and attention right of
    it; the 256 matmul touches the flat roof, the 1024 matmul and attention reach about half of it."""
    m = rl.load_cached()
    ridge = rl.ridge_point(m.peak, m.stream_bandwidth)
    share = {
        k.name: k.achieved / rl.attainable_flops(k.intensity, m.peak, m.stream_bandwidth) for k in m.kernels
    }
    for k in m.kernels:
        assert (k.intensity < ridge) == (k.name in ("vector add", "softmax", "layer norm")), k.name
    assert share["matmul 256"] > 0.95  # 1.005: a hair above the roof (the caveat on the page)
    assert 0.4 < share["matmul 1024"] < 0.6 and 0.4 < share["attention T=512"] < 0.6  # 0.525, 0.480


def test_data_centre_gpu_ridges_from_the_datasheet():
    """The page's H100 SXM ridge points: 67 TFLOP/s float32 and 989 dense bfloat16 over 3.35 TB/s."""
    assert round(rl.ridge_point(67e12, 3.35e12)) == 20
    assert round(rl.ridge_point(989e12, 3.35e12)) == 295
