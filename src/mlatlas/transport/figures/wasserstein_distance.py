"""Figures for the wasserstein-distance chapter."""

from __future__ import annotations

import numpy as np

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transport.wasserstein_distance import quantile_function, wasserstein_1d


def example_samples() -> tuple[np.ndarray, np.ndarray]:
    """A unimodal and a bimodal sample (seeded) used across the 1-D figures."""
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 1.0, size=60)
    y = np.r_[rng.normal(-1.5, 0.4, size=30), rng.normal(2.5, 0.6, size=30)]
    return x, y


def cdf_and_quantiles():
    """Left: the two CDFs and the area between them (= W_1). Right: the quantile functions, whose
    vertical gaps are the distances each quantile of mass travels (W_p averages their p-th powers)."""
    x, y = example_samples()
    fig, (left, right) = new_figure(1, 2, width=7.2, height=3.2)
    grid = np.linspace(-4, 5, 2000)
    f_x = np.searchsorted(np.sort(x), grid, side="right") / x.size
    f_y = np.searchsorted(np.sort(y), grid, side="right") / y.size
    left.step(grid, f_x, where="post", color=PALETTE[0], label=r"$F_\mu$ (unimodal)")
    left.step(grid, f_y, where="post", color=PALETTE[1], label=r"$F_\nu$ (bimodal)")
    left.fill_between(grid, f_x, f_y, step="post", color=PALETTE[2], alpha=0.3,
                      label=rf"area $= W_1 = {wasserstein_1d(x, y):.3f}$")
    left.set(xlabel="x", ylabel="cumulative mass", title="CDFs: W₁ is the area between")
    left.legend(loc="upper left", fontsize=8)
    q = np.linspace(0.0005, 0.9995, 2000)
    qx, qy = quantile_function(x, q), quantile_function(y, q)
    right.plot(q, qx, color=PALETTE[0], label=r"$F_\mu^{-1}$")
    right.plot(q, qy, color=PALETTE[1], label=r"$F_\nu^{-1}$")
    for level in np.linspace(0.05, 0.95, 10):
        ends = [quantile_function(x, [level])[0], quantile_function(y, [level])[0]]
        right.plot([level, level], ends, color=PALETTE[7], lw=1.0)
    right.set(xlabel="quantile level q", ylabel="position",
              title=rf"Quantiles: $W_2 = {wasserstein_1d(x, y, p=2):.3f}$")
    right.legend(loc="upper left", fontsize=8)
    return fig


def sorted_matching():
    """Equal-size uniform samples: sort both and match in order. Crossing lines would cost more."""
    rng = np.random.default_rng(1)
    x, y = np.sort(rng.normal(0, 1, 12)), np.sort(rng.normal(1.5, 0.6, 12))
    fig, ax = new_figure(width=6.4, height=2.4)
    for xi, yi in zip(x, y):
        arrow = {"arrowstyle": "->", "color": PALETTE[7], "lw": 1}
        ax.annotate("", xy=(yi, 0), xytext=(xi, 1), arrowprops=arrow)
    ax.scatter(x, np.ones_like(x), color=PALETTE[0], zorder=3, label="μ (top)")
    ax.scatter(y, np.zeros_like(y), color=PALETTE[1], zorder=3, label="ν (bottom)")
    ax.set(yticks=[], xlabel="x", ylim=(-0.4, 1.6),
           title=rf"k-th smallest → k-th smallest: $W_1 = {wasserstein_1d(x, y):.3f}$")
    ax.spines["left"].set_visible(False)
    ax.legend(loc="upper left", ncols=2, fontsize=8)
    return fig
