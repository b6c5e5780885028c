"""Figures for the self-attention chapter."""

from __future__ import annotations

import torch

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.attention import attention_scores, attention_weights


def scores_to_weights():
    """Scores, softmax weights, and the same weights under a causal mask, for 8 random tokens."""
    g = torch.Generator().manual_seed(4)
    q = torch.randn(1, 8, 16, generator=g, dtype=torch.float64)
    k = q + 0.8 * torch.randn(1, 8, 16, generator=g, dtype=torch.float64)  # keys resemble their own queries
    panels = [
        ("scores QKᵀ/√D", attention_scores(q, k)[0], "coolwarm"),
        ("weights (softmax)", attention_weights(q, k)[0], "viridis"),
        ("weights, causal mask", attention_weights(q, k, is_causal=True)[0], "viridis"),
    ]
    fig, axes = new_figure(1, 3, width=8.4, height=3.0)
    for ax, (title, m, cmap) in zip(axes, panels):
        shown = torch.where(torch.isfinite(m), m, torch.nan).numpy()
        im = ax.imshow(shown, cmap=cmap)
        ax.set_title(title)
        ax.set_xlabel("key j")
        ax.set_xticks(range(0, 8, 2))
        ax.set_yticks(range(0, 8, 2))
        fig.colorbar(im, ax=ax, shrink=0.8)
    axes[0].set_ylabel("query i")
    axes[2].text(6.5, 1.0, "masked", ha="center", color=PALETTE[7], fontsize=8)
    return fig
