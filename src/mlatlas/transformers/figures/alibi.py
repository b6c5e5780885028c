"""Figures for the ALiBi chapter."""

from __future__ import annotations

import torch

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.alibi import alibi_bias, alibi_slopes


def biases_per_head():
    """The bias of three of eight heads, and how much weight each head leaves on keys k steps back."""
    bias = alibi_bias(8, 12)
    fig, axes = new_figure(1, 4, width=9.0, height=2.6)
    lowest = float(bias[0][torch.isfinite(bias[0])].min())  # head 1, the steepest: -m (T - 1)
    for ax, h in zip(axes[:3], (0, 3, 7)):
        shown = torch.where(torch.isfinite(bias[h]), bias[h], torch.nan).numpy()
        image = ax.imshow(shown, cmap="viridis", vmin=lowest, vmax=0.0)  # one colour scale for all three
        ax.set_title(f"head {h + 1}: m = 1/{int(round(1 / alibi_slopes(8)[h].item()))}")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("key")
    axes[0].set_ylabel("query")
    bar = fig.colorbar(image, ax=axes[:3], shrink=0.8)
    bar.ax.set_title("bias", fontsize=9)  # above the bar: a side label read as the next panel's axis
    k = torch.arange(0, 60)
    for h, color in zip((0, 3, 7), PALETTE):
        axes[3].plot(k, torch.exp(-alibi_slopes(8)[h] * k), color=color, label=f"head {h + 1}")
    axes[3].set_xlabel("distance k")
    axes[3].set_ylabel("factor")
    axes[3].set_title("weight factor e^(−mk)")
    axes[3].legend(fontsize=7)
    return fig
