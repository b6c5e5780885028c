"""Figures for the bayesian-inference chapter."""

from __future__ import annotations

import numpy as np

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.probabilistic.bayesian_inference import (
    linear_regression_posterior,
    linear_regression_predictive,
    prior_pull,
)


def prior_pull_and_predictive():
    """Top: two priors on a coin's bias converge as tosses accrue. Bottom: a Bayesian line's band."""
    rng = np.random.default_rng(0)
    tosses = (rng.random(1000) < 0.7).astype(int)
    ns = np.unique(np.round(np.logspace(0, 3, 40)).astype(int))
    fig, (top, bottom) = new_figure(2, 1, width=6.4, height=6.4)
    for (a, b), colour, name in [
        ((1, 1), PALETTE[0], "flat Beta(1, 1)"),
        ((30, 70), PALETTE[1], "Beta(30, 70)"),
    ]:
        pull = prior_pull(a, b, tosses, ns)
        top.fill_between(ns, pull.lower, pull.upper, color=colour, alpha=0.25, lw=0)
        top.plot(ns, pull.mean, color=colour, label=f"prior {name}")
    top.axhline(0.7, ls="--", lw=1, color=PALETTE[7], label="true p = 0.7")
    top.set_xscale("log")
    top.set_xlabel("tosses seen, n")
    top.set_ylabel("p: mean and 95% interval")
    top.set_title("the prior's pull fades like 1/n")
    top.legend(loc="lower right")

    x = rng.uniform(-1.0, 0.0, size=8)  # data only on the left part of the range
    sigma_sq = 0.3**2
    y = 0.5 + 1.5 * x + np.sqrt(sigma_sq) * rng.standard_normal(8)
    features = lambda t: np.stack([np.ones_like(t), t], axis=1)  # noqa: E731  (1, x)
    post = linear_regression_posterior(features(x), y, np.zeros(2), np.eye(2), sigma_sq)
    grid = np.linspace(-1.5, 2.5, 200)
    mean, var = linear_regression_predictive(post, features(grid), sigma_sq)
    sd = np.sqrt(var)
    bottom.fill_between(
        grid, mean - 2 * sd, mean + 2 * sd, color=PALETTE[0], alpha=0.25, lw=0, label="predictive ±2 sd"
    )
    bottom.plot(grid, mean, color=PALETTE[0], label="predictive mean")
    for w in np.random.default_rng(1).multivariate_normal(post.mean, post.cov, size=5):
        bottom.plot(grid, features(grid) @ w, color=PALETTE[4], lw=0.8, alpha=0.7)
    bottom.scatter(x, y, color=PALETTE[1], zorder=3, s=18, label="data")
    bottom.set_xlabel("x")
    bottom.set_ylabel("y")
    bottom.set_title("Bayesian linear regression: uncertainty grows away from the data")
    bottom.legend(loc="upper left")
    return fig
