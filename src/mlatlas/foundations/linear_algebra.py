"""Linear algebra for ML: eigenvectors by power iteration, the SVD, and principal component analysis.

Paper: von Mises & Pollaczek-Geiringer (1929), "Praktische Verfahren der Gleichungsauflösung", ZAMM 9,
pp. 152-164 (power iteration); Eckart & Young (1936), "The approximation of one matrix by another of
lower rank", Psychometrika 1; Pearson (1901) and Hotelling (1933) for PCA (no arXiv).
Repeatedly multiplying a vector by a symmetric matrix turns it towards the top eigenvector, at a rate
|lambda_2 / lambda_1| per step; deflation peels off one eigenpair after another; the SVD and PCA follow.

Everything is float64 NumPy. Random starts take an explicit numpy Generator. The teaching path
(power iteration) sits beside the production path (``numpy.linalg.svd`` inside ``pca``).
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np


class PowerIterationResult(NamedTuple):
    """Top eigenpair estimate, the iterations used, and the residual ||A v - lambda v|| at each step."""

    eigenvalue: float
    eigenvector: np.ndarray
    iterations: int
    converged: bool
    residuals: np.ndarray


class Eigendecomposition(NamedTuple):
    """eigenvalues (k,) in decreasing order of magnitude; eigenvectors (F, k) as columns."""

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray


class SVDResult(NamedTuple):
    """A = U diag(S) Vt: U (N, k), S (k,) decreasing, Vt (k, F)."""

    U: np.ndarray
    S: np.ndarray
    Vt: np.ndarray


class PCAResult(NamedTuple):
    """mean (F,); components (k, F) as rows; explained_variance (k,); explained_variance_ratio (k,);
    scores (N, k) = (X - mean) components^T."""

    mean: np.ndarray
    components: np.ndarray
    explained_variance: np.ndarray
    explained_variance_ratio: np.ndarray
    scores: np.ndarray


def _check_symmetric(A: np.ndarray) -> np.ndarray:
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be a square matrix, got shape {A.shape}")
    if not np.allclose(A, A.T, rtol=1e-10, atol=1e-12 * max(1.0, np.abs(A).max())):
        raise ValueError("A must be symmetric (A == A.T); for a general matrix use svd_power(A) instead")
    return A


def sign_fix(v: np.ndarray) -> np.ndarray:
    """Eigenvectors are defined up to sign; make the entry of largest magnitude positive (per column)."""
    v = np.asarray(v, dtype=np.float64)
    idx = np.argmax(np.abs(v), axis=0)
    signs = np.sign(v[idx, np.arange(v.shape[1])] if v.ndim == 2 else v[idx])
    signs = np.where(signs == 0, 1.0, signs)
    return v * signs


def power_iteration(
    A: np.ndarray, rng: np.random.Generator, *, max_iter: int = 1000, tol: float = 1e-12
) -> PowerIterationResult:
    """Dominant eigenpair of a symmetric matrix A (F, F).

    v_{t+1} = A v_t / ||A v_t||;  lambda_t = v_t^T A v_t (the Rayleigh quotient). Stops when the
    residual ||A v - lambda v|| <= tol * ||A||. The error shrinks like |lambda_2 / lambda_1|^t, so a
    small eigengap converges slowly: a RuntimeWarning names max_iter when it does not converge.
    """
    A = _check_symmetric(A)
    v = rng.standard_normal(A.shape[0])  # random start: almost surely not orthogonal to the answer
    v /= np.linalg.norm(v)
    scale = max(np.linalg.norm(A, 2), np.finfo(float).tiny)
    residuals, lam = [], 0.0
    for t in range(1, max_iter + 1):
        w = A @ v  # one multiplication by A
        lam = float(v @ w)  # Rayleigh quotient lambda = v^T A v (||v|| = 1)
        residuals.append(float(np.linalg.norm(w - lam * v)))  # ||A v - lambda v||
        if residuals[-1] <= tol * scale:
            return PowerIterationResult(lam, sign_fix(v), t, True, np.array(residuals))
        norm = np.linalg.norm(w)
        if norm == 0:  # A v = 0: v is an eigenvector with eigenvalue 0 (A is zero on this start)
            return PowerIterationResult(0.0, sign_fix(v), t, True, np.array(residuals))
        v = w / norm  # normalise: v_{t+1} = A v_t / ||A v_t||
    warnings.warn(
        f"power_iteration did not converge in max_iter={max_iter} steps (residual {residuals[-1]:.2e}); "
        "the top two eigenvalues are probably close in magnitude: raise max_iter or loosen tol",
        RuntimeWarning, stacklevel=2,
    )
    return PowerIterationResult(lam, sign_fix(v), max_iter, False, np.array(residuals))


def top_eigenpairs(
    A: np.ndarray, k: int, rng: np.random.Generator, *, max_iter: int = 5000, tol: float = 1e-12
) -> Eigendecomposition:
    """The k eigenpairs of largest |lambda| of a symmetric A, by power iteration with deflation:
    after finding (lambda, v), continue on A - lambda v v^T, which has v's eigenvalue moved to 0."""
    A = _check_symmetric(A)
    if not 1 <= k <= A.shape[0]:
        raise ValueError(f"k must be between 1 and {A.shape[0]}, got {k}")
    values, vectors = [], []
    B = A.copy()
    for _ in range(k):
        res = power_iteration(B, rng, max_iter=max_iter, tol=tol)
        values.append(res.eigenvalue)
        vectors.append(res.eigenvector)
        B = B - res.eigenvalue * np.outer(res.eigenvector, res.eigenvector)  # deflation
    return Eigendecomposition(np.array(values), np.stack(vectors, axis=1))


