"""ZeRO: sharding the optimizer state (stage 1) and the gradients (stage 2) across data-parallel ranks.

Paper: Samyam Rajbhandari, Jeff Rasley, Olatunji Ruwase, Yuxiong He (2020), "ZeRO: Memory
Optimizations Toward Training Trillion Parameter Models", arXiv:1910.02054, section 5.

In data parallelism every rank keeps the same Adam moments and takes the same step: P identical
copies. ZeRO gives each rank 1/P of the flattened parameters to own: it keeps the moments only for
that slice, updates only that slice, and an all-gather hands the new weights to everyone. Stage 2
also reduces each gradient slice only to its owner (reduce-scatter instead of all-reduce).

Run it: ``python -m torch.distributed.run --nproc-per-node 2 -m mlatlas.distributed.zero_sharding``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor, nn

from mlatlas.foundations.optimizers import AdamState, adam_init, adamw_step


def flat_partition(numel: int, world: int) -> tuple[int, int]:
    """(shard size, padding): the flat vector of `numel` values is padded to world · shard size."""
    shard = -(-numel // world)  # ⌈Ψ / P⌉
    return shard, shard * world - numel


def reduce_scatter(flat: Tensor, group: dist.ProcessGroup) -> Tensor:
    """Σ over ranks of each rank's `flat`, but rank r receives only the r-th of P equal chunks.

    Written as P reductions, each to the chunk's owner, to show what it does; `dist.reduce_scatter_tensor`
    does the same in one call (NCCL, and gloo in recent PyTorch), moving (P−1)/P of the vector per rank.
    """
    world, rank = dist.get_world_size(group), dist.get_rank(group)
    chunks = list(flat.chunk(world))
    for owner, chunk in enumerate(chunks):
        dist.reduce(chunk, dst=dist.get_global_rank(group, owner), group=group)  # into owner's copy
    return chunks[rank]


@dataclass
class MemoryPerRank:
    """Bytes a rank keeps between steps: parameters, gradients, optimizer state."""

    params: int
    grads: int
    optimizer: int

    @property
    def total(self) -> int:
        return self.params + self.grads + self.optimizer


def memory_formula(numel: int, bytes_per_value: int, world: int, stage: int) -> MemoryPerRank:
    """ZeRO paper, section 5.1, for our all-float64 Adam (no fp16 copies, K = 2 moments):

        stage 0:  Ψ b (params) + Ψ b (grads) + 2 Ψ b (m, v)
        stage 1:  Ψ b          + Ψ b         + 2 Ψ b / P
        stage 2:  Ψ b          + Ψ b / P     + 2 Ψ b / P
    with Ψ parameters of b bytes and P ranks. Shards are ⌈Ψ/P⌉ long, and stage 1's averaged gradient
    is the padded flat vector of P ⌈Ψ/P⌉ values (at most P − 1 more than Ψ).
    """
    shard, _ = flat_partition(numel, world)
    full, part = numel * bytes_per_value, shard * bytes_per_value
    if stage == 0:
        return MemoryPerRank(full, full, 2 * full)
    if stage == 1:
        return MemoryPerRank(full, world * part, 2 * part)
    if stage == 2:
        return MemoryPerRank(full, part, 2 * part)
    raise ValueError(f"stage must be 0, 1 or 2; got {stage} (stage 3 shards the parameters too: FSDP)")


def mixed_precision_memory(psi: float, world: int, stage: int, k: int = 12) -> float:
    """Bytes per device for mixed-precision Adam, ZeRO paper section 5.1 and Figure 1:

        stage 0: (2 + 2 + K) Ψ          fp16 params, fp16 grads, K bytes of optimizer state per param
        stage 1: 2Ψ + 2Ψ + K Ψ / N_d    (P_os)
        stage 2: 2Ψ + (2 + K) Ψ / N_d   (P_os+g)
        stage 3: (2 + 2 + K) Ψ / N_d    (P_os+g+p)
    with K = 12 for Adam (fp32 master weights, momentum and variance) and N_d data-parallel devices.
    """
    if stage == 0:
        return (4 + k) * psi
    if stage == 1:
        return 4 * psi + k * psi / world
    if stage == 2:
        return 2 * psi + (2 + k) * psi / world
    if stage == 3:
        return (4 + k) * psi / world
    raise ValueError(f"stage must be 0, 1, 2 or 3; got {stage}")


class ZeroAdamW:
    """AdamW whose moments (stage 1) and reduced gradients (stage 2) live only on the owning rank.

    One `step()` after `loss.backward()` (no DDP wrapper needed: the step averages the gradients):
        stage 1: g = all-reduce(g_r) / P; keep g[shard]        stage 2: g[shard] = reduce-scatter(g_r) / P
        x[shard] ← AdamW(x[shard], g[shard]; m[shard], v[shard])   (the package's `adamw_step`)
        x ← all-gather(x[shard])
    """

    def __init__(
        self,
        params,
        group: dist.ProcessGroup,
        *,
        stage: int = 1,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ):
        if stage not in (1, 2):
            raise ValueError(f"stage must be 1 (optimizer state) or 2 (and gradients); got {stage}")
        self.params = [p for p in params if p.requires_grad]
        self.group, self.stage = group, stage
        self.world, self.rank = dist.get_world_size(group), dist.get_rank(group)
        self.hyper = dict(lr=lr, beta1=betas[0], beta2=betas[1], eps=eps, weight_decay=weight_decay)
        self.numel = sum(p.numel() for p in self.params)  # Ψ
        self.shard_size, self.padding = flat_partition(self.numel, self.world)
        lo = self.rank * self.shard_size
        self.bounds = (lo, lo + self.shard_size)  # this rank owns x[lo:hi] of the padded flat vector
        with torch.no_grad():
            flat = self._flatten([p.detach() for p in self.params])
        self.state: AdamState = adam_init(flat[lo : lo + self.shard_size])  # m, v: Ψ/P values each
        self.grad_buffer: Tensor | None = None  # the reduced gradient this rank holds (all or a slice)

    def _flatten(self, tensors: list[Tensor]) -> Tensor:
        flat = torch.cat([t.reshape(-1) for t in tensors])  # (Ψ,)
        return nn.functional.pad(flat, (0, self.padding))  # (P · ⌈Ψ/P⌉,)

    @torch.no_grad()
    def step(self) -> None:
        missing = [i for i, p in enumerate(self.params) if p.grad is None]
        if missing:
            raise RuntimeError(
                f"parameters {missing[:5]} have no gradient; call loss.backward() before step()"
            )
        grads = self._flatten([p.grad for p in self.params]) / self.world  # (1/P) g_r
        lo, hi = self.bounds
        if self.stage == 1:
            dist.all_reduce(grads, group=self.group)  # every rank gets the whole average
            g_shard = grads[lo:hi]
        else:
            g_shard = reduce_scatter(grads, self.group)  # only the owner gets its slice
        for p in self.params:
            p.grad = None
        # what stays allocated for the gradients: stage 1 the whole averaged vector, stage 2 my slice
        self.grad_buffer = grads if self.stage == 1 else g_shard.clone()
        x_shard = self._flatten([p.detach() for p in self.params])[lo:hi]
        x_shard, self.state = adamw_step(x_shard, g_shard, self.state, **self.hyper)  # update my slice
        gathered = [torch.empty_like(x_shard) for _ in range(self.world)]
        dist.all_gather(gathered, x_shard.contiguous(), group=self.group)  # everyone gets every slice
        flat = torch.cat(gathered)[: self.numel]
        offset = 0
        for p in self.params:
            p.copy_(flat[offset : offset + p.numel()].view_as(p))
            offset += p.numel()

    def memory(self) -> MemoryPerRank:
        """Bytes this rank actually holds between steps, counted from its tensors."""
        if self.grad_buffer is None:
            raise RuntimeError("call step() once before measuring: the gradient buffers do not exist yet")
        params = sum(p.numel() * p.element_size() for p in self.params)
        grads = self.grad_buffer.numel() * self.grad_buffer.element_size()
        optimizer = sum(t.numel() * t.element_size() for t in (self.state.exp_avg, self.state.exp_avg_sq))
        return MemoryPerRank(params, grads, optimizer)


def main() -> None:
    """The demo program: ZeRO-1 and ZeRO-2 against plain AdamW, and the memory each rank keeps."""
    from mlatlas.distributed.data_parallel import broadcast_parameters, mlp, regression_data, shard_batch
    from mlatlas.distributed.launch import close, init_from_env

    group = init_from_env()
    rank, world = dist.get_rank(group), dist.get_world_size(group)
    x, y = regression_data(n=64)
    xs, ys = shard_batch(x, group), shard_batch(y, group)
    for stage in (1, 2):
        model = mlp(width=256, depth=3, seed=0)
        broadcast_parameters(model, group)
        opt = ZeroAdamW(model.parameters(), group, stage=stage, lr=1e-3)
        for _ in range(10):
            nn.functional.mse_loss(model(xs), ys).backward()
            opt.step()
        if rank == 0:
            ref = mlp(width=256, depth=3, seed=0)
            torch_opt = torch.optim.AdamW(ref.parameters(), lr=1e-3)
            for _ in range(10):
                torch_opt.zero_grad()
                nn.functional.mse_loss(ref(x), y).backward()
                torch_opt.step()
            gap = max((a - b).abs().max().item() for a, b in zip(model.parameters(), ref.parameters()))
            measured, formula = opt.memory(), memory_formula(opt.numel, 8, world, stage)
            base = memory_formula(opt.numel, 8, world, 0)
            print(f"ZeRO-{stage} on {world} ranks, {opt.numel:,} float64 parameters:")
            print(f"  largest difference from unsharded AdamW after 10 steps: {gap:.1e}")
            print(
                f"  bytes per rank: params {measured.params:,}, grads {measured.grads:,}, "
                f"optimizer {measured.optimizer:,}; total {measured.total:,} "
                f"(formula {formula.total:,}; unsharded {base.total:,}, {measured.total / base.total:.2f}x)"
            )
    close(group)


def demo(nproc: int = 2) -> None:
    """`mlatlas run zero-sharding`: ZeRO-1/2 on `nproc` processes against unsharded AdamW."""
    from mlatlas.distributed.launch import launch

    launch("mlatlas.distributed.zero_sharding", nproc, timeout=300)


if __name__ == "__main__":
    main()
