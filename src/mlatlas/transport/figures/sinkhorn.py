"""Figures for the sinkhorn chapter."""

from __future__ import annotations

import warnings

import numpy as np

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transport.optimal_transport import exact_transport, squared_euclidean_cost
from mlatlas.transport.sinkhorn import sinkhorn_knopp, sinkhorn_log


def _one_d_problem(n: int = 60):
    """Sorted 1-D samples, so a good plan hugs the diagonal; costs scaled to [0, 1]."""
    rng = np.random.default_rng(5)
    x = np.sort(rng.normal(0, 1, n))
    y = np.sort(np.r_[rng.normal(-1.5, 0.4, n // 2), rng.normal(1.5, 0.5, n - n // 2)])
    cost = (x[:, None] - y[None, :]) ** 2
    return np.full(n, 1 / n), np.full(n, 1 / n), cost / cost.max()


def plans_by_eps():
    """The entropic plan at ε = 0.1, 0.01, 0.001 (log domain) beside the exact plan."""
    a, b, cost = _one_d_problem()
    fig, axes = new_figure(1, 4, width=7.6, height=2.4)
    plans = [(rf"$\varepsilon$ = {eps:g}", sinkhorn_log(a, b, cost, eps, num_iters=20_000, tol=1e-9).plan)
             for eps in (0.1, 0.01, 0.001)]
    plans.append(("exact", exact_transport(a, b, cost).plan))
    for ax, (title, plan) in zip(axes, plans):
        ax.imshow(plan, cmap="viridis", interpolation="nearest")
        ax.set(title=title, xticks=[], yticks=[])
    axes[0].set(ylabel="source i (sorted)")
    return fig


def translated_ring(n: int = 40, shift: float = 30.0):
    """A ring and the same ring far away, costs scaled to [0, 1]: every nearest neighbour costs > 0.7."""
    angle = 2 * np.pi * np.arange(n) / n
    x = np.c_[np.cos(angle), np.sin(angle)]
    y = x[::-1] + np.array([shift, 0.0])
    cost = squared_euclidean_cost(x, y)
    return np.full(n, 1 / n), np.full(n, 1 / n), cost / cost.max()


EPS_GRID = np.geomspace(1e-1, 1e-3, 13)


def kernel_underflow():
    """Left: the fraction of kernel entries exp(-C/ε) that are exactly 0.0 in float64. Right: the
    L1 marginal error each method reaches (NaN drawn at the top): the kernel version breaks once a
    whole row of the kernel underflows; the log domain reaches the asked 1e-9 at every ε."""
    fig, (frac, err) = new_figure(1, 2, width=7.2, height=3.2)
    problems = {"ring and its far translate": translated_ring(), "two 1-D samples": _one_d_problem()}
    for color, (name, (_, _, cost)) in zip(PALETTE, problems.items()):
        zeros = [np.mean(np.exp(-cost / eps) == 0.0) for eps in EPS_GRID]
        frac.semilogx(EPS_GRID, zeros, "o-", color=color, label=name)
    frac.set(xlabel=r"$\varepsilon$ (costs in [0, 1])", ylabel="fraction of K that is 0.0",
             title=r"Underflow of $K = e^{-C/\varepsilon}$")
    frac.invert_xaxis()
    frac.legend(loc="upper left", fontsize=8)
    a, b, cost = translated_ring()
    plain, log = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the kernel version's NaN is the point here
        for eps in EPS_GRID:
            plain.append(sinkhorn_knopp(a, b, cost, eps, num_iters=5000).marginal_error)
            log.append(sinkhorn_log(a, b, cost, eps, num_iters=5000).marginal_error)
    plain = np.array(plain)
    nan = ~np.isfinite(plain)
    err.loglog(EPS_GRID[~nan], plain[~nan], "o-", color=PALETTE[3], label="kernel (sinkhorn_knopp)")
    err.loglog(EPS_GRID[nan], np.full(nan.sum(), 1.0), "x", color=PALETTE[3], ms=9, label="kernel: NaN")
    err.loglog(EPS_GRID, np.maximum(log, 1e-17), "s-", color=PALETTE[2], label="log domain (sinkhorn_log)")
    err.axhline(1e-9, color=PALETTE[7], ls="--", lw=1, label="asked tolerance 1e-9")
    err.set(xlabel=r"$\varepsilon$", ylabel="L1 marginal error", title="Ring problem: who survives",
            ylim=(1e-18, 10))
    err.invert_xaxis()
    err.legend(loc="lower left", fontsize=7)
    return fig


def convergence():
    """Marginal error against iterations for several ε: smaller ε, slower (linear) convergence."""
    a, b, cost = _one_d_problem()
    fig, ax = new_figure(width=6.4, height=3.0)
    for color, eps in zip(PALETTE, (0.1, 0.03, 0.01, 0.003)):
        counts = np.unique(np.geomspace(1, 2000, 12).astype(int))
        errors = [sinkhorn_log(a, b, cost, eps, num_iters=int(k), tol=0).marginal_error for k in counts]
        ax.loglog(counts, np.maximum(errors, 1e-17), color=color, label=rf"$\varepsilon$ = {eps:g}")
    ax.set(xlabel="iterations", ylabel="L1 marginal error",
           title="Sinkhorn converges linearly, slower for small ε")
    ax.legend(loc="lower left", fontsize=8)
    return fig
