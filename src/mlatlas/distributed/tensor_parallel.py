"""Tensor parallelism: Megatron's column- and row-parallel linear layers, MLP and attention.

Paper: Mohammad Shoeybi, Mostofa Patwary, Raul Puri, Patrick LeGresley, Jared Casper, Bryan
Catanzaro (2019), "Megatron-LM: Training Multi-Billion Parameter Language Models Using Model
Parallelism", arXiv:1909.08053, section 3.

A weight matrix too big for one device is cut across P ranks. Split the first matrix of the MLP by
columns and the second by rows, and the whole MLP needs one all-reduce forward and one backward;
attention splits the same way by heads. The layers here are built *from* an unsharded module (our
GPT's), so the tests can prove that outputs and gradients are unchanged.

Run it: ``python -m torch.distributed.run --nproc-per-node 2 -m mlatlas.distributed.tensor_parallel``.
"""

from __future__ import annotations

import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn

from mlatlas.transformers.attention import scaled_dot_product_attention
from mlatlas.transformers.gpt import MLP, Block
from mlatlas.transformers.multi_head_attention import MultiHeadAttention, merge_heads, split_heads

# ---------------------------------------------------------------------------------------------------
# The conjugate operators f and g (Megatron, Figure 3) and an all-gather, as autograd functions


class _CopyToParallel(torch.autograd.Function):
    """f: identity forward, all-reduce backward (every rank used x, so x's gradient is the sum)."""

    @staticmethod
    def forward(ctx, x: Tensor, group: dist.ProcessGroup) -> Tensor:
        ctx.group = group
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor):
        grad = grad.clone()
        dist.all_reduce(grad, group=ctx.group)  # ∂L/∂x = Σ_r ∂L_r/∂x
        return grad, None


class _ReduceFromParallel(torch.autograd.Function):
    """g: all-reduce forward (sum the partial results), identity backward."""

    @staticmethod
    def forward(ctx, x: Tensor, group: dist.ProcessGroup) -> Tensor:
        x = x.clone()
        dist.all_reduce(x, group=group)  # Y = Σ_r Y_r
        return x

    @staticmethod
    def backward(ctx, grad: Tensor):
        return grad, None


class _GatherFromParallel(torch.autograd.Function):
    """Concatenate the ranks' last-dimension slices forward; keep this rank's slice backward."""

    @staticmethod
    def forward(ctx, x: Tensor, group: dist.ProcessGroup) -> Tensor:
        ctx.group = group
        parts = [torch.empty_like(x) for _ in range(dist.get_world_size(group))]
        dist.all_gather(parts, x.contiguous(), group=group)
        return torch.cat(parts, dim=-1)

    @staticmethod
    def backward(ctx, grad: Tensor):
        world, rank = dist.get_world_size(ctx.group), dist.get_rank(ctx.group)
        return grad.chunk(world, dim=-1)[rank].contiguous(), None


def copy_to_parallel(x: Tensor, group: dist.ProcessGroup) -> Tensor:
    return _CopyToParallel.apply(x, group)


def reduce_from_parallel(x: Tensor, group: dist.ProcessGroup) -> Tensor:
    return _ReduceFromParallel.apply(x, group)


def gather_from_parallel(x: Tensor, group: dist.ProcessGroup) -> Tensor:
    return _GatherFromParallel.apply(x, group)


def shard(t: Tensor, dim: int, world: int, rank: int) -> Tensor:
    """Rank `rank`'s contiguous 1/world of `t` along `dim` (a copy, so it can be a new parameter)."""
    if t.shape[dim] % world:
        raise ValueError(
            f"dimension {dim} of size {t.shape[dim]} does not split over {world} ranks; "
            "choose a width (or a number of heads) divisible by the tensor-parallel size"
        )
    return t.chunk(world, dim=dim)[rank].clone()


# ---------------------------------------------------------------------------------------------------
# Linear layers


class ColumnParallelLinear(nn.Module):
    """Y = X A with A = [A_1 … A_P] split by output columns: rank r computes Y_r = X A_r (+ b_r).

    X is replicated (its gradient is summed by f); the output stays split unless `gather_output`.
    """

    def __init__(self, linear: nn.Linear, group: dist.ProcessGroup, gather_output: bool = False):
        super().__init__()
        self.group, self.gather_output = group, gather_output
        world, rank = dist.get_world_size(group), dist.get_rank(group)
        # nn.Linear stores Aᵀ as (out, in): output columns of A are rows of the weight
        self.weight = nn.Parameter(shard(linear.weight.detach(), 0, world, rank))  # (out/P, in)
        bias = linear.bias
        self.bias = None if bias is None else nn.Parameter(shard(bias.detach(), 0, world, rank))

    def forward(self, x: Tensor) -> Tensor:
        x = copy_to_parallel(x, self.group)  # f
        y = F.linear(x, self.weight, self.bias)  # Y_r = X A_r + b_r   (..., out/P)
        return gather_from_parallel(y, self.group) if self.gather_output else y


class RowParallelLinear(nn.Module):
    """Y = X B with B split by input rows, B = [B_1; …; B_P]: Y = Σ_r X_r B_r, then + b once.

    Takes X already split along its last dimension (the output of a column-parallel layer), or
    splits a replicated X itself when `input_is_parallel=False`.
    """

    def __init__(self, linear: nn.Linear, group: dist.ProcessGroup, input_is_parallel: bool = True):
        super().__init__()
        self.group, self.input_is_parallel = group, input_is_parallel
        self.world, self.rank = dist.get_world_size(group), dist.get_rank(group)
        self.weight = nn.Parameter(shard(linear.weight.detach(), 1, self.world, self.rank))  # (out, in/P)
        self.bias = None if linear.bias is None else nn.Parameter(linear.bias.detach().clone())

    def forward(self, x: Tensor) -> Tensor:
        if not self.input_is_parallel:
            x = copy_to_parallel(x, self.group).chunk(self.world, dim=-1)[self.rank]  # X_r
        y = reduce_from_parallel(F.linear(x, self.weight), self.group)  # g: Σ_r X_r B_r
        return y if self.bias is None else y + self.bias  # the bias is added once, after the sum


