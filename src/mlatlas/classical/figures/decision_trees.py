"""Figures and quoted numbers for the decision-trees-and-boosting chapter."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from mlatlas.classical.decision_trees import LEAF, gradient_boosting, grow_tree
from mlatlas.plotting import PALETTE, new_figure


def ring_data(n: int = 200, seed: int = 0):
    """Gaussian points in 2-D, class 1 inside a circle of radius 1.2 with 10% of labels flipped."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (np.sum(X**2, axis=1) < 1.2**2).astype(int)
    flip = rng.random(n) < 0.1
    return X, np.where(flip, 1 - y, y)


def wave_data(n: int = 300, seed: int = 1):
    """y = sin(2 x1) + x2 + noise (sd 0.3) on Gaussian inputs in 3-D."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    return X, np.sin(2 * X[:, 0]) + X[:, 1] + 0.3 * rng.normal(size=n)


RATES = (1.0, 0.1)


@lru_cache(maxsize=1)
def _fits():
    X, y = ring_data()
    tree = grow_tree(X, y, "gini", max_depth=3)
    Xb, yb = wave_data()
    Xt, yt = wave_data(seed=2)
    boosts = {lr: gradient_boosting(Xb, yb, 100, lr, max_depth=2) for lr in RATES}
    test = {}  # test MSE after each stage: F_m = F_0 + lr * (h_1 + ... + h_m)
    for lr, b in boosts.items():
        F = b.init + lr * np.cumsum([t.predict(Xt) for t in b.trees], axis=0)  # (stages, N)
        test[lr] = np.mean((F - yt) ** 2, axis=1)
    return (X, y, tree), boosts, test


def fit_stats():
    """Numbers quoted on the page: the depth-3 tree's size and accuracy, boosting's train and test MSE."""
    (X, y, tree), boosts, test = _fits()
    return {
        "n": len(y),
        "leaves": int(np.sum(np.array(tree.feature) == LEAF)),
        "train_acc": float(np.mean(tree.predict(X) == y)),
        "fast_train": float(boosts[1.0].train_loss[-1]),
        "fast_test": float(test[1.0][-1]),
        "fast_best_stage": int(np.argmin(test[1.0]) + 1),
        "slow_train": float(boosts[0.1].train_loss[-1]),
        "slow_test": float(test[0.1][-1]),
    }


def tree_partition_and_boosting_curve():
    """Top: the boxes of a depth-3 Gini tree on 2-D data. Bottom: boosting's train and test MSE by stage."""
    (X, y, tree), boosts, test = _fits()
    fig, (ax, bx) = new_figure(2, 1, width=6.0, height=9.0)
    g = np.linspace(-3.2, 3.2, 200)
    gx, gy = np.meshgrid(g, g)
    region = tree.predict(np.c_[gx.ravel(), gy.ravel()]).reshape(gx.shape)
    ax.contourf(gx, gy, region, levels=[-0.5, 0.5, 1.5], colors=[PALETTE[1], PALETTE[0]], alpha=0.15)
    ax.contour(gx, gy, region, levels=[0.5], colors=[PALETTE[7]], linewidths=1.5)
    ax.scatter(*X[y == 1].T, s=18, color=PALETTE[0], label="class 1 (inside the circle)")
    ax.scatter(*X[y == 0].T, s=18, color=PALETTE[1], marker="s", label="class 0")
    t = np.linspace(0, 2 * np.pi, 200)
    ax.plot(1.2 * np.cos(t), 1.2 * np.sin(t), color=PALETTE[7], linestyle=":", label="true boundary")
    ax.set_xlim(-3.2, 3.2)
    ax.set_ylim(-3.2, 3.2)
    ax.set_aspect("equal")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_title("a depth-3 CART tree (Gini): axis-aligned boxes")
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    stages = np.arange(1, 101)
    for color, lr in zip((PALETTE[3], PALETTE[2]), RATES):
        bx.plot(stages, boosts[lr].train_loss, color=color, label=f"train, learning rate {lr:g}")
        bx.plot(stages, test[lr], color=color, linestyle="--", label=f"test, learning rate {lr:g}")
    bx.set_yscale("log")
    bx.set_xlabel("boosting stage (trees of depth 2)")
    bx.set_ylabel("mean squared error")
    bx.set_title("gradient boosting for squared error")
    bx.legend(fontsize=9)
    return fig
