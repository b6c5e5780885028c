"""The Wasserstein distance in one dimension, by quantile functions.

Paper: Villani, 2009, "Optimal Transport: Old and New" (Springer; Remark 2.19 on the real line), and
Peyré & Cuturi, 2019, "Computational Optimal Transport", arXiv:1803.00567, Remark 2.30.
On the real line the optimal plan is monotone: match the q-th quantile of one distribution to the
q-th quantile of the other, so W_p^p = ∫_0^1 |F^{-1}(q) - G^{-1}(q)|^p dq, computable by sorting.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def _weighted_sample(
    values: ArrayLike, weights: ArrayLike | None, name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a 1-D weighted sample; return (values, weights) sorted by value, weights summing to 1."""
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"{name}_values must be a non-empty 1-D array, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name}_values contains NaN or infinity; drop or impute those points first")
    if weights is None:
        w = np.full(x.size, 1.0 / x.size)
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != x.shape:
            raise ValueError(f"{name}_weights has shape {w.shape} but {name}_values has shape {x.shape}")
        if np.any(w < 0) or not np.all(np.isfinite(w)):
            raise ValueError(f"{name}_weights must be finite and non-negative")
        total = w.sum()
        if total <= 0:
            raise ValueError(f"{name}_weights sum to zero; give at least one point positive weight")
        w = w / total
    order = np.argsort(x, kind="stable")
    return x[order], w[order]


def quantile_function(values: ArrayLike, q: ArrayLike, weights: ArrayLike | None = None) -> np.ndarray:
    """The (left-continuous) quantile function F^{-1}(q) = inf{x : F(x) ≥ q} of a weighted sample.

    values, weights: (N,); q: any shape with entries in [0, 1]. Returns an array shaped like q.
    """
    x, w = _weighted_sample(values, weights, "u")
    q = np.asarray(q, dtype=np.float64)
    if np.any((q < 0) | (q > 1)):
        raise ValueError("quantile levels q must lie in [0, 1]")
    cdf = np.cumsum(w)  # F at each sorted support point
    cdf[-1] = 1.0  # remove round-off so q = 1 maps to the largest point
    index = np.searchsorted(cdf, q, side="left")  # first point with F(x) ≥ q
    return x[np.minimum(index, x.size - 1)]


def wasserstein_1d(
    u_values: ArrayLike,
    v_values: ArrayLike,
    u_weights: ArrayLike | None = None,
    v_weights: ArrayLike | None = None,
    p: float = 1.0,
) -> float:
    """W_p between two weighted samples on the real line.

    W_p(μ, ν) = ( ∫_0^1 |F_μ^{-1}(q) - F_ν^{-1}(q)|^p dq )^{1/p}        (Peyré & Cuturi, Remark 2.30)

    Both quantile functions are step functions, constant between consecutive levels of the merged
    cumulative weights, so the integral is an exact finite sum. u_values: (N,), v_values: (M,);
    weights default to uniform and are normalised to sum to 1. Cost O((N + M) log(N + M)).
    """
    if not (np.isfinite(p) and p >= 1):
        raise ValueError(f"p must be a finite number ≥ 1 (W_p is a metric only then), got {p}")
    x, a = _weighted_sample(u_values, u_weights, "u")
    y, b = _weighted_sample(v_values, v_weights, "v")
    cdf_u = np.cumsum(a)
    cdf_v = np.cumsum(b)
    cdf_u[-1] = cdf_v[-1] = 1.0
    # every level where either quantile function may jump: the merged grid 0 = q_0 < ... < q_K = 1
    levels = np.unique(np.concatenate(([0.0], cdf_u, cdf_v)))
    widths = np.diff(levels)  # dq of each piece
    mids = levels[:-1]  # on (q_k, q_{k+1}] both quantiles are constant; evaluate just right of q_k
    i = np.minimum(np.searchsorted(cdf_u, mids, side="right"), x.size - 1)  # F_μ^{-1}(q) on the piece
    j = np.minimum(np.searchsorted(cdf_v, mids, side="right"), y.size - 1)  # F_ν^{-1}(q) on the piece
    integral = np.sum(widths * np.abs(x[i] - y[j]) ** p)  # ∫ |F^{-1} - G^{-1}|^p dq
    return float(integral ** (1.0 / p))


def wasserstein_1d_cdf(
    u_values: ArrayLike,
    v_values: ArrayLike,
    u_weights: ArrayLike | None = None,
    v_weights: ArrayLike | None = None,
) -> float:
    """W_1 as the area between the two cumulative distribution functions: W_1 = ∫ |F_μ(x) - F_ν(x)| dx.

    The same number as ``wasserstein_1d(..., p=1)`` computed along the x axis instead of the q axis;
    only p = 1 has this form. Kept beside the quantile version so a test can prove them equal.
    """
    x, a = _weighted_sample(u_values, u_weights, "u")
    y, b = _weighted_sample(v_values, v_weights, "v")
    grid = np.unique(np.concatenate((x, y)))  # both CDFs are constant between grid points
    cdf_u = np.concatenate(([0.0], np.cumsum(a)))  # F_μ after 0, 1, ..., N points
    cdf_v = np.concatenate(([0.0], np.cumsum(b)))
    f_u = cdf_u[np.searchsorted(x, grid[:-1], side="right")]  # F_μ on [grid_k, grid_k+1)
    f_v = cdf_v[np.searchsorted(y, grid[:-1], side="right")]  # F_ν on [grid_k, grid_k+1)
    return float(np.sum(np.abs(f_u - f_v) * np.diff(grid)))  # ∫ |F_μ - F_ν| dx
