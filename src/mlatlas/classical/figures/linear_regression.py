"""Figures for the linear-regression chapter."""

from __future__ import annotations

import numpy as np

from mlatlas.classical.linear_regression import conditioning_experiment, gradient_descent, normal_equations
from mlatlas.plotting import PALETTE, new_figure


def conditioning_and_descent():
    """Top: coefficient error of normal equations vs QR as cond(X) grows. Bottom: gradient descent's gap."""
    r = conditioning_experiment()
    fig, (top, bottom) = new_figure(2, 1, width=6.0, height=7.0)
    top.loglog(r["cond"], r["normal"], marker="o", color=PALETTE[1], label="normal equations")
    top.loglog(r["cond"], r["qr"], marker="s", color=PALETTE[0], label="QR")
    eps = np.finfo(np.float64).eps
    top.loglog(r["cond"], r["cond"] * eps, ls="--", lw=1, color=PALETTE[0], label="cond · ε")
    top.loglog(r["cond"], r["cond"] ** 2 * eps, ls="--", lw=1, color=PALETTE[1], label="cond² · ε")
    top.set_ylim(1e-17, 1e2)
    top.set_xlabel("condition number of X (polynomials of degree 2 to 12)")
    top.set_ylabel("relative error of w")
    top.set_title("round-off only: y = X w exactly")
    top.legend(fontsize=9)
    rng = np.random.default_rng(0)
    # one direction ~25x flatter in curvature (this sample: 23.7x)
    X = rng.normal(size=(200, 2)) * np.array([1.0, 0.2])
    y = X @ np.array([1.0, -2.0]) + 0.3 * rng.normal(size=200)
    for l2, colour in ((0.0, PALETTE[0]), (20.0, PALETTE[2])):
        gd = gradient_descent(X, y, l2=l2, steps=300)
        exact = normal_equations(X, y, l2=l2)
        Xc, yc = X - X.mean(0), y - y.mean()
        best = (np.sum((Xc @ exact.coef - yc) ** 2) + l2 * exact.coef @ exact.coef) / len(y)
        gap = gd.losses - best
        gap = np.where(gap > 1e-14, gap, np.nan)  # below that it is round-off in the subtraction
        bottom.semilogy(gap, color=colour, label=f"λ = {l2:g}")
    bottom.set_xlabel("gradient-descent step (step size 1/L)")
    bottom.set_ylabel("loss − closed-form optimum")
    bottom.set_title("gradient descent: linear convergence, faster with ridge")
    bottom.legend()
    return fig