def svd_power(
    A: np.ndarray, k: int, rng: np.random.Generator, *, max_iter: int = 5000, tol: float = 1e-12
) -> SVDResult:
    """Top-k singular triplets of any A (N, F) from the eigenpairs of A^T A (F, F):
    A^T A v = sigma^2 v, and u = A v / sigma. Fine for teaching; it squares the condition number."""
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2:
        raise ValueError(f"A must be a matrix, got shape {A.shape}")
    if not 1 <= k <= min(A.shape):
        raise ValueError(f"k must be between 1 and min(A.shape) = {min(A.shape)}, got {k}")
    eig = top_eigenpairs(A.T @ A, k, rng, max_iter=max_iter, tol=tol)
    S = np.sqrt(np.clip(eig.eigenvalues, 0.0, None))  # sigma = sqrt(lambda(A^T A))
    V = eig.eigenvectors  # (F, k)
    U = (A @ V) / np.where(S > 0, S, 1.0)  # u_i = A v_i / sigma_i   (N, k)
    return SVDResult(U, S, V.T)


def pca(X: np.ndarray, k: int) -> PCAResult:
    """Principal components of data X (N, F) via the SVD of the centred data.

    X - mean = U S Vt;  components = rows of Vt;  explained variance = S^2 / (N - 1) (the unbiased
    sample covariance's eigenvalues). Each component's sign is fixed by sign_fix.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 2:
        raise ValueError(f"X must be a (N, F) data matrix with N >= 2 rows, got shape {X.shape}")
    if not 1 <= k <= min(X.shape):
        raise ValueError(f"k must be between 1 and min(N, F) = {min(X.shape)}, got {k}")
    mean = X.mean(axis=0)  # (F,)
    Xc = X - mean  # centre: PCA explains variance around the mean   (N, F)
    _, S, Vt = np.linalg.svd(Xc, full_matrices=False)  # Xc = U diag(S) Vt
    components = sign_fix(Vt[:k].T).T  # (k, F)
    variance = S**2 / (X.shape[0] - 1)  # eigenvalues of the covariance Xc^T Xc / (N - 1)
    return PCAResult(mean, components, variance[:k], variance[:k] / variance.sum(), Xc @ components.T)


def low_rank_approximation(A: np.ndarray, k: int) -> np.ndarray:
    """The best rank-k approximation in Frobenius norm (Eckart-Young 1936) and spectral norm
    (Mirsky 1960): keep the top k singular triplets. Its error ||A - A_k||_F^2 is the sum of the
    dropped sigma_i^2."""
    U, S, Vt = np.linalg.svd(np.asarray(A, dtype=np.float64), full_matrices=False)
    return (U[:, :k] * S[:k]) @ Vt[:k]
