"""Figure for the normalization chapter: activation scale through a deep ReLU network at initialisation."""

from __future__ import annotations

import math

import numpy as np

from mlatlas.deep_learning.normalization import activation_scales
from mlatlas.plotting import PALETTE, new_figure


def activation_scale_by_depth():
    """Std of the activations per layer: unnormalised with two weight scales, BatchNorm, LayerNorm."""
    fig, ax = new_figure(width=6.4, height=4.0)
    depth = np.arange(1, 31)
    runs = [
        ("no norm, gain 1", activation_scales("none", 1.0), PALETTE[3], "-"),
        ("no norm, gain 2", activation_scales("none", 2.0), PALETTE[1], "-"),
        ("BatchNorm, gain 1 or 2", activation_scales("batch", 1.0), PALETTE[0], "-"),
        ("LayerNorm, gain 1 or 2", activation_scales("layer", 1.0), PALETTE[2], "--"),
    ]
    for label, scales, color, style in runs:
        ax.semilogy(depth, scales, style, color=color, label=label)
    ax.axhline(math.sqrt(0.5 - 1 / (2 * math.pi)), color=PALETTE[7], lw=1, ls=":")
    ax.set_xlabel("layer")
    ax.set_ylabel("std of activations")
    ax.set_title("30 ReLU layers at initialisation, width 64")
    ax.legend(fontsize=9, loc="upper left")
    ax.grid(True, which="major")
    return fig
