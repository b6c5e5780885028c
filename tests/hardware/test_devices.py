"""Device selection: CUDA → MPS → CPU, tested on a CPU machine by pretending the others exist."""

import pytest
import torch

from mlatlas.hardware import devices
from mlatlas.verification import verifies


@pytest.fixture
def fake_backends(monkeypatch):
    """Set which accelerators torch reports, and clear the environment override."""
    monkeypatch.delenv(devices.ENV_VARIABLE, raising=False)

    def set_available(cuda: bool, mps: bool, cuda_count: int = 1):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: cuda_count if cuda else 0)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)

    return set_available


@verifies(
    "gpus-and-accelerators",
    against="selection order CUDA → MPS → CPU",
    tol="exact",
    note="torch.cuda.is_available / torch.backends.mps.is_available monkeypatched on CPU",
)
@pytest.mark.parametrize(
    "cuda,mps,expected",
    [(True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu")],
)
def test_selection_order(fake_backends, cuda, mps, expected):
    fake_backends(cuda, mps)
    assert devices.select_device() == torch.device(expected)
    assert devices.available_backends()[0] == expected
    assert devices.available_backends()[-1] == "cpu"


@verifies("gpus-and-accelerators", against="runs on CPU", tol="exact", note="the real backends here")
def test_real_machine_selection_is_usable():
    device = devices.select_device()
    x = torch.ones(3, device=device)
    assert (x * 2).sum().item() == 6.0
    if not torch.cuda.is_available() and not torch.backends.mps.is_available():
        assert device == torch.device("cpu")
    devices.synchronize(device)  # a no-op on CPU, must not fail


def test_preference_and_environment_override(fake_backends, monkeypatch):
    fake_backends(cuda=True, mps=False, cuda_count=2)
    assert devices.select_device("cpu") == torch.device("cpu")
    assert devices.select_device("cuda:1") == torch.device("cuda:1")
    monkeypatch.setenv(devices.ENV_VARIABLE, "cpu")
    assert devices.select_device() == torch.device("cpu")
    assert devices.select_device("cuda") == torch.device("cuda")  # an explicit argument wins


def test_missing_or_unknown_devices_are_errors_not_fallbacks(fake_backends):
    fake_backends(cuda=False, mps=False)
    with pytest.raises(ValueError, match="not available here"):
        devices.select_device("cuda")
    with pytest.raises(ValueError, match="not available here"):
        devices.select_device("mps")
    with pytest.raises(ValueError, match="unknown device"):
        devices.select_device("gpu")
    with pytest.raises(ValueError, match="unsupported device type"):
        devices.select_device("meta")
    fake_backends(cuda=True, mps=False, cuda_count=1)
    with pytest.raises(ValueError, match="only 1 CUDA device"):
        devices.select_device("cuda:3")


def test_describe_devices_reports_this_machine():
    info = devices.describe_devices()
    assert info.backends[-1] == "cpu"
    assert info.selected in ("cpu", "mps") or info.selected.startswith("cuda")
    assert info.cpu_threads >= 1
    assert info.torch_version == torch.__version__


def test_supports_bfloat16_answers_for_cpu():
    assert isinstance(devices.supports_bfloat16(torch.device("cpu")), bool)


def test_supports_bfloat16_checks_the_arm_feature_and_the_macos_version(monkeypatch):
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)
    monkeypatch.setattr(devices.platform, "machine", lambda: "arm64")
    for has_bf16 in (False, True):  # e.g. Apple M1 / Graviton2, then M2 / Graviton3
        monkeypatch.setattr(devices, "arm_cpu_has_bf16", lambda has_bf16=has_bf16: has_bf16)
        assert devices.supports_bfloat16(torch.device("cpu")) is has_bf16
    monkeypatch.setattr(devices.platform, "machine", lambda: "x86_64")
    assert devices.supports_bfloat16(torch.device("cpu")) is False  # neither AVX512-BF16 nor AMX
    for version, expected in ((None, False), (13, False), (14, True), (15, True)):
        monkeypatch.setattr(devices, "macos_major_version", lambda version=version: version)
        assert devices.supports_bfloat16(torch.device("mps")) is expected


def test_arm_feature_is_read_from_proc_cpuinfo(monkeypatch, tmp_path):
    monkeypatch.setattr(devices.platform, "system", lambda: "Linux")
    real_open = open
    for features, expected in (("fp asimd evtstrm aes crc32", False), ("fp asimd sve bf16 i8mm", True)):
        cpuinfo = tmp_path / "cpuinfo"
        cpuinfo.write_text(f"processor\t: 0\nFeatures\t: {features}\n")

        def fake_open(path, *args, _cpuinfo=cpuinfo, **kwargs):
            return real_open(_cpuinfo if path == "/proc/cpuinfo" else path, *args, **kwargs)

        monkeypatch.setattr("builtins.open", fake_open)
        assert devices.arm_cpu_has_bf16() is expected


def test_supports_bfloat16_on_cuda_does_not_count_emulation(monkeypatch):
    asked = []
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda **kw: asked.append(kw) or False)
    assert devices.supports_bfloat16(torch.device("cuda")) is False  # a V100: emulated bf16 only
    assert asked == [{"including_emulation": False}]
