"""Distributed series: hand-written DDP vs torch DDP step time, pipeline bubble, ZeRO memory per rank.

Run by hand (not a test):  .venv/bin/python benchmarks/distributed.py [--steps 30]

All three run as real gloo processes on this machine (started with `mlatlas.distributed.launch.spawn`):

1. DDP: 2 processes train the same float32 MLP (4 layers of width 512, batch 256, buckets of 1 MB)
   with our `DataParallel` and with `torch.nn.parallel.DistributedDataParallel`, alternating step by
   step so that machine load hits both; median step time and the ratio ours / torch (target <= 1.3).
2. Pipeline: 4 processes run GPipe and 1F1B with m = 4, 8, 16 micro-batches; each op also waits a
   fixed 20 ms (40 ms backward) standing in for an accelerator kernel, so four processes on fewer
   cores behave like four devices. Measured bubble (best of 3 steps) vs (p - 1)/(m + p - 1).
3. ZeRO: bytes each rank keeps for the same MLP in float64, stages 1 and 2 on 2 and 4 processes,
   against the unsharded total and the formula.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from mlatlas.distributed.data_parallel import DataParallel, broadcast_parameters, mlp, regression_data
from mlatlas.distributed.launch import spawn
from mlatlas.distributed.pipeline_parallel import (
    SCHEDULES,
    bubble_formula,
    layer_stack,
    measured_bubble,
    run_pipeline,
    split_stages,
)
from mlatlas.distributed.zero_sharding import ZeroAdamW, memory_formula

HERE = __file__


def ddp_worker(group, steps: int) -> dict:
    x, y = regression_data(n=256, dtype=torch.float32)
    rank, world = dist.get_rank(group), dist.get_world_size(group)
    xs, ys = x.tensor_split(world)[rank], y.tensor_split(world)[rank]
    ours_model = mlp(width=512, depth=4, seed=0, dtype=torch.float32)
    ours = DataParallel(ours_model, group, bucket_cap_mb=1.0)
    torch_model = mlp(width=512, depth=4, seed=0, dtype=torch.float32)
    theirs = DistributedDataParallel(torch_model, process_group=group, bucket_cap_mb=1.0)
    opts = {
        "ours": (ours, torch.optim.SGD(ours_model.parameters(), lr=1e-3)),
        "torch": (theirs, torch.optim.SGD(torch_model.parameters(), lr=1e-3)),
    }
    times: dict[str, list[float]] = {"ours": [], "torch": []}
    for step in range(steps + 3):  # 3 warm-up steps
        for name, (net, opt) in opts.items():
            dist.barrier(group=group)
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            nn.functional.mse_loss(net(xs), ys).backward()
            opt.step()
            if step >= 3:
                times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def pipeline_worker(group, micro: int) -> dict:
    rank, p = dist.get_rank(group), dist.get_world_size(group)
    stage = split_stages(layer_stack(width=16, depth=8, seed=0), p)[rank]
    x, y = regression_data(n=micro * 4)
    out: dict[str, list] = {name: [] for name in SCHEDULES}
    for name, make in SCHEDULES.items():
        for repeat in range(4):  # the first run pays one-off costs; the other three are kept
            stage.zero_grad()
            dist.barrier(group=group)
            r = run_pipeline(
                stage, make(p, micro, rank), list(x.chunk(micro)), list(y.chunk(micro)), group,
                width=16, device_time=0.02,
            )  # fmt: skip
            if repeat:
                out[name].append(r["events"])
    return out


def zero_worker(group) -> dict:
    out = {}
    x, y = regression_data(n=16)
    for stage in (1, 2):
        model = mlp(width=512, depth=4, seed=0)
        broadcast_parameters(model, group)
        opt = ZeroAdamW(model.parameters(), group, stage=stage)
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        out[stage] = (opt.memory(), opt.numel)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()

    print("1. data parallel, 2 gloo processes, float32 MLP 4 x 512, batch 256")
    for _ in range(2):  # two runs: the spread is part of the answer on a shared machine
        results = spawn(f"{HERE}:ddp_worker", 2, timeout=600, steps=args.steps)
        ours = max(r["ours"] for r in results)  # a step ends with the slowest rank
        theirs = max(r["torch"] for r in results)
        print(f"   median step: ours {ours * 1e3:.1f} ms, torch DDP {theirs * 1e3:.1f} ms", end="")
        print(f", ratio {ours / theirs:.2f}")

    print("2. pipeline, 4 gloo processes (20 ms per forward, 40 ms per backward stand-in kernels)")
    print("   best of 3 steps: machine load only ever adds idle time")
    for micro in (4, 8, 16):
        results = spawn(f"{HERE}:pipeline_worker", 4, timeout=600, micro=micro)
        for name in SCHEDULES:
            bubble = min(measured_bubble([r[name][k] for r in results], micro) for k in range(3))
            formula = bubble_formula(4, micro)
            print(f"   {name:5s} m={micro:2d}: bubble {bubble:.3f} measured, {formula:.3f} formula")

    print("3. ZeRO, float64 MLP 4 x 512, bytes kept per rank")
    for world in (2, 4):
        results = spawn(f"{HERE}:zero_worker", world, timeout=600)
        for stage in (1, 2):
            memory, numel = results[0][stage]
            base = memory_formula(numel, 8, world, 0).total
            formula = memory_formula(numel, 8, world, stage).total
            print(
                f"   P={world} ZeRO-{stage}: {memory.total / 2**20:.2f} MiB per rank "
                f"(formula {formula / 2**20:.2f}), unsharded {base / 2**20:.2f} MiB: "
                f"{memory.total / base:.3f}x"
            )


if __name__ == "__main__":
    main()
