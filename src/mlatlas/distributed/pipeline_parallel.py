"""Pipeline parallelism: GPipe and 1F1B micro-batch schedules over stages joined by send/recv.

Papers: Yanping Huang, Youlong Cheng, Ankur Bapna, Orhan Firat, Mia Xu Chen, Dehao Chen, HyoukJoong
Lee, Jiquan Ngiam, Quoc V. Le, Yonghui Wu, Zhifeng Chen (2019), "GPipe: Efficient Training of Giant
Neural Networks using Pipeline Parallelism", arXiv:1811.06965; Deepak Narayanan, Aaron Harlap, Amar
Phanishayee, Vivek Seshadri, Nikhil R. Devanur, Gregory R. Ganger, Phillip B. Gibbons, Matei
Zaharia (2019), "PipeDream: Generalized Pipeline Parallelism for DNN Training" (SOSP; 1F1B);
Deepak Narayanan et al. (2021), arXiv:2104.04473, section 2.2 (the flushed 1F1B schedule).

Each of p ranks holds a contiguous group of layers. The batch is cut into m micro-batches that flow
forward through the stages and their gradients flow back; the idle time at the start and end of a
step — the bubble — is (p − 1)/(m + p − 1) of it for both schedules. 1F1B interleaves forwards
and backwards so a stage stores at most p − rank micro-batches of activations instead of m.

Run it: ``python -m torch.distributed.run --nproc-per-node 4 -m mlatlas.distributed.pipeline_parallel``.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class Op:
    kind: str  # "F" forward or "B" backward
    micro: int  # which micro-batch


def gpipe_schedule(stages: int, micro: int, rank: int) -> list[Op]:
    """GPipe: every micro-batch forward, then every micro-batch backward (a flush per step)."""
    return [Op("F", i) for i in range(micro)] + [Op("B", i) for i in range(micro)]


def one_f_one_b_schedule(stages: int, micro: int, rank: int) -> list[Op]:
    """1F1B: p − rank − 1 warm-up forwards, then alternate one forward and one backward, then drain."""
    warmup = min(stages - rank - 1, micro)
    ops = [Op("F", i) for i in range(warmup)]
    for i in range(micro - warmup):
        ops += [Op("F", warmup + i), Op("B", i)]  # steady state: 1 forward, 1 backward
    return ops + [Op("B", i) for i in range(micro - warmup, micro)]


SCHEDULES = {"gpipe": gpipe_schedule, "1f1b": one_f_one_b_schedule}


def bubble_formula(stages: int, micro: int) -> float:
    """Idle fraction of a flushed pipeline step: (p − 1)/(m + p − 1) (GPipe, section 2.3)."""
    return (stages - 1) / (micro + stages - 1)


def simulate(schedule: str, stages: int, micro: int, t_f: float = 1.0, t_b: float = 2.0) -> dict:
    """Run the schedules on an ideal clock: F takes t_f, B takes t_b, messages are free.

    An op starts when its stage is free and its input exists (F: the previous stage's F of that
    micro-batch; B: the next stage's B, and this stage's own F). Returns the makespan, the bubble
    1 − busy/makespan, and the (stage, kind, micro, start, end) events.
    """
    plans = [SCHEDULES[schedule](stages, micro, r) for r in range(stages)]
    done: dict[tuple[int, str, int], float] = {}
    position, free_at, events = [0] * stages, [0.0] * stages, []
    while any(position[r] < len(plans[r]) for r in range(stages)):
        progressed = False
        for r in range(stages):
            if position[r] == len(plans[r]):
                continue
            op = plans[r][position[r]]
            needs = [(r - 1, "F", op.micro)] if op.kind == "F" and r > 0 else []
            if op.kind == "B":
                needs = [(r, "F", op.micro)] + ([(r + 1, "B", op.micro)] if r < stages - 1 else [])
            if all(n in done for n in needs):
                start = max([free_at[r]] + [done[n] for n in needs])
                end = start + (t_f if op.kind == "F" else t_b)
                done[(r, op.kind, op.micro)], free_at[r] = end, end
                events.append((r, op.kind, op.micro, start, end))
                position[r] += 1
                progressed = True
        if not progressed:
            raise RuntimeError(
                f"schedule {schedule!r} deadlocks with {stages} stages and {micro} micro-batches"
            )
    makespan = max(free_at)
    return {"makespan": makespan, "bubble": 1 - micro * (t_f + t_b) / makespan, "events": events}


# ---------------------------------------------------------------------------------------------------
# The real thing: one process per stage


def layer_stack(width: int = 16, depth: int = 8, seed: int = 0, dtype=torch.float64) -> nn.Sequential:
    """`depth` tanh layers of width C and a linear head to one output, seeded."""
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(width, width, dtype=dtype), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(width, 1, dtype=dtype))


def split_stages(model: nn.Sequential, stages: int) -> list[nn.Sequential]:
    """Contiguous, nearly equal groups of modules, one per stage (the parameters are shared)."""
    if stages > len(model):
        raise ValueError(f"cannot split {len(model)} modules into {stages} stages; use fewer stages")
    bounds = torch.linspace(0, len(model), stages + 1).round().long().tolist()
    return [model[bounds[s] : bounds[s + 1]] for s in range(stages)]


def run_pipeline(
    stage: nn.Module,
    schedule: list[Op],
    x_micro: list[torch.Tensor],
    y_micro: list[torch.Tensor],
    group: dist.ProcessGroup,
    loss_fn=nn.functional.mse_loss,
    *,
    width: int,
    device_time: float = 0.0,
) -> dict:
    """Execute this rank's `schedule`; gradients accumulate in `stage`'s parameters.

    Activations go forward and their gradients backward with point-to-point send/recv (sends are
    non-blocking so that neighbours never wait on each other in a cycle). The loss of micro-batch i
    is divided by m, so the accumulated gradient is that of the mean loss over the whole batch.
    `device_time` adds a fixed wait per op (t for F, 2t for B) standing in for an accelerator's kernel
    time, so that processes sharing few CPU cores still behave like separate devices.
    Returns the events (kind, micro, start, end) on the shared monotonic clock, the losses and the
    peak number of micro-batches whose activations this stage held at once.
    """
    rank, p = dist.get_rank(group), dist.get_world_size(group)
    prev = dist.get_global_rank(group, rank - 1) if rank > 0 else None
    nxt = dist.get_global_rank(group, rank + 1) if rank < p - 1 else None
    m = len(x_micro)
    inputs: dict[int, torch.Tensor] = {}
    outputs: dict[int, torch.Tensor] = {}
    sends, events, losses, peak = [], [], [], 0
    for op in schedule:
        i = op.micro
        if op.kind == "F":
            if prev is None:
                x = x_micro[i]
            else:
                x = torch.empty(x_micro[i].shape[0], width, dtype=x_micro[i].dtype)  # (B/m, C)
                dist.recv(x, src=prev, group=group)  # activation from the previous stage
                x.requires_grad_()
            start = time.monotonic()
            out = stage(x)
            wait_device(device_time)
            if nxt is None:
                out = loss_fn(out, y_micro[i]) / m  # this micro-batch's share of the mean loss
                losses.append(out.item() * m)
            else:
                sends.append(dist.isend(out.detach(), dst=nxt, group=group))
            inputs[i], outputs[i] = x, out
            peak = max(peak, len(inputs))
        else:
            if nxt is None:
                grad = None  # the loss itself
            else:
                grad = torch.empty_like(outputs[i])
                dist.recv(grad, src=nxt, group=group)  # ∂L/∂(this stage's output)
            start = time.monotonic()
            outputs[i].backward(grad)
            wait_device(2 * device_time)
            if prev is not None:
                sends.append(dist.isend(inputs[i].grad, dst=prev, group=group))  # ∂L/∂(input)
            del inputs[i], outputs[i]  # this micro-batch's activations are freed
        events.append((op.kind, i, start, time.monotonic()))
    for s in sends:
        s.wait()
    return {"events": events, "losses": losses, "peak_in_flight": peak}


def wait_device(seconds: float) -> None:
    """Stand-in for an accelerator kernel's duration: the result is ready only after it."""
    if seconds:
        time.sleep(seconds)


