"""Figures for the neural-networks chapter."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap

from mlatlas.foundations import neural_networks as nn_
from mlatlas.plotting import PALETTE, new_figure


def decision_boundary():
    """A 2-16-16-1 tanh MLP trained on two moons: its decision regions, and loss / accuracy per step."""
    rng = np.random.default_rng(0)
    x, y = nn_.make_dataset("moons", 200, rng, noise=0.1)
    params = nn_.init_mlp([2, 16, 16, 1], rng, "tanh")
    result = nn_.train(params, x, y, steps=1000, lr=0.5, l2=1e-4)

    fig, (ax_map, ax_loss) = new_figure(1, 2, width=8.0, height=3.5)
    gx, gy = np.meshgrid(np.linspace(-1.5, 2.5, 161), np.linspace(-1.0, 1.5, 101))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    p = nn_.sigmoid(nn_.forward(result.params, grid, "tanh").logits).reshape(gx.shape)
    cmap = ListedColormap([PALETTE[0], PALETTE[1]])
    ax_map.contourf(gx, gy, p, levels=[0.0, 0.5, 1.0], cmap=cmap, alpha=0.18)
    ax_map.contour(gx, gy, p, levels=[0.5], colors=[PALETTE[7]], linewidths=1.2)
    for label in (0, 1):
        pts = x[y == label]
        ax_map.scatter(pts[:, 0], pts[:, 1], s=9, color=PALETTE[label], label=f"class {label}")
    ax_map.set(xlabel="$x_1$", ylabel="$x_2$", title="decision boundary after 1000 steps")
    ax_map.legend(loc="lower left", fontsize=8)

    steps = np.arange(len(result.losses))
    ax_loss.semilogy(steps, result.losses, color=PALETTE[0], label="training loss (BCE + L2)")
    ax_loss.set(xlabel="gradient step", ylabel="loss", title="loss and accuracy")
    ax_acc = ax_loss.twinx()
    ax_acc.plot(steps, result.accuracies, color=PALETTE[1], label="training accuracy")
    ax_acc.set_ylim(0.3, 1.02)
    ax_acc.set_ylabel("accuracy")
    ax_acc.spines["right"].set_visible(True)
    lines = ax_loss.get_lines() + ax_acc.get_lines()
    ax_loss.legend(lines, [ln.get_label() for ln in lines], loc="center right", fontsize=8)
    return fig
