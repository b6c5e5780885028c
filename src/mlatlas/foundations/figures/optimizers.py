"""Figures for the optimizers chapter: trajectories on two surfaces, and the warmup-cosine schedule."""

from __future__ import annotations

import numpy as np
import torch

from mlatlas.foundations.optimizers import trajectory_on_surface, warmup_cosine_lr
from mlatlas.foundations.surfaces import get_surface
from mlatlas.plotting import PALETTE, new_figure

# (optimizer, learning rate) per surface, tuned by hand so each method shows its character.
RUNS = {
    "quadratic": [("sgd", 0.07), ("momentum", 0.02), ("nesterov", 0.02), ("rmsprop", 0.1), ("adam", 0.15)],
    "rosenbrock": [("sgd", 2e-3), ("momentum", 1e-3), ("nesterov", 1e-3), ("rmsprop", 1e-2), ("adam", 0.1)],
}
STEPS = {"quadratic": 60, "rosenbrock": 500}


def _contours(ax, name: str) -> None:
    surface = get_surface(name)
    xs = torch.linspace(*surface.xlim, 240, dtype=torch.float64)
    ys = torch.linspace(*surface.ylim, 200, dtype=torch.float64)
    x, y = torch.meshgrid(xs, ys, indexing="xy")  # (200, 240)
    z = surface.f(x, y).numpy()
    levels = np.geomspace(max(z.min(), 1e-2), np.quantile(z, 0.9), 14)  # log-spaced: see the valley floor
    ax.contour(x.numpy(), y.numpy(), z, levels=levels, colors="#94a3b8", linewidths=0.7)
    for mx, my in surface.minima:
        ax.plot(mx, my, marker="*", markersize=11, color=PALETTE[5], zorder=5)
    ax.set_xlim(*surface.xlim)
    ax.set_ylim(*surface.ylim)


def trajectories():
    """SGD, momentum, Nesterov, RMSProp and Adam on the rotated quadratic (κ = 25) and Rosenbrock."""
    fig, axes = new_figure(1, 2, width=9.0, height=4.0)
    for ax, name in zip(axes, ("quadratic", "rosenbrock")):
        _contours(ax, name)
        for colour, (optimizer, lr) in zip(PALETTE, RUNS[name]):
            xs = trajectory_on_surface(optimizer, name, STEPS[name], lr=lr).xs.numpy()
            ax.plot(xs[:, 0], xs[:, 1], color=colour, linewidth=1.3, label=f"{optimizer} (η={lr:g})")
            ax.plot(xs[-1, 0], xs[-1, 1], "o", color=colour, markersize=4)
        start = get_surface(name).start
        ax.plot(*start, "s", color=PALETTE[7], markersize=6)
        title = "rotated quadratic, κ = 25" if name == "quadratic" else "Rosenbrock"
        ax.set_title(f"{title}: {STEPS[name]} steps")
        ax.set_xlabel("x")
        ax.legend(fontsize=7, loc="lower right" if name == "quadratic" else "lower left")
    axes[0].set_ylabel("y")
    return fig


def loss_curves():
    """Loss against step for the same runs (log scale): who gets low, and how fast."""
    fig, axes = new_figure(1, 2, width=9.0, height=3.2)
    for ax, name in zip(axes, ("quadratic", "rosenbrock")):
        for colour, (optimizer, lr) in zip(PALETTE, RUNS[name]):
            losses = trajectory_on_surface(optimizer, name, STEPS[name], lr=lr).losses.numpy()
            ax.semilogy(losses + 1e-16, color=colour, label=optimizer)
        ax.set_title(name)
        ax.set_xlabel("step")
        ax.grid(True)
    axes[0].set_ylabel("f(x)")
    axes[1].legend(fontsize=7)
    return fig


def warmup_cosine_schedule():
    """Linear warmup over 10% of training, then cosine decay to a floor."""
    total, warmup = 1000, 100
    steps = np.arange(total + 1)
    lrs = [warmup_cosine_lr(int(t), base_lr=3e-4, warmup_steps=warmup, total_steps=total, min_lr=3e-5)
           for t in steps]  # fmt: skip
    fig, ax = new_figure(width=6.4, height=2.8)
    ax.plot(steps, lrs, color=PALETTE[0])
    ax.axvline(warmup, color=PALETTE[7], linestyle="--", linewidth=1)
    ax.text(warmup + 10, 3.1e-4, "end of warmup", fontsize=8)
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.set_ylim(0, 3.3e-4)
    ax.grid(True)
    return fig
