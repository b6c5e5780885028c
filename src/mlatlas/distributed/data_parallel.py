"""Data parallelism: distributed data-parallel training (DDP) written by hand on torch.distributed.

Paper: Shen Li, Yanli Zhao, Rohan Varma, Omkar Salpekar, Pieter Noordhuis, Teng Li, Adam Paszke,
Jeff Smith, Brian Vaughan, Pritam Damania, Soumith Chintala (2020), "PyTorch Distributed:
Experiences on Accelerating Data Parallel Training", arXiv:2006.15704.

Every rank holds the whole model and a 1/P slice of the batch. Rank 0's weights are broadcast once;
after each backward the gradients are averaged with all-reduce, in buckets launched from hooks *while
backward is still running*, so every rank takes the same step and the replicas never drift apart.

Run it: ``python -m torch.distributed.run --nproc-per-node 2 -m mlatlas.distributed.data_parallel``.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from mlatlas.foundations.optimizers import SGDState, sgd_init, sgd_step


def broadcast_parameters(module: nn.Module, group: dist.ProcessGroup, src: int = 0) -> None:
    """Copy rank `src`'s parameters and buffers into every rank (replicas start identical)."""
    with torch.no_grad():
        for t in [*module.parameters(), *module.buffers()]:
            dist.broadcast(t, src=dist.get_global_rank(group, src), group=group)


def shard_batch(batch: torch.Tensor, group: dist.ProcessGroup) -> torch.Tensor:
    """This rank's contiguous 1/P of the batch (rows rank·B/P … (rank+1)·B/P − 1)."""
    world, rank = dist.get_world_size(group), dist.get_rank(group)
    if batch.shape[0] % world:
        raise ValueError(
            f"batch of {batch.shape[0]} rows does not split evenly over {world} processes; "
            "use a batch size divisible by the world size so that the average of the local mean "
            "gradients is the full-batch mean gradient"
        )
    return batch.tensor_split(world)[rank]


@dataclass
class Bucket:
    """Parameters whose gradients travel in one all-reduce (about `bucket_cap_mb` of them)."""

    params: list[nn.Parameter]
    ready: int = 0  # how many of `params` have their gradient for this backward
    flat: torch.Tensor | None = None  # the flattened gradients in flight
    work: dist.Work | None = None  # the asynchronous all-reduce
    numel: int = field(init=False)

    def __post_init__(self) -> None:
        self.numel = sum(p.numel() for p in self.params)


def make_buckets(params: list[nn.Parameter], bucket_cap_mb: float) -> list[Bucket]:
    """Group parameters in *reverse* registration order — the order backward produces gradients."""
    cap = bucket_cap_mb * 2**20
    buckets, current, size = [], [], 0
    for p in reversed(params):
        current.append(p)
        size += p.numel() * p.element_size()
        if size >= cap:
            buckets.append(Bucket(current))
            current, size = [], 0
    if current:
        buckets.append(Bucket(current))
    return buckets


