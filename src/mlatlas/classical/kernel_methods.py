"""Kernel methods: the kernel trick and kernel ridge regression.

Sources: Schölkopf, Smola (2002), "Learning with Kernels", MIT Press; Saunders, Gammerman, Vovk
(1998), "Ridge Regression Learning Algorithm in Dual Variables", ICML; Hastie, Tibshirani, Friedman
(2009), "The Elements of Statistical Learning", section 5.8.
Ridge regression only ever needs inner products of inputs, so replacing x^T x' by a kernel k(x, x')
fits a linear model in a feature space that is never built, possibly infinite-dimensional (RBF).

    dual ridge (Saunders et al. 1998):  alpha = (K + lambda I)^-1 y,   f(x) = sum_i alpha_i k(x, x_i)
    primal ridge (no intercept):        w = (X^T X + lambda I)^-1 X^T y = X^T alpha  when k(x, x') = x^T x'

Kernels (scikit-learn's parameterisation): linear x^T x'; polynomial (gamma x^T x' + c0)^d;
RBF exp(-gamma ||x - x'||^2). Shapes: N training samples, M query points, F features.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


def linear_kernel(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """k(a, b) = a^T b, (N, M)."""
    return A @ B.T


def polynomial_kernel(
    A: np.ndarray, B: np.ndarray, degree: int = 3, gamma: float = 1.0, coef0: float = 1.0
) -> np.ndarray:
    """k(a, b) = (gamma a^T b + c0)^d, (N, M)."""
    return (gamma * A @ B.T + coef0) ** degree


def rbf_kernel(A: np.ndarray, B: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    """k(a, b) = exp(-gamma ||a - b||^2), with ||a - b||^2 = ||a||^2 + ||b||^2 - 2 a^T b, (N, M)."""
    sq = (A**2).sum(1)[:, None] + (B**2).sum(1)[None, :] - 2 * A @ B.T
    return np.exp(-gamma * np.maximum(sq, 0.0))  # clip tiny negative round-off


KERNELS = {"linear": linear_kernel, "poly": polynomial_kernel, "rbf": rbf_kernel}


class KernelRidge(NamedTuple):
    X_train: np.ndarray  # (N, F): a kernel model keeps its training inputs
    dual_coef: np.ndarray  # (N,) alpha
    kernel: str
    params: dict

    def predict(self, X: np.ndarray) -> np.ndarray:
        """f(x) = sum_i alpha_i k(x, x_i), (M,)."""
        return (
            KERNELS[self.kernel](np.asarray(X, dtype=np.float64), self.X_train, **self.params)
            @ self.dual_coef
        )


def kernel_ridge(X: np.ndarray, y: np.ndarray, l2: float = 1.0, kernel: str = "rbf", **params) -> KernelRidge:
    """Solve (K + lambda I) alpha = y by Cholesky (K + lambda I is symmetric positive definite)."""
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; choose one of {sorted(KERNELS)}")
    if l2 <= 0:
        raise ValueError(f"l2 must be > 0 so that K + lambda I is invertible, got {l2}")
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    K = KERNELS[kernel](X, X, **params)  # (N, N) Gram matrix
    L = np.linalg.cholesky(K + l2 * np.eye(len(y)))  # K + lambda I = L L^T
    alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))  # two triangular solves
    return KernelRidge(X, alpha, kernel, params)


def degree2_features(X: np.ndarray, coef0: float = 1.0) -> np.ndarray:
    """The explicit map phi with phi(a)^T phi(b) = (a^T b + c0)^2: all products, scaled: (N, 1 + F + F^2)."""
    n, f = X.shape
    quadratic = (X[:, :, None] * X[:, None, :]).reshape(n, f * f)  # a_i a_j
    return np.hstack([np.full((n, 1), coef0), np.sqrt(2 * coef0) * X, quadratic])
