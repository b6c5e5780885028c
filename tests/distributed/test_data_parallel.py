"""Hand-written DDP against single-process full-batch training and torch's DistributedDataParallel.

The distributed halves run in real processes joined by gloo (`mlatlas.distributed.launch.spawn`,
which kills them and fails loudly if a collective hangs); the references run here.
"""

import re
import time

import pytest
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from mlatlas.distributed.data_parallel import (
    DataParallel,
    mlp,
    regression_data,
    sgd_update,
    shard_batch,
    train,
)
from mlatlas.distributed.launch import launch, spawn
from mlatlas.verification import verifies

TOL = 1e-10  # float64
STEPS = 5
HERE = __file__


def dp_worker(group, steps: int, bucket_cap_mb: float) -> dict:
    """Each rank: ours and torch DDP from rank-dependent initial weights, on this rank's shard."""
    rank = dist.get_rank(group)
    x, y = regression_data(n=48)
    loss_fn = nn.functional.mse_loss
    ours = mlp(width=32, depth=3, seed=10 + rank)  # different on every rank: the broadcast must fix it
    ddp_losses = train(ours, x, y, loss_fn, steps=steps, group=group, bucket_cap_mb=bucket_cap_mb)
    # the same training through torch's DDP (which also broadcasts rank 0's weights at construction)
    theirs = mlp(width=32, depth=3, seed=10 + rank)
    torch_ddp = DistributedDataParallel(theirs, process_group=group)
    xs, ys = shard_batch(x, group), shard_batch(y, group)
    states = {}
    for _ in range(steps):
        loss_fn(torch_ddp(xs), ys).backward()
        sgd_update(theirs, states, lr=0.1, momentum=0.9)
    # the hooks: one more backward to read the event log
    wrapped = DataParallel(mlp(width=32, depth=3, seed=10), group, bucket_cap_mb=bucket_cap_mb)
    loss_fn(wrapped(xs), ys).backward()
    # failure paths
    errors = {}
    try:
        shard_batch(torch.zeros(5, 2), group)
    except ValueError as e:
        errors["shard"] = str(e)
    partial = DataParallel(nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 1)}), group)
    partial.module["a"](torch.ones(1, 2)).sum().backward()  # "b" takes no part in the loss
    try:
        partial(torch.ones(1, 2))
    except (RuntimeError, TypeError, NotImplementedError) as e:
        errors["unused"] = str(e)
    return {
        "ours": [p.detach() for p in ours.parameters()],
        "torch": [p.detach() for p in theirs.parameters()],
        "losses": ddp_losses,
        "events": wrapped.events,
        "n_buckets": len(wrapped.buckets),
        "errors": errors,
    }


def hang_worker(group) -> None:
    if dist.get_rank(group) == 1:
        time.sleep(60)  # never joins the all-reduce below
    dist.all_reduce(torch.ones(1), group=group)


def reference(steps: int) -> list[torch.Tensor]:
    x, y = regression_data(n=48)
    model = mlp(width=32, depth=3, seed=10)
    train(model, x, y, nn.functional.mse_loss, steps=steps)
    return [p.detach() for p in model.parameters()]


@pytest.fixture(scope="module")
def two_ranks():
    return spawn(f"{HERE}:dp_worker", 2, steps=STEPS, bucket_cap_mb=0.004)


@verifies(
    "data-parallel",
    against="single-process full-batch training",
    tol=TOL,
    note="float64, 5 SGD-momentum steps, 2 and 4 gloo processes, every rank",
)
@verifies(
    "data-parallel",
    against="torch DistributedDataParallel",
    tol=TOL,
    note="float64, 5 steps, same shards, 2 and 4 gloo processes",
)
@pytest.mark.parametrize("nproc", [2, 4])
def test_ddp_equals_full_batch_and_torch_ddp(nproc, two_ranks):
    results = two_ranks if nproc == 2 else spawn(f"{HERE}:dp_worker", 4, steps=STEPS, bucket_cap_mb=0.004)
    ref = reference(STEPS)
    for r in results:
        for ours, theirs, single in zip(r["ours"], r["torch"], ref):
            torch.testing.assert_close(ours, single, rtol=TOL, atol=TOL)
            torch.testing.assert_close(ours, theirs, rtol=TOL, atol=TOL)
    # the training moved the weights: the equality is not that of an untouched copy
    assert max((a - b).abs().max().item() for a, b in zip(ref, mlp(32, 3, seed=10).parameters())) > 1e-2


def test_buckets_are_launched_in_order_during_backward(two_ranks):
    r = two_ranks[0]
    events = [(kind, i) for kind, i, _ in r["events"]]
    launches = [i for kind, i in events if kind == "launch"]
    assert r["n_buckets"] >= 3
    assert launches == list(range(r["n_buckets"]))  # the same order on every rank
    # overlap: the first all-reduce starts before the last gradient has been computed
    first_launch = events.index(("launch", 0))
    last_ready = max(i for i, (kind, _) in enumerate(events) if kind == "ready")
    assert first_launch < last_ready
    ready = [e for e in events if e[0] == "ready"]
    assert ready == [e[:2] for e in two_ranks[1]["events"] if e[0] == "ready"]


def test_failures_say_what_to_do(two_ranks):
    errors = two_ranks[0]["errors"]
    assert "does not split evenly over 2 processes" in errors["shard"]
    assert "every parameter must take part in the loss" in errors["unused"]


def test_hung_collective_fails_loudly():
    with pytest.raises(TimeoutError, match=r"did not finish in 4 s: rank\(s\) \[0, 1\]|rank\(s\) \[\d"):
        spawn(f"{HERE}:hang_worker", 2, timeout=4)


def test_torchrun_demo_program():
    """The chapter's program under torchrun itself: replicas identical, equal to one process."""
    out = launch("mlatlas.distributed.data_parallel", 2, capture=True, timeout=240).stdout
    gap = float(re.search(r"single-process full-batch training: (\S+)", out).group(1))
    drift = float(re.search(r"between replicas: (\S+)", out).group(1))
    assert gap < TOL and drift == 0.0, out


def test_saved_timeline_matches_the_figure_caption():
    """The page's figure: the demo (1 MB buckets) has several buckets; on every rank the first
    all-reduce is launched before backward's last gradient, the last one only after it."""
    import json

    from mlatlas.distributed.data_parallel import TIMELINE

    saved = json.loads(TIMELINE.read_text())
    assert saved["world"] == 2 and len(saved["bucket_numel"]) == 4
    for events in saved["events"]:
        last_ready = max(t for kind, _, t in events if kind == "ready")
        launches = {i: t for kind, i, t in events if kind == "launch"}
        assert launches[0] < last_ready <= launches[3]
