"""Figures for the exploration "A visual guide to the Wasserstein distance" (all numbers computed here)."""

from __future__ import annotations

import numpy as np

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transport.optimal_transport import exact_transport, squared_euclidean_cost
from mlatlas.transport.sinkhorn import sinkhorn_divergence, sinkhorn_log
from mlatlas.transport.wasserstein_distance import wasserstein_1d

# The worked example: three piles of sand and three holes on a line.
PILES = np.array([0.0, 1.0, 3.0])
PILE_MASS = np.array([0.5, 0.3, 0.2])
HOLES = np.array([1.0, 2.0, 4.0])
HOLE_MASS = np.array([0.2, 0.5, 0.3])


def piles_and_holes():
    """The worked 1-D example: the exact plan's moves, each labelled mass × distance, and the total."""
    cost = np.abs(PILES[:, None] - HOLES[None, :])  # |x_i - y_j|, W_1
    result = exact_transport(PILE_MASS, HOLE_MASS, cost)
    w1 = wasserstein_1d(PILES, HOLES, PILE_MASS, HOLE_MASS)
    fig, ax = new_figure(width=7.0, height=3.0)
    ax.bar(PILES, PILE_MASS, width=0.35, color=PALETTE[0], label="piles (mass to move)")
    ax.bar(HOLES, -HOLE_MASS, width=0.35, color=PALETTE[1], label="holes (mass to fill)")
    moves = [(i, j) for i in range(3) for j in range(3) if result.plan[i, j] > 1e-12]
    for k, (i, j) in enumerate(moves):
        height = 0.62 + 0.09 * k
        ax.annotate("", xy=(HOLES[j], height), xytext=(PILES[i], height),
                    arrowprops={"arrowstyle": "->", "color": PALETTE[7], "lw": 1.2})
        ax.text((PILES[i] + HOLES[j]) / 2, height + 0.015,
                f"{result.plan[i, j]:.1f} × {cost[i, j]:g}", ha="center", fontsize=8)
    ax.axhline(0, color=PALETTE[7], lw=0.8)
    terms = " + ".join(f"{result.plan[i, j]:.1f}·{cost[i, j]:g}" for i, j in moves)
    ax.set(xlabel="position", ylabel="mass", ylim=(-0.6, 0.65 + 0.09 * len(moves) + 0.05),
           title=f"W₁ = {terms} = {result.cost:.2f}   (quantile formula: {w1:.2f})")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def shift_sensitivity():
    """Two uniform boxes [0, 1] and [h, 1 + h]: W_1 = h grows smoothly; total variation jumps and
    saturates; KL is infinite as soon as h > 0."""
    shifts = np.linspace(0.0, 3.0, 61)
    grid = np.linspace(-0.5, 4.5, 5001)
    dx = grid[1] - grid[0]
    box = ((grid >= 0) & (grid < 1)).astype(float)
    w1, tv = [], []
    for h in shifts:
        moved = ((grid >= h) & (grid < 1 + h)).astype(float)
        w1.append(wasserstein_1d(grid, grid, box + 1e-300, moved + 1e-300))
        tv.append(0.5 * np.sum(np.abs(box - moved)) * dx)
    fig, ax = new_figure(width=6.4, height=3.0)
    ax.plot(shifts, w1, color=PALETTE[0], label=r"$W_1$ (= h)")
    ax.plot(shifts, tv, color=PALETTE[1], label="total variation")
    ax.annotate("KL = ∞ for every h > 0", xy=(0.05, 1.6), color=PALETTE[3])
    ax.set(xlabel="shift h", ylabel="distance", ylim=(0, 3.1), title="Moving a box by h")
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.85), fontsize=8)
    return fig


def clouds(n: int = 24):
    """Two small 2-D clouds used by the plan figures (seeded)."""
    rng = np.random.default_rng(11)
    x = rng.normal(size=(n, 2)) * np.array([0.9, 0.4])
    angle = rng.uniform(0, 2 * np.pi, n)
    y = np.c_[np.cos(angle), np.sin(angle)] * 1.1 + np.array([3.0, 0.5])
    return x, y


