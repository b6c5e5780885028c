"""Figures and quoted numbers for the support-vector-machines chapter."""

from __future__ import annotations

import numpy as np

from mlatlas.classical.support_vector_machines import svc
from mlatlas.plotting import PALETTE, new_figure


def two_clouds(n: int, shift: float, seed: int):
    """Two Gaussian clouds of n points each around (+shift, +shift) and (-shift, -shift); labels +1, -1."""
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(size=(n, 2)) + shift, rng.normal(size=(n, 2)) - shift])
    return X, np.r_[np.ones(n), -np.ones(n)]


def _fits():
    X_sep, y_sep = two_clouds(20, 2.5, 0)
    X_soft, y_soft = two_clouds(30, 0.8, 1)
    hard = svc(X_sep, y_sep, C=1e3, kernel="linear")
    soft = svc(X_soft, y_soft, C=1.0, kernel="rbf", gamma=0.5)
    return hard, soft


def fit_stats():
    """Numbers quoted on the page: sizes, support vectors, multipliers at C, SMO steps, margin width."""
    hard, soft = _fits()
    w = hard.dual_coef @ hard.X_train[hard.support]  # linear kernel: w = sum_i y_i alpha_i x_i
    return {
        "hard_n": len(hard.y),
        "hard_sv": len(hard.support),
        "hard_steps": hard.iterations,
        "hard_width": float(2 / np.linalg.norm(w)),  # the band between f = -1 and f = +1
        "soft_n": len(soft.y),
        "soft_sv": len(soft.support),
        "soft_at_C": int(np.sum(soft.alpha == soft.C)),
        "soft_steps": soft.iterations,
    }


def boundary_margins_and_support_vectors():
    """Top: a separable case, linear kernel. Bottom: overlapping clouds, RBF kernel, C = 1."""
    fits = _fits()
    titles = ("separable, linear kernel, C = 1000", "overlapping, RBF kernel (γ = 0.5), C = 1")
    fig, axes = new_figure(2, 1, width=6.0, height=9.0)
    g = np.linspace(-5, 5, 160)
    gx, gy = np.meshgrid(g, g)
    for ax, fit, title, corner in zip(axes, fits, titles, ("lower right", "upper left")):
        f = fit.decision_function(np.c_[gx.ravel(), gy.ravel()]).reshape(gx.shape)
        ax.contourf(gx, gy, f, levels=[-1e9, 0, 1e9], colors=[PALETTE[1], PALETTE[0]], alpha=0.12)
        ax.contour(gx, gy, f, levels=[0], colors=[PALETTE[7]], linewidths=2)
        ax.contour(gx, gy, f, levels=[-1, 1], colors=[PALETTE[7]], linewidths=1, linestyles="--")
        X, y = fit.X_train, fit.y
        ax.scatter(*X[y > 0].T, s=22, color=PALETTE[0], label="y = +1")
        ax.scatter(*X[y < 0].T, s=22, color=PALETTE[1], marker="s", label="y = −1")
        at_C = fit.alpha == fit.C
        s = fit.support
        ax.scatter(
            *X[s[~at_C[s]]].T,
            s=150,
            facecolors="none",
            edgecolors=PALETTE[2],
            linewidths=1.8,
            label="support vector, 0 < α < C",
        )
        if at_C.any():
            ax.scatter(
                *X[at_C].T,
                s=150,
                facecolors="none",
                edgecolors=PALETTE[3],
                linewidths=1.8,
                label="support vector, α = C",
            )
        ax.set_xlim(-5, 5)
        ax.set_ylim(-5, 5)
        ax.set_aspect("equal")
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")
        ax.set_title(title)
        ax.legend(fontsize=9, loc=corner)  # the corner with no points
    return fig