# ---------------------------------------------------------------------------------------------------
# The Megatron MLP, attention and block, each built from the unsharded GPT module


class ParallelMLP(nn.Module):
    """MLP(X) = GELU(X A) B: A column-parallel, B row-parallel — GELU acts on each rank's own columns,
    so the only communication is g after B (forward) and f before A (backward) (Megatron eq. 3)."""

    def __init__(self, mlp: MLP, group: dist.ProcessGroup):
        super().__init__()
        self.c_fc = ColumnParallelLinear(mlp.c_fc, group)  # A: (C, 4C) → (C, 4C/P) per rank
        self.gelu = mlp.gelu
        self.c_proj = RowParallelLinear(mlp.c_proj, group)  # B: (4C, C) → (4C/P, C) per rank
        self.dropout = mlp.dropout

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))  # (B, T, C)


class ParallelSelfAttention(nn.Module):
    """Self-attention with H/P heads per rank: Q, K, V projections column-parallel (by heads), the
    output projection row-parallel; heads never interact, so attention itself needs no communication."""

    def __init__(self, attn: MultiHeadAttention, group: dist.ProcessGroup):
        super().__init__()
        world = dist.get_world_size(group)
        if attn.config.num_heads % world:
            raise ValueError(
                f"{attn.config.num_heads} heads do not split over {world} ranks; "
                "use a number of heads divisible by the tensor-parallel size"
            )
        self.local_heads = attn.config.num_heads // world  # H/P
        self.q_proj = ColumnParallelLinear(attn.q_proj, group)  # heads r·H/P … (r+1)·H/P − 1
        self.k_proj = ColumnParallelLinear(attn.k_proj, group)
        self.v_proj = ColumnParallelLinear(attn.v_proj, group)
        self.out_proj = RowParallelLinear(attn.out_proj, group)
        if attn.config.dropout:
            raise ValueError("attention dropout would need a per-rank random stream; use dropout=0.0")

    def forward(self, x: Tensor, *, is_causal: bool = False) -> Tensor:
        q = split_heads(self.q_proj(x), self.local_heads)  # (B, H/P, T, D)
        k = split_heads(self.k_proj(x), self.local_heads)  # (B, H/P, T, D)
        v = split_heads(self.v_proj(x), self.local_heads)  # (B, H/P, T, D)
        out = scaled_dot_product_attention(q, k, v, is_causal=is_causal)  # (B, H/P, T, D)
        return self.out_proj(merge_heads(out))  # (B, T, C), summed over the ranks' heads


class ParallelBlock(nn.Module):
    """GPT's pre-LN block with parallel attention and MLP: two all-reduces forward (g after attention
    and after the MLP). Backward, Megatron needs two (one f before a fused QKV projection, one before
    the MLP); here q, k and v each carry their own f, so backward issues four all-reduces (the same sum).
    The LayerNorms are small and replicated on every rank."""

    def __init__(self, block: Block, group: dist.ProcessGroup):
        super().__init__()
        self.ln_1, self.ln_2 = block.ln_1, block.ln_2
        self.attn = ParallelSelfAttention(block.attn, group)
        self.resid_dropout = block.resid_dropout
        self.mlp = ParallelMLP(block.mlp, group)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.resid_dropout(self.attn(self.ln_1(x), is_causal=True))
        return x + self.mlp(self.ln_2(x))


def main() -> None:
    """The demo program: a GPT block split over the ranks, checked against the unsharded block."""
    from mlatlas.distributed.launch import close, init_from_env
    from mlatlas.transformers.gpt import GPTConfig

    group = init_from_env()
    rank, world = dist.get_rank(group), dist.get_world_size(group)
    torch.manual_seed(0)  # the same unsharded block on every rank
    config = GPTConfig(n_embd=256, n_head=8, n_layer=1, dropout=0.0)
    block = Block(config).double()
    parallel = ParallelBlock(block, group)
    x = torch.randn(4, 64, config.n_embd, dtype=torch.float64)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    t0 = time.perf_counter()
    out = parallel(x1)
    out.square().sum().backward()
    elapsed = time.perf_counter() - t0
    expected = block(x2)
    expected.square().sum().backward()
    gaps = torch.tensor([(out - expected).abs().max().item(), (x1.grad - x2.grad).abs().max().item()])
    dist.all_reduce(gaps, op=dist.ReduceOp.MAX, group=group)
    local = sum(p.numel() for p in parallel.parameters())
    full = sum(p.numel() for p in block.parameters())
    if rank == 0:
        print(f"{world} ranks: each holds {local:,} of the block's {full:,} parameters")
        print(f"largest difference from the unsharded block: output {gaps[0]:.1e}, ", end="")
        print(f"input gradient {gaps[1]:.1e}")
        print(f"forward + backward on rank 0: {elapsed * 1e3:.1f} ms (2 all-reduces forward, 4 backward)")
    close(group)


def demo(nproc: int = 2) -> None:
    """`mlatlas run tensor-parallel`: split a GPT block over `nproc` processes and compare."""
    from mlatlas.distributed.launch import launch

    launch("mlatlas.distributed.tensor_parallel", nproc, timeout=300)


if __name__ == "__main__":
    main()
