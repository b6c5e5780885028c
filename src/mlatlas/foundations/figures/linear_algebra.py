"""Figures for the linear-algebra chapter."""

from __future__ import annotations

import numpy as np

from mlatlas.foundations import linear_algebra as la
from mlatlas.plotting import PALETTE, new_figure


def power_iteration_and_pca():
    """Left: power-iteration residuals for three eigenvalue ratios, against the predicted rate.
    Right: a correlated 2-D point cloud with its principal axes drawn to two standard deviations."""
    fig, (ax_conv, ax_pca) = new_figure(1, 2, width=8.0, height=3.5)
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    for k, ratio in enumerate([0.5, 0.8, 0.95]):
        lam = np.array([1.0, ratio, *np.linspace(0.4, 0.1, 6) * ratio])
        A = (Q * lam) @ Q.T
        res = la.power_iteration(A, np.random.default_rng(1), max_iter=1000, tol=1e-12)
        t = np.arange(1, len(res.residuals) + 1)
        ax_conv.semilogy(t, res.residuals, color=PALETTE[k], label=f"$|\\lambda_2/\\lambda_1|$ = {ratio:g}")
        anchor = 10  # after a few steps only the second eigenvector's component is left
        ax_conv.semilogy(t, res.residuals[anchor - 1] * ratio ** (t - anchor), color=PALETTE[7],
                         linestyle=(0, (2, 2)), linewidth=1.2, zorder=3)
    ax_conv.set(xlabel="iteration", ylabel=r"residual $\|Av - \lambda v\|$", ylim=(1e-13, 2),
                title="power iteration (dotted: rate $|\\lambda_2/\\lambda_1|^t$)", xlim=(0, 460))
    ax_conv.legend(fontsize=8)

    cov = np.array([[3.0, 1.6], [1.6, 1.2]])
    X = rng.multivariate_normal([1.0, -0.5], cov, size=400)
    res = la.pca(X, 2)
    ax_pca.scatter(X[:, 0], X[:, 1], s=6, color=PALETTE[7], alpha=0.5)
    for i in range(2):
        axis = 2 * res.components[i] * np.sqrt(res.explained_variance[i])
        ax_pca.annotate("", xy=res.mean + axis, xytext=res.mean,
                        arrowprops=dict(arrowstyle="-|>", color=PALETTE[i], linewidth=2.5))
        ax_pca.plot([], [], color=PALETTE[i],
                    label=f"PC{i + 1}: {100 * res.explained_variance_ratio[i]:.1f}% of variance")
    ax_pca.set_aspect("equal")
    ax_pca.set(xlabel="$x_1$", ylabel="$x_2$", title="PCA: the covariance's eigenvectors")
    ax_pca.legend(fontsize=8, loc="lower right")
    return fig
