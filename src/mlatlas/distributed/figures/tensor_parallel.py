"""The Megatron MLP split over two ranks: the weight shards, and the partial outputs that sum to Y."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from mlatlas.distributed.tensor_parallel import shard
from mlatlas.plotting import INK, PALETTE, new_figure
from mlatlas.transformers.gpt import MLP, GPTConfig


def mlp_partial_sums():
    """Top: A (C × 4C) split by columns and B (4C × C) by rows. Bottom: for one token, each rank's
    partial output GELU(x A_r) B_r and their sum, on the unsharded MLP's output."""
    torch.manual_seed(0)
    mlp = MLP(GPTConfig(n_embd=6, n_head=1, dropout=0.0)).double()
    with torch.no_grad():  # GPT-2's 0.02 initialisation makes the picture flat; use unit-scale weights
        for p in mlp.parameters():
            p.normal_(0.0, 0.5)
    x = torch.randn(6, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    world = 2
    a, b = mlp.c_fc.weight.T.detach(), mlp.c_proj.weight.T.detach()  # A (C, 4C), B (4C, C)
    partial = []
    for r in range(world):
        a_r = shard(mlp.c_fc.weight.detach(), 0, world, r)  # rows of Aᵀ = columns of A
        b_r = shard(mlp.c_fc.bias.detach(), 0, world, r)
        w2_r = shard(mlp.c_proj.weight.detach(), 1, world, r)  # columns of Bᵀ = rows of B
        partial.append(F.linear(mlp.gelu(F.linear(x, a_r, b_r)), w2_r).numpy())  # GELU(x A_r) B_r
    full = mlp(x).detach().numpy()  # GELU(x A) B + b₂
    bias = mlp.c_proj.bias.detach().numpy()

    fig, (top, bottom) = new_figure(2, 1, width=5.6, height=6.2, height_ratios=[1, 1.3])
    lim = float(max(a.abs().max(), b.abs().max()))
    top.imshow(a.numpy(), cmap="RdBu", vmin=-lim, vmax=lim, extent=(0, 24, 6, 0))
    top.imshow(b.numpy().T, cmap="RdBu", vmin=-lim, vmax=lim, extent=(0, 24, 14, 8))
    for y0, y1, name in ((0, 6, "A, columns split"), (8, 14, "Bᵀ, rows of B split")):
        top.axvline(12, ymin=1 - y1 / 14, ymax=1 - y0 / 14, color=PALETTE[3], lw=2.5)
        top.text(-0.6, (y0 + y1) / 2, name, ha="right", va="center", fontsize=9)
    top.text(6, -0.6, "rank 0", ha="center", fontsize=9, color=PALETTE[0])
    top.text(18, -0.6, "rank 1", ha="center", fontsize=9, color=PALETTE[1])
    top.set_xlim(0, 24)
    top.set_ylim(14, -1.5)
    top.axis("off")

    idx = np.arange(full.shape[0])
    w = 0.27
    bottom.bar(idx - w, partial[0], w, color=PALETTE[0], label="rank 0: GELU(x A₀ + b₁,₀) B₀")
    bottom.bar(idx, partial[1], w, color=PALETTE[1], label="rank 1: GELU(x A₁ + b₁,₁) B₁")
    bottom.bar(idx + w, partial[0] + partial[1] + bias, w, color=PALETTE[2], label="all-reduce sum + b₂")
    bottom.plot(idx + w, full, "_", color=INK, markersize=14, mew=2, label="unsharded MLP(x)")
    bottom.axhline(0, color="#94a3b8", lw=0.8)
    bottom.set_xticks(idx, [f"y{i}" for i in idx])
    bottom.set_ylabel("output coordinate value")
    bottom.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    return fig