def exact_vs_entropic():
    """The same two clouds joined by the exact plan and by Sinkhorn plans at two ε; line opacity ∝
    mass. Titles give each plan's transport cost <P, C> (costs scaled to [0, 1])."""
    x, y = clouds()
    n = len(x)
    a = b = np.full(n, 1.0 / n)
    cost = squared_euclidean_cost(x, y)
    cost = cost / cost.max()
    plans = [("exact", exact_transport(a, b, cost).plan)]
    for eps in (0.01, 0.1):
        plans.append((f"Sinkhorn, ε = {eps:g}", sinkhorn_log(a, b, cost, eps, num_iters=20_000).plan))
    fig, axes = new_figure(1, 3, width=7.6, height=2.7, sharey=True)
    for ax, (name, plan) in zip(axes, plans):
        top = plan.max()
        for i, j in zip(*np.nonzero(plan > 1e-3 * top)):
            ax.plot([x[i, 0], y[j, 0]], [x[i, 1], y[j, 1]], color=PALETTE[7], lw=0.8, rasterized=True,
                    alpha=float(min(1.0, plan[i, j] / top)))
        ax.scatter(*x.T, s=8, color=PALETTE[0], zorder=3)
        ax.scatter(*y.T, s=8, color=PALETTE[1], zorder=3)
        ax.set(title=f"{name}\n⟨P, C⟩ = {np.sum(plan * cost):.4f}", xticks=[], yticks=[])
    return fig


def worked_plans():
    """A 3 × 3 problem printed in full: the cost matrix, the exact plan and two Sinkhorn plans."""
    a = np.array([0.5, 0.3, 0.2])
    b = np.array([0.2, 0.5, 0.3])
    cost = (PILES[:, None] - HOLES[None, :]) ** 2 / 16.0  # squared distance, scaled to [0, 1]
    panels = [("cost C", cost), ("exact plan", exact_transport(a, b, cost).plan)]
    for eps in (0.05, 0.005):
        panels.append((f"Sinkhorn ε = {eps:g}", sinkhorn_log(a, b, cost, eps, num_iters=20_000).plan))
    fig, axes = new_figure(1, 4, width=7.6, height=2.4)
    for ax, (name, matrix) in zip(axes, panels):
        ax.imshow(matrix, cmap="viridis", vmin=0)
        for (i, j), value in np.ndenumerate(matrix):
            ax.text(j, i, f"{value:.3f}", ha="center", va="center", fontsize=7,
                    color="#f8fafc" if value < 0.6 * matrix.max() else "#0f172a")  # contrast on the cell
        title = name if name == "cost C" else f"{name}\n⟨P, C⟩ = {np.sum(matrix * cost):.5f}"
        ax.set(title=title, xticks=range(3), yticks=range(3))
    return fig


def divergence_vs_eps():
    """As ε → 0 the entropic cost W_ε and the Sinkhorn divergence S_ε approach the exact W_2²;
    the self-term W_ε(α, α) (the entropic blur) goes to 0."""
    x, y = clouds(30)
    exact = exact_transport(np.full(30, 1 / 30), np.full(30, 1 / 30), squared_euclidean_cost(x, y)).cost
    eps_grid = np.geomspace(3.0, 0.03, 10)
    results = [sinkhorn_divergence(x, y, eps, num_iters=20_000) for eps in eps_grid]
    fig, ax = new_figure(width=6.4, height=3.0)
    ax.semilogx(eps_grid, [r.cost_xy for r in results], "o-", color=PALETTE[0],
                label=r"$W_\varepsilon(\alpha,\beta)$")
    ax.semilogx(eps_grid, [r.divergence for r in results], "s-", color=PALETTE[2],
                label=r"$S_\varepsilon(\alpha,\beta)$ (debiased)")
    ax.semilogx(eps_grid, [r.cost_xx for r in results], "^-", color=PALETTE[1],
                label=r"$W_\varepsilon(\alpha,\alpha)$ (blur)")
    ax.axhline(exact, color=PALETTE[7], ls="--", label=rf"exact $W_2^2$ = {exact:.3f}")
    ax.invert_xaxis()
    ax.set(xlabel=r"$\varepsilon$", ylabel="cost", title="Entropy adds blur; debiasing removes its bias")
    ax.legend(loc="center left", fontsize=8)
    return fig
