"""Figures for the logistic-regression chapter."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_breast_cancer, load_iris

from mlatlas.classical.logistic_regression import gradient_descent, newton, softmax_regression
from mlatlas.plotting import PALETTE, new_figure


def _standardised(loader):
    X, y = loader(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y


def newton_vs_descent_and_softmax_regions():
    """Top: gap to the optimum, Newton vs gradient descent. Bottom: softmax regions on iris."""
    X, y = _standardised(load_breast_cancer)
    exact = newton(X, y, l2=1.0)
    gd = gradient_descent(X, y, l2=1.0, steps=2000)
    best = exact.losses[-1]
    fig, (top, bottom) = new_figure(2, 1, width=6.0, height=7.4)
    gaps = exact.losses[:-1] - best
    top.semilogy(
        np.arange(len(gaps)),
        np.where(gaps > 1e-13, gaps, np.nan),
        marker="o",
        color=PALETTE[0],
        label="Newton (IRLS)",
    )
    top.semilogy(gd.losses - best, color=PALETTE[1], label="gradient descent, step 1/L")
    top.set_xscale("symlog", linthresh=10)
    top.set_xlabel("iteration")
    top.set_ylabel("objective − optimum")
    top.set_title("breast cancer (569 × 30), λ = 1")
    top.legend()
    Xi, yi = _standardised(load_iris)
    Xi = Xi[:, 2:4]  # petal length and width: two features, so the regions can be drawn
    fit = softmax_regression(Xi, yi, l2=1.0)
    g0, g1 = np.meshgrid(np.linspace(-2, 2, 200), np.linspace(-2, 2, 200))
    grid = np.stack([g0.ravel(), g1.ravel()], axis=1)
    proba = fit.predict_proba(grid)  # (G, 3)
    colours = np.array([[int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in PALETTE[:3]])
    image = (proba @ colours).reshape(200, 200, 3)
    bottom.imshow(image, origin="lower", extent=(-2, 2, -2, 2), alpha=0.35, aspect="auto")
    for k, name in enumerate(("setosa", "versicolor", "virginica")):
        bottom.scatter(*Xi[yi == k].T, s=14, color=PALETTE[k], edgecolors="none", label=name)
    bottom.set_xlabel("petal length (standardised)")
    bottom.set_ylabel("petal width (standardised)")
    bottom.set_title("softmax regression: colour mixes the three probabilities")
    bottom.legend(loc="upper left")
    return fig
