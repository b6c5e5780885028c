"""Figures for the RoPE chapter."""

from __future__ import annotations

import torch

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.rope import apply_rope, rope_cos_sin


def scores_depend_on_offset():
    """Scores of one query and one key placed at every pair of positions: constant along diagonals."""
    g = torch.Generator().manual_seed(0)
    d, t = 64, 64
    q = torch.randn(1, 1, 1, d, generator=g, dtype=torch.float64).expand(1, 1, t, d)
    k = q + 0.5 * torch.randn(1, 1, 1, d, generator=g, dtype=torch.float64)  # a key that matches the query
    cos, sin = rope_cos_sin(torch.arange(t), d, dtype=torch.float64)
    scores = (apply_rope(q, cos, sin) @ apply_rope(k, cos, sin).transpose(-2, -1))[0, 0] / d**0.5
    fig, (a, b) = new_figure(1, 2, width=8.4, height=3.2)
    im = a.imshow(scores.numpy(), cmap="coolwarm", origin="lower")
    a.set_xlabel("key position n")
    a.set_ylabel("query position m")
    a.set_title("score(m, n): constant along diagonals")
    fig.colorbar(im, ax=a, shrink=0.8)
    # long-range decay, averaged over random q = k pairs (RoFormer sec. 3.4.3)
    offsets = torch.arange(0, 512)
    cos2, sin2 = rope_cos_sin(offsets, d, dtype=torch.float64)
    x = torch.randn(200, 1, 1, d, generator=g, dtype=torch.float64)
    rotated = apply_rope(x.expand(200, 1, 512, d), cos2, sin2)  # same vector at every offset
    mean_score = (rotated * x).sum(-1).mean(0)[0] / d  # <R_0 x, R_n x> averaged over x
    b.plot(offsets, mean_score, color=PALETTE[0])
    b.set_xlabel("offset n − m")
    b.set_ylabel("mean ⟨q, Rₙ₋ₘ q⟩ / D")
    b.set_title("same vector, growing distance")
    b.grid(True)
    return fig
