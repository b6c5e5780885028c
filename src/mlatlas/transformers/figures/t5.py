"""Figure for the t5 chapter: the relative-position buckets of the encoder and the decoder."""

from __future__ import annotations

import torch

from mlatlas.plotting import new_figure
from mlatlas.transformers.relative_positional_encoding import t5_relative_position_bucket


def relative_buckets():
    """Bucket index of every (query, key) pair for T = 48, 32 buckets, max distance 128."""
    T = 48
    rel = torch.arange(T)[None, :] - torch.arange(T)[:, None]  # (T, T) key − query
    fig, axes = new_figure(1, 2, width=7.6, height=3.6)
    for ax, bidirectional, title in (
        (axes[0], True, "encoder (bidirectional)"),
        (axes[1], False, "decoder (causal)"),
    ):
        b = t5_relative_position_bucket(rel, bidirectional=bidirectional, num_buckets=32, max_distance=128)
        if not bidirectional:
            b = b.float().masked_fill(rel > 0, float("nan"))  # future keys are masked anyway
        b = b.numpy()
        im = ax.imshow(b, cmap="viridis", interpolation="nearest")
        ax.set_title(title)
        ax.set_xlabel("key position j")
        ax.set_ylabel("query position i")
        fig.colorbar(im, ax=ax, shrink=0.8, label="bucket")
    return fig