def measured_bubble(all_events: list[list[tuple]], micro: int) -> float:
    """1 − (mean busy time of a stage) / (step time), from every rank's event log."""
    start = min(e[2] for events in all_events for e in events)
    end = max(e[3] for events in all_events for e in events)
    busy = [sum(e[3] - e[2] for e in events) for events in all_events]
    return 1 - (sum(busy) / len(busy)) / (end - start)


TIMELINE = Path(__file__).parent / "data" / "pipeline_schedule.json"


def main() -> None:
    """The demo program: GPipe then 1F1B on this many stages; gradients checked, bubble measured."""
    from mlatlas.distributed.data_parallel import regression_data
    from mlatlas.distributed.launch import close, init_from_env

    group = init_from_env()
    rank, p = dist.get_rank(group), dist.get_world_size(group)
    micro, width, device_time = 8, 16, 0.02
    model = layer_stack(width=width, depth=8, seed=0)
    stage = split_stages(model, p)[rank]
    x, y = regression_data(n=64)
    saved = {"stages": p, "micro": micro, "device_time": device_time}
    for name, make in SCHEDULES.items():
        for _ in range(2):  # the first step pays one-off costs (autograd's threads): time the second
            stage.zero_grad()
            dist.barrier(group=group)
            result = run_pipeline(
                stage, make(p, micro, rank), list(x.chunk(micro)), list(y.chunk(micro)), group,
                width=width, device_time=device_time,
            )  # fmt: skip
        gathered: list = [None] * p
        dist.all_gather_object(gathered, (result, [q.grad for q in stage.parameters()]), group=group)
        if rank == 0:
            ref = layer_stack(width=width, depth=8, seed=0)
            nn.functional.mse_loss(ref(x), y).backward()
            ours = [g for _, grads in gathered for g in grads]
            gap = max((a - b.grad).abs().max().item() for a, b in zip(ours, ref.parameters()))
            all_events = [r["events"] for r, _ in gathered]
            bubble = measured_bubble(all_events, micro)
            peaks = [r["peak_in_flight"] for r, _ in gathered]
            print(f"{name}: {p} stages, {micro} micro-batches; largest gradient difference {gap:.1e}")
            print(f"  bubble measured {bubble:.3f}, formula (p-1)/(m+p-1) = {bubble_formula(p, micro):.3f}")
            print(f"  micro-batches of activations held at once, per stage: {peaks}")
            t0 = min(e[2] for events in all_events for e in events)
            saved[name] = {
                "bubble": bubble,
                "peaks": peaks,
                "events": [[(k, i, s - t0, e - t0) for k, i, s, e in events] for events in all_events],
            }
    if rank == 0 and "--save" in sys.argv:
        TIMELINE.parent.mkdir(exist_ok=True)
        TIMELINE.write_text(json.dumps(saved, indent=1) + "\n")
        print(f"wrote {TIMELINE}")
    close(group)


def demo(nproc: int = 2) -> None:
    """`mlatlas run pipeline-parallel`: GPipe and 1F1B over `nproc` stages (try --nproc 4)."""
    from mlatlas.distributed.launch import launch

    launch("mlatlas.distributed.pipeline_parallel", nproc, sys.argv[1:], timeout=300)


if __name__ == "__main__":
    main()
