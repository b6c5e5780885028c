"""Figures for the gaussian-processes chapter."""

from __future__ import annotations

import numpy as np

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.probabilistic.gaussian_processes import (
    Hyperparameters,
    fit,
    optimise_hyperparameters,
    predict,
    predict_cov,
    toy_data,
)


def posterior_and_evidence():
    """Top: the fitted RBF GP on data with a gap. Bottom: log evidence against length-scale, split into
    its data-fit and complexity terms."""
    X, y = toy_data(0)
    best = optimise_hyperparameters(X, y, Hyperparameters(1.0, 1.0, 1.0), "rbf").params
    post = fit(X, y, best, "rbf")
    grid = np.linspace(-0.5, 10.5, 150)[:, None]
    mean, var = predict(post, grid)
    sd_y = np.sqrt(var + best.noise)
    fig, (top, bottom) = new_figure(2, 1, width=6.4, height=6.6)
    top.fill_between(
        grid[:, 0],
        mean - 2 * sd_y,
        mean + 2 * sd_y,
        color=PALETTE[0],
        alpha=0.2,
        lw=0,
        label="±2 sd of a new y",
    )
    cov = predict_cov(post, grid) + 1e-9 * np.eye(len(grid))  # jitter for the Cholesky of a smooth kernel
    draws = np.random.default_rng(0).multivariate_normal(mean, cov, size=3, method="cholesky")
    for d in draws:
        top.plot(grid[:, 0], d, color=PALETTE[4], lw=0.8, alpha=0.8)
    top.plot(grid[:, 0], mean, color=PALETTE[0], label="posterior mean")
    top.plot(grid[:, 0], np.sin(grid[:, 0]) + grid[:, 0] / 5, ls="--", lw=1, color=PALETTE[7], label="truth")
    top.scatter(X[:, 0], y, s=16, color=PALETTE[1], zorder=3, label="data")
    top.set_title(f"fitted RBF GP: l = {best.lengthscale:.2f}, noise sd = {np.sqrt(best.noise):.2f}")
    top.set_xlabel("x")
    top.legend(loc="upper left", ncols=2, fontsize=8)

    scales = np.logspace(-1, 1.3, 60)
    fit_term, complexity = [], []
    for l in scales:
        p = fit(X, y, Hyperparameters(best.variance, l, best.noise), "rbf")
        fit_term.append(-0.5 * y @ p.alpha)  # data fit
        complexity.append(-np.log(np.diag(p.L)).sum())  # -1/2 log|K_y|
    fit_term, complexity = np.array(fit_term), np.array(complexity)
    const = -0.5 * len(y) * np.log(2 * np.pi)
    bottom.plot(scales, fit_term + complexity + const, color=PALETTE[0], label="log p(y | X)")
    bottom.plot(scales, fit_term, color=PALETTE[1], ls="--", label="data fit  -½ yᵀK⁻¹y")
    bottom.plot(
        scales, complexity + const, color=PALETTE[2], ls=":", label="complexity  -½ log|K| - n/2 log 2π"
    )
    bottom.axvline(best.lengthscale, color=PALETTE[7], lw=1)
    bottom.set_xscale("log")
    bottom.set_ylim(-80, 40)
    bottom.set_xlabel("length-scale l (s² and noise at their fitted values)")
    bottom.set_title("the evidence trades fit against complexity")
    bottom.legend(loc="lower center", fontsize=8)
    return fig
