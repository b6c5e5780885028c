"""Figures for the relative positional encoding chapter."""

from __future__ import annotations

import torch

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.relative_positional_encoding import t5_relative_position_bucket


def buckets_vs_offset():
    """Shaw et al.'s clipped offsets next to T5's log buckets (32 buckets, max distance 128)."""
    rel = torch.arange(-160, 161)
    fig, ax = new_figure(width=6.4, height=3.2)
    ax.plot(rel, rel.clamp(-16, 16) + 16, color=PALETTE[1], label="Shaw et al., clip at ±16 (33 vectors)")
    ax.step(
        rel,
        t5_relative_position_bucket(rel),
        where="mid",
        color=PALETTE[0],
        label="T5, bidirectional (32 buckets)",
    )
    ax.step(
        rel,
        t5_relative_position_bucket(rel, bidirectional=False),
        where="mid",
        color=PALETTE[2],
        label="T5, causal (32 buckets)",
    )
    ax.set_xlabel("key offset j − i")
    ax.set_ylabel("table row / bucket")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True)
    return fig
