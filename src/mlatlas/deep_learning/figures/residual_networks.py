"""Figure for the residual-networks chapter: gradient norms by depth with and without skip connections."""

from __future__ import annotations

import numpy as np

from mlatlas.deep_learning.residual_networks import ResNetConfig, gradient_norms
from mlatlas.plotting import PALETTE, new_figure

BLOCKS = 6  # 12 blocks, 24 main-path 3x3 convolutions


def gradient_norm_by_layer():
    """||dL/dW|| of every main-path conv at initialisation, plain vs residual, same weights' shapes."""
    fig, ax = new_figure(width=6.4, height=3.8)
    for residual, color, name in [
        (False, PALETTE[3], "plain (no shortcuts)"),
        (True, PALETTE[0], "residual"),
    ]:
        norms = gradient_norms(ResNetConfig(blocks=BLOCKS, residual=residual), batch=64)
        ax.semilogy(np.arange(1, len(norms) + 1), norms, "o-", ms=3, color=color, label=name)
    ax.set_xlabel("conv layer (input side → output side)")
    ax.set_ylabel("‖∂L/∂W‖ at initialisation")
    ax.set_title(f"{4 * BLOCKS} conv layers with BatchNorm, one batch of digits")
    ax.legend()
    ax.grid(True, which="major")
    return fig
