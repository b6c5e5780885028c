"""Figures for the monte-carlo chapter."""

from __future__ import annotations

import math

import numpy as np

from mlatlas.foundations import monte_carlo as mc
from mlatlas.plotting import PALETTE, new_figure

SIZES = [40, 100, 400, 1000, 4000, 10_000]
REPEATS = 30


def _rmse(estimator, exact: float, rng: np.random.Generator) -> list[float]:
    return [float(np.sqrt(np.mean([(estimator(n, rng).value - exact) ** 2 for _ in range(REPEATS)])))
            for n in SIZES]


def convergence():
    """Root-mean-square error against sample size: four estimators of int_0^1 e^x dx (left) and plain
    versus importance sampling for the Gaussian tail P(Z > 3) (right, relative error)."""
    fig, (ax_int, ax_tail) = new_figure(1, 2, width=8.0, height=3.5)
    rng = np.random.default_rng(0)
    exact = math.e - 1
    estimators = {
        "plain": lambda n, g: mc.plain(np.exp, 0.0, 1.0, n, g),
        "antithetic": lambda n, g: mc.antithetic(np.exp, 0.0, 1.0, n, g),
        "control variate 1 + x": lambda n, g: mc.control_variate(np.exp, np.poly1d([1, 1]), 1.5, 0, 1, n, g),
        "stratified, 20 cells": lambda n, g: mc.stratified(np.exp, 0.0, 1.0, n, g, strata=20),
    }
    for k, (name, est) in enumerate(estimators.items()):
        ax_int.loglog(SIZES, _rmse(est, exact, rng), "o-", color=PALETTE[k], markersize=3, label=name)
    ref = np.array(SIZES, dtype=float)
    ax_int.loglog(ref, 0.5 / np.sqrt(ref), color=PALETTE[7], linestyle=":", label=r"slope $n^{-1/2}$")
    ax_int.set(xlabel="evaluations n", ylabel="RMS error",
               title=r"$\int_0^1 e^x\,dx$: same rate, smaller constant")
    ax_int.legend(fontsize=7)

    t = 3.0
    tail = mc.gaussian_tail_exact(t)
    for k, shift in enumerate([False, True]):
        rmse = _rmse(lambda n, g, s=shift: mc.gaussian_tail(t, n, g, shift=s), tail, rng)
        label = "importance sampling from N(3, 1)" if shift else "plain sampling from N(0, 1)"
        ax_tail.loglog(SIZES, np.array(rmse) / tail, "o-", color=PALETTE[k + 4], markersize=3, label=label)
    ax_tail.set(xlabel="samples n", ylabel="relative RMS error",
                title=f"P(Z > 3) = {tail:.2e}")
    ax_tail.legend(fontsize=7)
    return fig
