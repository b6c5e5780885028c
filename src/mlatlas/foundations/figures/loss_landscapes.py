"""Figures for the loss-landscapes chapter."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm

from mlatlas.foundations import loss_landscapes as ll
from mlatlas.foundations import neural_networks as nn_
from mlatlas.plotting import PALETTE, new_figure


def _trained_moons():
    rng = np.random.default_rng(0)
    x, y = nn_.make_dataset("moons", 200, rng, noise=0.1)
    start = nn_.init_mlp([2, 16, 16, 1], rng, "tanh")
    trained = nn_.train(start, x, y, steps=1000, lr=0.5).params

    def loss(p):
        return nn_.loss_and_gradients(p, x, y, activation="tanh").loss

    return start, trained, loss, rng


def interpolation_and_slice():
    """Left: the loss along the straight line from initialisation (alpha = 0) to the trained network
    (alpha = 1) and beyond. Right: a filter-normalised 2-D slice around the trained network."""
    start, trained, loss, rng = _trained_moons()
    fig, (ax_line, ax_map) = new_figure(1, 2, width=8.0, height=3.5)

    curve = ll.linear_path(loss, start, trained, np.linspace(-0.5, 1.5, 81))
    ax_line.semilogy(curve.alphas, curve.losses, color=PALETTE[0])
    ax_line.plot([0, 1], [curve.losses[20], curve.losses[60]], "o", color=PALETTE[1], markersize=5)
    ax_line.annotate("initialisation", (0, curve.losses[20]), textcoords="offset points", xytext=(6, 6),
                     fontsize=8)
    ax_line.annotate("trained", (1, curve.losses[60]), textcoords="offset points", xytext=(-10, -14),
                     fontsize=8, ha="right")
    ax_line.set(xlabel=r"$\alpha$ in $(1-\alpha)\,\theta_0 + \alpha\,\theta_1$", ylabel="training loss",
                title="1-D: straight line from init to solution")

    d1 = ll.filter_normalize(ll.random_direction(trained, rng), trained)
    d2 = ll.filter_normalize(ll.random_direction(trained, rng), trained)
    grid = np.linspace(-1.0, 1.0, 41)
    surface = ll.slice_2d(loss, trained, d1, d2, grid, grid)
    levels = np.geomspace(surface.losses.min(), surface.losses.max(), 14)
    cs = ax_map.contourf(grid, grid, surface.losses, levels=levels, norm=LogNorm(), cmap="viridis")
    ax_map.contour(grid, grid, surface.losses, levels=levels, colors=[PALETTE[7]], linewidths=0.4)
    ax_map.plot([0], [0], "*", color=PALETTE[1], markersize=10)
    ax_map.set_aspect("equal")
    ax_map.set(xlabel=r"$\alpha$ (filter-normalised $d_1$)", ylabel=r"$\beta$ (filter-normalised $d_2$)",
               title="2-D slice around the solution")
    cbar = fig.colorbar(cs, ax=ax_map, shrink=0.9)
    cbar.set_label("training loss (log scale)")
    cbar.ax.minorticks_off()
    cbar.set_ticks(levels[::3], labels=[f"{v:.2g}" for v in levels[::3]])
    return fig
