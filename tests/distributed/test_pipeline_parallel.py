"""GPipe and 1F1B over real processes against the unsharded model's gradients; the schedules'
bubble on an ideal clock against (p − 1)/(m + p − 1)."""

import pytest
import torch
import torch.distributed as dist

from mlatlas.distributed.data_parallel import regression_data
from mlatlas.distributed.launch import spawn
from mlatlas.distributed.pipeline_parallel import (
    SCHEDULES,
    bubble_formula,
    layer_stack,
    run_pipeline,
    simulate,
    split_stages,
)
from mlatlas.verification import verifies

TOL = 1e-10  # float64
MICRO = 4
HERE = __file__


def pp_worker(group) -> dict:
    rank, p = dist.get_rank(group), dist.get_world_size(group)
    stage = split_stages(layer_stack(width=8, depth=4, seed=0), p)[rank]
    x, y = regression_data(n=16)
    x = x[:, :8]
    out = {}
    for name, make in SCHEDULES.items():
        stage.zero_grad()
        result = run_pipeline(
            stage, make(p, MICRO, rank), list(x.chunk(MICRO)), list(y.chunk(MICRO)), group, width=8
        )
        out[name] = {
            "grads": [q.grad.clone() for q in stage.parameters()],
            "peak": result["peak_in_flight"],
            "order": [(k, i) for k, i, _, _ in result["events"]],
            "losses": result["losses"],
        }
    return out


@pytest.fixture(scope="module", params=[2, 4])
def ranks(request):
    return spawn(f"{HERE}:pp_worker", request.param, timeout=120)


@verifies(
    "pipeline-parallel",
    against="unsharded model gradients",
    tol=TOL,
    note="float64, GPipe and 1F1B, 4 micro-batches over 2 and 4 stages (gloo processes, send/recv)",
)
@pytest.mark.parametrize("schedule", ["gpipe", "1f1b"])
def test_pipeline_gradients_equal_unsharded(ranks, schedule):
    ref = layer_stack(width=8, depth=4, seed=0)
    x, y = regression_data(n=16)
    torch.nn.functional.mse_loss(ref(x[:, :8]), y).backward()
    ours = [g for r in ranks for g in r[schedule]["grads"]]
    expected = [q.grad for q in ref.parameters()]
    assert len(ours) == len(expected)
    for a, b in zip(ours, expected):
        torch.testing.assert_close(a, b, rtol=TOL, atol=TOL)


def test_one_f_one_b_holds_fewer_activations(ranks):
    p = len(ranks)
    assert [r["gpipe"]["peak"] for r in ranks] == [MICRO] * p
    assert [r["1f1b"]["peak"] for r in ranks] == [min(p - s, MICRO) for s in range(p)]
    assert ranks[-1]["1f1b"]["order"][:2] == [("F", 0), ("B", 0)]  # the last stage alternates at once


@verifies(
    "pipeline-parallel",
    against="bubble formula (p-1)/(m+p-1)",
    tol=1e-12,
    note="both schedules on an ideal clock (F = 1, B = 2), p in 2..5, m in 1..12",
)
@pytest.mark.parametrize("schedule", ["gpipe", "1f1b"])
def test_bubble_on_an_ideal_clock_is_the_formula(schedule):
    for p in range(2, 6):
        for m in range(1, 13):
            result = simulate(schedule, p, m)
            assert result["bubble"] == pytest.approx(bubble_formula(p, m), abs=1e-12)
            assert result["makespan"] == pytest.approx(3 * (m + p - 1), abs=1e-12)


def test_schedules_run_every_op_once_and_backward_after_forward():
    for make in SCHEDULES.values():
        for rank in range(4):
            ops = [(o.kind, o.micro) for o in make(4, 6, rank)]
            assert sorted(ops) == sorted([("F", i) for i in range(6)] + [("B", i) for i in range(6)])
            assert all(ops.index(("F", i)) < ops.index(("B", i)) for i in range(6))


def test_too_many_stages_is_refused():
    with pytest.raises(ValueError, match="cannot split 3 modules into 4 stages"):
        split_stages(layer_stack(width=2, depth=1), 4)


def test_saved_run_matches_the_figure_caption():
    """The page's caption: 4 stages, 8 micro-batches, 20 ms per forward; GPipe held all 8 on every
    stage, 1F1B held 4 − r on stage r; both measured bubbles a little above (p−1)/(m+p−1)."""
    import json

    from mlatlas.distributed.pipeline_parallel import TIMELINE

    saved = json.loads(TIMELINE.read_text())
    p, m = saved["stages"], saved["micro"]
    assert (p, m, saved["device_time"]) == (4, 8, 0.02)
    assert saved["gpipe"]["peaks"] == [8] * 4
    assert saved["1f1b"]["peaks"] == [4 - r for r in range(4)]
    for name in SCHEDULES:
        assert bubble_formula(p, m) < saved[name]["bubble"] < bubble_formula(p, m) + 0.1
