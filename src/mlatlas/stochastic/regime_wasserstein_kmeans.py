"""Wasserstein k-means: cluster rolling windows of returns as empirical distributions.

Paper: B. Horvath, Z. Issa, A. Muguruza (2021), "Clustering Market Regimes using the Wasserstein
Distance", arXiv:2110.11848.

Each window of W returns is treated as a distribution, not a feature vector. Distances are 1-D
Wasserstein distances; a cluster's centre is the Wasserstein barycentre of its windows, which in one
dimension is found quantile by quantile (the median for p = 1, the mean for p = 2).

Shapes: ``M`` windows, ``W`` returns per window, ``K`` clusters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlatlas.transport.wasserstein_distance import wasserstein_1d


@dataclass(frozen=True)
class WassersteinKMeansResult:
    centroids: np.ndarray  # (K, W) sorted atoms (quantile functions) of the barycentres
    labels: np.ndarray  # (M,)
    loss: float  # sum_i W_p(window_i, centroid_{c(i)})^p
    n_iter: int
    converged: bool


def wasserstein_p_sorted(a_sorted: np.ndarray, b_sorted: np.ndarray, p: float) -> np.ndarray:
    """W_p between empirical measures with the same number W of equally weighted atoms, given sorted.

    In one dimension the optimal plan matches order statistics, so
    W_p(a, b)^p = (1/W) sum_i |a_(i) - b_(i)|^p (the quantile-function formula on a grid of W levels).
    Broadcasts over leading axes: (..., W) with (..., W) gives (...).
    """
    return np.mean(np.abs(a_sorted - b_sorted) ** p, axis=-1) ** (1.0 / p)


def pairwise_wasserstein(windows_sorted: np.ndarray, centroids: np.ndarray, p: float) -> np.ndarray:
    """W_p from every (sorted) window to every centroid. Shape (M, K)."""
    return wasserstein_p_sorted(windows_sorted[:, None, :], centroids[None, :, :], p)  # (M, K)


def pairwise_wasserstein_naive(windows: np.ndarray, centroids: np.ndarray, p: float) -> np.ndarray:
    """The same (M, K) table, one general 1-D W_p call per pair (the transport chapter's quantile
    formula). Slow, kept as the readable reference that the vectorised version is tested against."""
    return np.array([[wasserstein_1d(w, c, p=p) for c in centroids] for w in windows])  # (M, K)


def wasserstein_barycenter(windows_sorted: np.ndarray, p: float) -> np.ndarray:
    """The 1-D W_p barycentre of equally weighted windows, quantile by quantile. Shape (W,).

    p = 2: the mean of the quantile functions (minimises sum W_2^2);
    p = 1: their pointwise median (minimises sum W_1, coordinate by coordinate; as in Horvath et al. 2021).
    The result is sorted because the mean and the median preserve order coordinate-wise.
    """
    if p == 1:
        return np.median(windows_sorted, axis=0)
    if p == 2:
        return windows_sorted.mean(axis=0)
    raise ValueError(f"the closed-form barycentre here is for p = 1 or p = 2; got p = {p}")


def wasserstein_kmeans(
    windows: np.ndarray,
    K: int,
    *,
    p: float = 1,
    init: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
    max_iter: int = 100,
    n_init: int = 1,
) -> WassersteinKMeansResult:
    """Lloyd's algorithm with W_p in place of the Euclidean distance.

    assign:  c(i) = argmin_k W_p(mu_i, mu_bar_k)
    update:  mu_bar_k = W_p barycentre of {mu_i : c(i) = k}
    Starts from ``init`` (K, W) sorted atoms, or from K windows drawn by k-means++ seeding (with W_p)
    using ``rng``, restarted ``n_init`` times keeping the lowest loss. Stops when no window changes
    cluster.
    """
    windows = np.asarray(windows, dtype=np.float64)
    if windows.ndim != 2:
        raise ValueError(f"windows must be (M, W); got shape {windows.shape} (see rolling_windows)")
    M, W = windows.shape
    if not 1 <= K <= M:
        raise ValueError(f"K must be between 1 and the number of windows ({M}); got {K}")
    if p not in (1, 2):
        raise ValueError(f"p must be 1 or 2 (closed-form 1-D barycentres); got {p}")
    xs = np.sort(windows, axis=1)  # (M, W) each window's quantile function
    if init is not None:
        centroids = np.sort(np.array(init, dtype=np.float64), axis=1)
        if centroids.shape != (K, W):
            raise ValueError(f"init must have shape (K, W) = ({K}, {W}); got {centroids.shape}")
        return _lloyd_wasserstein(xs, centroids, p, max_iter)
    if rng is None:
        raise ValueError("give either init centroids (K, W) or rng for k-means++ seeding")
    if n_init < 1:
        raise ValueError(f"n_init must be at least 1; got {n_init}")
    runs = [_lloyd_wasserstein(xs, _plus_plus(xs, K, p, rng), p, max_iter) for _ in range(n_init)]
    return min(runs, key=lambda r: r.loss)


def _lloyd_wasserstein(
    xs: np.ndarray, centroids: np.ndarray, p: float, max_iter: int
) -> WassersteinKMeansResult:
    """One run from the given sorted centroids (K, W), updated in place; xs are sorted windows (M, W)."""
    M, K = xs.shape[0], centroids.shape[0]
    labels = np.argmin(pairwise_wasserstein(xs, centroids, p), axis=1)  # (M,)
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (n_iter is reported)
        for k in range(K):
            members = labels == k
            if members.any():  # an empty cluster keeps its old centroid
                centroids[k] = wasserstein_barycenter(xs[members], p)
        new_labels = np.argmin(pairwise_wasserstein(xs, centroids, p), axis=1)
        if np.array_equal(new_labels, labels):
            converged = True
            break
        labels = new_labels
    d = pairwise_wasserstein(xs, centroids, p)[np.arange(M), labels]
    return WassersteinKMeansResult(
        centroids=centroids, labels=labels, loss=float((d**p).sum()), n_iter=n_iter, converged=converged
    )


def _plus_plus(xs: np.ndarray, K: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding with W_p: each new seed drawn with probability ∝ W_p(window, nearest seed)^2."""
    M = xs.shape[0]
    chosen = [int(rng.integers(M))]
    d = wasserstein_p_sorted(xs, xs[chosen[0]][None, :], p)  # (M,)
    for _ in range(1, K):
        w = d**2
        idx = int(rng.integers(M)) if w.sum() == 0 else int(rng.choice(M, p=w / w.sum()))
        chosen.append(idx)
        d = np.minimum(d, wasserstein_p_sorted(xs, xs[idx][None, :], p))
    return xs[chosen].copy()  # (K, W)