class DataParallel(nn.Module):
    """Wrap `module` so that backward leaves the gradient averaged over the group in every `.grad`.

        g = (1/P) Σ_r g_r        (all-reduce of the local mean gradients, per bucket)

    A post-accumulate-grad hook on each parameter counts it ready; when a bucket is complete (and all
    buckets before it have been launched, so every rank issues the collectives in the same order) its
    gradients are flattened, divided by P and all-reduced asynchronously. The hook of the very last
    gradient waits for the in-flight buckets and copies the averages back into the parameters' grads.
    """

    def __init__(self, module: nn.Module, group: dist.ProcessGroup, bucket_cap_mb: float = 25.0):
        super().__init__()
        self.module = module
        self.group = group
        self.world_size = dist.get_world_size(group)
        params = [p for p in module.parameters() if p.requires_grad]
        self.buckets = make_buckets(params, bucket_cap_mb)
        self._bucket_of = {p: i for i, b in enumerate(self.buckets) for p in b.params}
        self._next = 0  # the next bucket to launch
        # the last backward, for the figure and the tests: (kind, bucket, seconds since forward returned)
        # with kind "ready" (a gradient of that bucket), "launch" and "done" (its all-reduce)
        self.events: list[tuple[str, int, float]] = []
        self._t0 = time.perf_counter()
        broadcast_parameters(module, group)  # identical replicas from the start
        for p in params:
            p.register_post_accumulate_grad_hook(self._grad_ready)

    def forward(self, *args, **kwargs):
        stale = [b for b in self.buckets if b.ready]
        if stale:
            names = {p: n for n, p in self.module.named_parameters()}
            missing = [names[p] for b in stale for p in b.params if p.grad is None][:5]
            raise RuntimeError(
                "the previous backward did not produce a gradient for every parameter "
                f"(e.g. {missing or 'a parameter left out of the loss'}); every parameter must take part "
                "in the loss, or exclude it with requires_grad=False before wrapping"
            )
        out = self.module(*args, **kwargs)
        self.events, self._t0 = [], time.perf_counter()
        return out

    def _log(self, kind: str, i: int) -> None:
        self.events.append((kind, i, time.perf_counter() - self._t0))

    def _grad_ready(self, p: nn.Parameter) -> None:
        self._log("ready", self._bucket_of[p])
        self.buckets[self._bucket_of[p]].ready += 1
        while self._next < len(self.buckets) and self._is_full(self.buckets[self._next]):
            self._launch(self._next)
            self._next += 1
        if self._next == len(self.buckets):
            self._finish()

    @staticmethod
    def _is_full(bucket: Bucket) -> bool:
        return bucket.ready == len(bucket.params)

    def _launch(self, i: int) -> None:
        bucket = self.buckets[i]
        flat = torch.cat([p.grad.reshape(-1) for p in bucket.params])  # (numel,)
        flat.div_(self.world_size)  # (1/P) g_r, so that the sum is the average
        bucket.flat = flat
        bucket.work = dist.all_reduce(flat, op=dist.ReduceOp.SUM, group=self.group, async_op=True)
        self._log("launch", i)
        bucket.work.get_future().then(lambda _: self._log("done", i))

    def _finish(self) -> None:
        for bucket in self.buckets:
            bucket.work.wait()
            offset = 0
            for p in bucket.params:
                p.grad.copy_(bucket.flat[offset : offset + p.numel()].view_as(p))  # g = (1/P) Σ_r g_r
                offset += p.numel()
            bucket.ready, bucket.flat, bucket.work = 0, None, None
        self._next = 0


