"""Figures for the optimal-transport chapter."""

from __future__ import annotations

import numpy as np

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transport.optimal_transport import exact_transport, squared_euclidean_cost


def example_problem():
    """Two small weighted clouds (seeded): 10 sources, 7 targets, unequal weights."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(10, 2)) * 0.6
    y = rng.normal(size=(7, 2)) * 0.8 + np.array([2.5, 0.8])
    a, b = rng.random(10) + 0.2, rng.random(7) + 0.2
    return x, y, a / a.sum(), b / b.sum()


def exact_plan():
    """Left: the clouds (marker area ∝ mass) and the exact plan's arrows (width ∝ mass moved).
    Right: the plan as a matrix; at most M + N - 1 cells are non-zero."""
    x, y, a, b = example_problem()
    result = exact_transport(a, b, squared_euclidean_cost(x, y))
    fig, (ax, mat) = new_figure(1, 2, width=7.2, height=3.3, gridspec_kw={"width_ratios": [3, 2]})
    for i, j in zip(*np.nonzero(result.plan > 1e-12)):
        ax.plot([x[i, 0], y[j, 0]], [x[i, 1], y[j, 1]], color=PALETTE[7],
                lw=0.5 + 25 * result.plan[i, j], alpha=0.7, zorder=1)
    ax.scatter(*x.T, s=1500 * a, color=PALETTE[0], label="sources (a)", zorder=2)
    ax.scatter(*y.T, s=1500 * b, color=PALETTE[1], label="targets (b)", zorder=2)
    ax.set(aspect="equal", title=f"Exact plan, cost ⟨P, C⟩ = {result.cost:.3f}")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncols=2, fontsize=8)
    image = mat.imshow(result.plan, cmap="viridis", aspect="auto")
    nonzero = int(np.count_nonzero(result.plan > 1e-15))
    mat.set(xlabel="target j", ylabel="source i",
            title=f"{nonzero} non-zero cells ≤ M+N−1 = {len(a) + len(b) - 1}")
    fig.colorbar(image, ax=mat, shrink=0.8, label="mass")
    return fig
