"""Figures for the multi-head attention chapter."""

from __future__ import annotations

import torch

from mlatlas.plotting import new_figure
from mlatlas.transformers.multi_head_attention import MultiHeadAttention, MultiHeadAttentionConfig
from mlatlas.transformers.sinusoidal_positional_encoding import sinusoidal_positional_encoding


def heads_look_differently():
    """Four heads of one untrained layer on the same 12 tokens: each head's projections make its pattern."""
    torch.manual_seed(0)
    mha = MultiHeadAttention(MultiHeadAttentionConfig(32, 4), dtype=torch.float64)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(1, 12, 32, generator=g, dtype=torch.float64) + 2 * sinusoidal_positional_encoding(12, 32)
    with torch.no_grad():
        mha.q_proj.weight.mul_(3.0)  # sharper patterns, for visibility
        w = mha.attention_weights(x)[0]  # (H, T, T)
    fig, axes = new_figure(1, 4, width=8.4, height=2.5)
    for h, ax in enumerate(axes):
        ax.imshow(w[h].numpy(), cmap="viridis", vmin=0, vmax=float(w.max()))
        ax.set_title(f"head {h}")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("key")
    axes[0].set_ylabel("query")
    return fig
