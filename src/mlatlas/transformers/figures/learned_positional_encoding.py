"""Figures for the learned positional encoding chapter."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from mlatlas.plotting import new_figure
from mlatlas.transformers.learned_positional_encoding import LearnedPositionalEncoding
from mlatlas.transformers.sinusoidal_positional_encoding import sinusoidal_positional_encoding


def similarity_fixed_vs_fresh_table():
    """Cosine similarity between positions: sinusoidal (structured by design) vs a fresh learned table."""
    torch.manual_seed(0)
    fresh = LearnedPositionalEncoding(64, 64, dtype=torch.float64).table.weight.detach()
    sinus = sinusoidal_positional_encoding(64, 64)
    fig, axes = new_figure(1, 2, width=7.6, height=3.2)
    for ax, (title, table) in zip(axes, (("sinusoidal", sinus), ("learned, at initialisation", fresh))):
        t = F.normalize(table, dim=-1)
        im = ax.imshow((t @ t.T).numpy(), cmap="viridis", vmin=-0.3, vmax=1, origin="lower")
        ax.set_title(title)
        ax.set_xlabel("position")
    axes[0].set_ylabel("position")
    fig.colorbar(im, ax=axes[1], shrink=0.8)
    return fig
