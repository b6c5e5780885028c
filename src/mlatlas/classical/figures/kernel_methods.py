"""Figures for the kernel-methods chapter."""

from __future__ import annotations

import numpy as np

from mlatlas.classical.kernel_methods import kernel_ridge
from mlatlas.plotting import PALETTE, new_figure


def rbf_fits_by_width():
    """Kernel ridge with an RBF kernel on 40 noisy samples of a sine, for three kernel widths."""
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(0, 1, 40))[:, None]
    y = np.sin(2 * np.pi * x[:, 0]) + 0.3 * rng.normal(size=40)
    grid = np.linspace(0, 1, 300)[:, None]
    fig, ax = new_figure(width=6.4, height=4.0)
    ax.scatter(x[:, 0], y, s=16, color=PALETTE[7], label="data")
    ax.plot(grid[:, 0], np.sin(2 * np.pi * grid[:, 0]), ls="--", lw=1, color=PALETTE[7], label="sin(2πx)")
    for gamma, colour in ((1.0, PALETTE[0]), (30.0, PALETTE[2]), (3000.0, PALETTE[3])):
        fit = kernel_ridge(x, y, l2=0.1, kernel="rbf", gamma=gamma)
        ax.plot(grid[:, 0], fit.predict(grid), color=colour, label=f"γ = {gamma:g}")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("kernel ridge, RBF kernel, λ = 0.1")
    ax.legend(fontsize=9, ncols=2)
    return fig
