"""k-means (Lloyd's algorithm) with k-means++ seeding, for clustering rolling market features.

Paper: S. Lloyd (1982), "Least squares quantization in PCM", IEEE Trans. Inf. Theory 28(2);
D. Arthur, S. Vassilvitskii (2007), "k-means++: The Advantages of Careful Seeding", SODA.

Alternate two steps until no point changes cluster: assign each point to its nearest centre, then
move each centre to the mean of its points. Each step lowers the within-cluster sum of squares.

Shapes: ``M`` points, ``F`` features, ``K`` clusters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class KMeansResult:
    centers: np.ndarray  # (K, F)
    labels: np.ndarray  # (M,)
    inertia: float  # sum_i ||x_i - mu_{c(i)}||^2
    n_iter: int
    converged: bool


def squared_distances(x: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """||x_i - mu_k||^2 for every point and centre. Shape (M, K)."""
    diff = x[:, None, :] - centers[None, :, :]  # (M, K, F)
    return np.einsum("mkf,mkf->mk", diff, diff)  # (M, K)


def kmeans_plus_plus(x: np.ndarray, K: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding: first centre uniform, each next drawn with probability ∝ D(x)^2. Shape (K, F)."""
    M = x.shape[0]
    centers = [x[rng.integers(M)]]
    d2 = squared_distances(x, np.array(centers))[:, 0]  # (M,) D(x)^2 to the nearest chosen centre
    for _ in range(1, K):
        total = d2.sum()
        idx = rng.integers(M) if total == 0 else rng.choice(M, p=d2 / total)
        centers.append(x[idx])
        d2 = np.minimum(d2, squared_distances(x, x[idx][None, :])[:, 0])
    return np.array(centers)  # (K, F)


def kmeans(
    x: np.ndarray,
    K: int,
    *,
    init: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
    max_iter: int = 300,
    n_init: int = 1,
) -> KMeansResult:
    """Lloyd's algorithm from ``init`` (K, F) or from k-means++ seeds drawn with ``rng``.

    assign:  c(i) = argmin_k ||x_i - mu_k||^2
    update:  mu_k = mean{x_i : c(i) = k}            (an empty cluster keeps its old centre)
    Stops when no assignment changes (a fixed point of both steps) or after ``max_iter`` rounds.
    With seeding, ``n_init`` restarts are run and the one with the lowest inertia is kept (Lloyd's
    algorithm only finds a local minimum).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"x must be (M, F) points; got shape {x.shape}")
    if not 1 <= K <= x.shape[0]:
        raise ValueError(f"K must be between 1 and the number of points ({x.shape[0]}); got {K}")
    if init is None:
        if rng is None:
            raise ValueError("give either init centres (K, F) or rng for k-means++ seeding")
        if n_init < 1:
            raise ValueError(f"n_init must be at least 1; got {n_init}")
        runs = [_lloyd(x, kmeans_plus_plus(x, K, rng), max_iter) for _ in range(n_init)]
        return min(runs, key=lambda r: r.inertia)
    centers = np.array(init, dtype=np.float64)
    if centers.shape != (K, x.shape[1]):
        raise ValueError(f"init must have shape (K, F) = ({K}, {x.shape[1]}); got {centers.shape}")
    return _lloyd(x, centers, max_iter)


def _lloyd(x: np.ndarray, centers: np.ndarray, max_iter: int) -> KMeansResult:
    """One run of Lloyd's algorithm from the given centres (K, F), which it updates in place."""
    K = centers.shape[0]
    labels = np.argmin(squared_distances(x, centers), axis=1)  # (M,)
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):  # noqa: B007 (n_iter is reported)
        for k in range(K):  # update step: centroid of each cluster
            members = labels == k
            if members.any():
                centers[k] = x[members].mean(axis=0)
        new_labels = np.argmin(squared_distances(x, centers), axis=1)  # assignment step
        if np.array_equal(new_labels, labels):
            converged = True
            break
        labels = new_labels
    inertia = float(squared_distances(x, centers)[np.arange(x.shape[0]), labels].sum())
    return KMeansResult(centers=centers, labels=labels, inertia=inertia, n_iter=n_iter, converged=converged)