def sgd_update(module: nn.Module, states: dict[str, SGDState], lr: float, momentum: float) -> None:
    """x ← x − η b with heavy-ball momentum, using the package's `sgd_step` on every parameter."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            state = states.setdefault(name, sgd_init(p))
            new, states[name] = sgd_step(p, p.grad, state, lr=lr, momentum=momentum)
            p.copy_(new)
            p.grad = None


def train(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn,
    *,
    steps: int,
    lr: float = 0.1,
    momentum: float = 0.9,
    group: dist.ProcessGroup | None = None,
    bucket_cap_mb: float = 25.0,
) -> list[float]:
    """Full-batch SGD for `steps` steps; with a `group`, each rank trains on its shard through DDP.

    Returns the loss of each step (the local shard's loss under a group). Without a group this is
    the single-process reference that data-parallel training must reproduce exactly.
    """
    net: nn.Module = model
    if group is not None:
        net = DataParallel(model, group, bucket_cap_mb)
        x, y = shard_batch(x, group), shard_batch(y, group)
    states: dict[str, SGDState] = {}
    losses = []
    for _ in range(steps):
        loss = loss_fn(net(x), y)  # local mean over B/P rows
        loss.backward()  # the hooks average the gradients during backward
        sgd_update(model, states, lr, momentum)
        losses.append(loss.item())
    return losses


def mlp(width: int = 64, depth: int = 3, seed: int = 0, dtype=torch.float64) -> nn.Sequential:
    """A small tanh MLP, 16 inputs → 1 output, seeded (its own generator, not the global one)."""
    g = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    sizes = [16] + [width] * depth + [1]
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        lin = nn.Linear(a, b, dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.randn(b, a, generator=g, dtype=dtype) / a**0.5)
            lin.bias.copy_(0.1 * torch.randn(b, generator=g, dtype=dtype))
        layers.append(lin)
        if i < depth:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)


def regression_data(n: int = 64, seed: int = 1, dtype=torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """n rows of x ~ N(0, I₁₆) and a smooth nonlinear target y = sin(x·w) + noise."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 16, generator=g, dtype=dtype)
    w = torch.randn(16, 1, generator=g, dtype=dtype) / 4
    return x, torch.sin(x @ w) + 0.05 * torch.randn(n, 1, generator=g, dtype=dtype)


TIMELINE = Path(__file__).parent / "data" / "data_parallel_timeline.json"


def main() -> None:
    """The demo program (one copy per process): DDP by hand on an MLP, checked against one process.

    `--save` also writes the hook event log of one backward pass (every rank) to `TIMELINE`.
    """
    from mlatlas.distributed.launch import close, device_for, init_from_env

    group = init_from_env()
    rank, world = dist.get_rank(group), dist.get_world_size(group)
    device = device_for(group)
    x, y = regression_data(n=256)
    x, y = x.to(device), y.to(device)
    loss_fn = nn.functional.mse_loss
    # every rank starts from a *different* seed: the broadcast must make the replicas equal
    model = mlp(width=384, depth=4, seed=100 + rank).to(device)
    ddp = DataParallel(model, group, bucket_cap_mb=1.0)
    xs, ys = shard_batch(x, group), shard_batch(y, group)
    states: dict[str, SGDState] = {}
    t0 = time.perf_counter()
    for step in range(30):
        loss = loss_fn(ddp(xs), ys)
        loss.backward()
        sgd_update(model, states, lr=0.05, momentum=0.9)
        mean_loss = loss.detach().clone()
        dist.all_reduce(mean_loss, group=group)
        if rank == 0 and step % 10 == 9:
            print(f"step {step + 1:3d}  full-batch loss {mean_loss.item() / world:.6f}")
    elapsed = time.perf_counter() - t0
    events = ddp.events  # of the last backward
    # the replicas must still be identical: compare the weights across ranks
    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    gathered = [torch.empty_like(flat) for _ in range(world)]
    dist.all_gather(gathered, flat, group=group)
    drift = max((g - flat).abs().max().item() for g in gathered)
    all_events: list = [None] * world
    dist.all_gather_object(all_events, events, group=group)
    if rank == 0:  # the single-process reference on the full batch, from rank 0's initial weights
        ref = mlp(width=384, depth=4, seed=100).to(device)
        train(ref, x, y, loss_fn, steps=30, lr=0.05, momentum=0.9)
        gap = max((a - b).abs().max().item() for a, b in zip(model.parameters(), ref.parameters()))
        sizes = [b.numel for b in ddp.buckets]
        print(f"{world} processes ({dist.get_backend(group)}), {len(sizes)} buckets of {sizes} gradients")
        print(f"largest weight difference between replicas: {drift:.1e}")
        print(f"largest difference from single-process full-batch training: {gap:.1e}")
        print(f"30 steps in {elapsed:.2f} s")
        if "--save" in sys.argv:
            TIMELINE.parent.mkdir(exist_ok=True)
            data = {"world": world, "bucket_numel": sizes, "events": all_events}
            TIMELINE.write_text(json.dumps(data, indent=1) + "\n")
            print(f"wrote {TIMELINE}")
    close(group)


def demo(nproc: int = 2) -> None:
    """`mlatlas run data-parallel`: start `nproc` processes with torchrun and train by hand-written DDP."""
    from mlatlas.distributed.launch import launch

    launch("mlatlas.distributed.data_parallel", nproc, sys.argv[1:], timeout=300)


if __name__ == "__main__":
    main()
