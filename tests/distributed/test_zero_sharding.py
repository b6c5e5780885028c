"""ZeRO-1/2 against unsharded AdamW, torch's ZeroRedundancyOptimizer, and an FSDP run beside it."""

import warnings

import pytest
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from mlatlas.distributed.data_parallel import broadcast_parameters, mlp, regression_data, shard_batch
from mlatlas.distributed.launch import spawn
from mlatlas.distributed.zero_sharding import (
    ZeroAdamW,
    flat_partition,
    memory_formula,
    mixed_precision_memory,
)
from mlatlas.verification import verifies

TOL = 1e-10  # float64
STEPS = 4
LR, WD = 1e-2, 1e-2
HERE = __file__


def params_of(model):
    return [p.detach().clone() for p in model.parameters()]


def zero_worker(group) -> dict:
    x, y = regression_data(n=32)
    xs, ys = shard_batch(x, group), shard_batch(y, group)
    loss_fn = nn.functional.mse_loss
    out = {}
    for stage in (1, 2):
        model = mlp(width=24, depth=2, seed=dist.get_rank(group))  # rank-dependent, then broadcast
        broadcast_parameters(model, group)
        opt = ZeroAdamW(model.parameters(), group, stage=stage, lr=LR, weight_decay=WD)
        for _ in range(STEPS):
            loss_fn(model(xs), ys).backward()
            opt.step()
        out[f"zero{stage}"] = params_of(model)
        out[f"memory{stage}"] = opt.memory()
        out["numel"] = opt.numel
    # torch: DDP averages the gradients, ZeroRedundancyOptimizer shards AdamW's state
    with warnings.catch_warnings():  # importing it scripts helpers with the deprecated torch.jit
        warnings.simplefilter("ignore", DeprecationWarning)
        from torch.distributed.optim import ZeroRedundancyOptimizer
    model = mlp(width=24, depth=2, seed=dist.get_rank(group))
    ddp = DistributedDataParallel(model, process_group=group)
    zro = ZeroRedundancyOptimizer(
        model.parameters(), optimizer_class=torch.optim.AdamW, process_group=group, lr=LR, weight_decay=WD
    )
    for _ in range(STEPS):
        zro.zero_grad()
        loss_fn(ddp(xs), ys).backward()
        zro.step()
    out["torch_zero"] = params_of(model)
    # FSDP (ZeRO-3: parameters sharded too), the same training
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    model = mlp(width=24, depth=2, seed=0)
    mesh = init_device_mesh("cpu", (dist.get_world_size(group),))
    fully_shard(model, mesh=mesh)
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WD)
    for _ in range(STEPS):
        opt.zero_grad()
        loss_fn(model(xs), ys).backward()
        opt.step()
    out["fsdp"] = [p.full_tensor().detach().clone() for p in model.parameters()]
    out["fsdp_local_numel"] = sum(p.to_local().numel() for p in model.parameters())
    try:
        ZeroAdamW(mlp(4, 1).parameters(), group, stage=3)
    except ValueError as e:
        out["error"] = str(e)
    return out


@pytest.fixture(scope="module")
def ranks():
    return spawn(f"{HERE}:zero_worker", 2, timeout=120)


def reference():
    x, y = regression_data(n=32)
    model = mlp(width=24, depth=2, seed=0)
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WD)
    for _ in range(STEPS):
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    return params_of(model)


@verifies(
    "zero-sharding",
    against="unsharded optimizer step",
    tol=TOL,
    note="float64, torch.optim.AdamW on the full batch, 4 steps, ZeRO-1 and ZeRO-2 on 2 gloo processes",
)
@verifies(
    "zero-sharding",
    against="torch ZeroRedundancyOptimizer",
    tol=TOL,
    note="float64, AdamW inside ZeroRedundancyOptimizer with DistributedDataParallel, 4 steps",
)
@pytest.mark.parametrize("stage", [1, 2])
def test_zero_step_equals_unsharded_adamw_and_torch(ranks, stage):
    ref = reference()
    for r in ranks:
        for ours, theirs, single in zip(r[f"zero{stage}"], r["torch_zero"], ref):
            torch.testing.assert_close(ours, single, rtol=TOL, atol=TOL)
            torch.testing.assert_close(ours, theirs, rtol=TOL, atol=TOL)
    moved = max((a - b).abs().max().item() for a, b in zip(ref, mlp(24, 2, seed=0).parameters()))
    assert moved > 1e-2  # four steps of lr 1e-2 really changed the weights


@verifies(
    "zero-sharding",
    against="torch FSDP fully_shard",
    tol=TOL,
    note="float64, 4 AdamW steps on 2 gloo processes; each rank stores about half the parameters",
)
def test_fsdp_beside_ours(ranks):
    ref = reference()
    for r in ranks:
        for fsdp, single in zip(r["fsdp"], ref):
            torch.testing.assert_close(fsdp, single, rtol=TOL, atol=TOL)
    numel = ranks[0]["numel"]
    assert sum(r["fsdp_local_numel"] for r in ranks) == numel  # parameters split, none duplicated
    assert ranks[0]["fsdp_local_numel"] < 0.6 * numel


def test_memory_per_rank_matches_the_formula(ranks):
    numel = ranks[0]["numel"]
    for stage in (1, 2):
        for r in ranks:
            assert r[f"memory{stage}"] == memory_formula(numel, 8, 2, stage)
    base = memory_formula(numel, 8, 2, 0)
    # Ψ b + Ψ b + 2Ψ b/P over 4Ψ b = 3/4 (stage 1) and (1 + 3/P)/4 = 5/8 (stage 2) with P = 2
    assert ranks[0]["memory1"].total / base.total == pytest.approx(3 / 4, abs=1e-3)
    assert ranks[0]["memory2"].total / base.total == pytest.approx(5 / 8, abs=1e-3)


@verifies(
    "zero-sharding",
    against="ZeRO paper Figure 1",
    tol="0.05 GB (the paper rounds to 0.1 GB)",
    note="7.5B parameters, 64 devices, K = 12: 120, 31.4, 16.6 and 1.9 GB",
)
def test_mixed_precision_formula_reproduces_the_paper():
    gb = [mixed_precision_memory(7.5e9, 64, stage) / 1e9 for stage in range(4)]
    assert gb == pytest.approx([120.0, 31.4, 16.6, 1.9], abs=0.05)
    with pytest.raises(ValueError, match="stage must be 0, 1, 2 or 3"):
        mixed_precision_memory(1.0, 2, 4)


def test_partition_and_errors(ranks):
    assert flat_partition(10, 4) == (3, 2)
    assert flat_partition(12, 4) == (3, 0)
    assert "stage 3 shards the parameters too" in memory_formula_error()
    assert "stage must be 1" in ranks[0]["error"]


def memory_formula_error() -> str:
    with pytest.raises(ValueError, match="stage must be 0, 1 or 2") as info:
        memory_formula(10, 8, 2, 3)
    return str(info.value)
