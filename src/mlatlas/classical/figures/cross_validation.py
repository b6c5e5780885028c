"""Figures for the bias-variance-and-cross-validation chapter."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_diabetes

from mlatlas.classical.cross_validation import bias_variance, cross_val_scores, ridge_mse
from mlatlas.plotting import PALETTE, new_figure


def decomposition_and_cv_curve():
    """Top: bias^2, variance and test error of polynomial fits by degree. Bottom: 5-fold CV error of ridge."""
    r = bias_variance()
    fig, (top, bottom) = new_figure(2, 1, width=6.0, height=7.0)
    top.semilogy(r.degrees, r.bias2, marker="o", color=PALETTE[0], label="bias²")
    top.semilogy(r.degrees, r.variance, marker="s", color=PALETTE[1], label="variance")
    top.semilogy(r.degrees, r.test_mse, marker="^", color=PALETTE[3], label="test error (fresh noise)")
    top.axhline(r.noise, ls="--", lw=1, color=PALETTE[7], label="noise σ² = 0.09")
    top.set_xlabel("polynomial degree")
    top.set_ylabel("mean over x")
    top.set_title("sin(2πx) + noise, 30 points, 200 data sets")
    top.legend(fontsize=9)
    X, y = load_diabetes(return_X_y=True)
    penalties = np.logspace(-4, 1, 21)
    scores = np.array([cross_val_scores(ridge_mse(p), X, y, k=5) for p in penalties])  # (P, 5)
    bottom.semilogx(penalties, scores.mean(1), marker="o", color=PALETTE[0], label="mean of 5 folds")
    bottom.fill_between(
        penalties, scores.min(1), scores.max(1), color=PALETTE[0], alpha=0.2, label="fold range"
    )
    bottom.set_xlabel("ridge penalty λ")
    bottom.set_ylabel("held-out MSE")
    bottom.set_title("diabetes: 5-fold cross-validation of ridge")
    bottom.legend()
    return fig
