"""Logistic regression: Newton's method (IRLS) and gradient descent with an L2 penalty; softmax regression.

Sources: Cox (1958), "The Regression Analysis of Binary Sequences", JRSS B 20(2):215-242; Nelder,
Wedderburn (1972), "Generalized Linear Models", JRSS A 135(3):370-384 (iteratively reweighted least
squares); Hastie, Tibshirani, Friedman (2009), "The Elements of Statistical Learning", section 4.4.
A linear score through a sigmoid (or a softmax) gives class probabilities; the penalised
cross-entropy is convex, and each Newton step is a weighted least-squares fit.

Objective, with x_i augmented by a leading 1 and the intercept unpenalised::

    L(w) = sum_i [ log(1 + e^{z_i}) - y_i z_i ] + (lambda / 2) ||w_{1:}||^2,   z_i = x_i^T w
    grad = X^T (p - y) + lambda w~            (w~: w with its intercept zeroed)
    H    = X^T S X + lambda I~,  S = diag(p_i (1 - p_i))           (ESL section 4.4.1)
    w   <- w - H^-1 grad  =  argmin weighted ridge (lambda I~) least squares on z + S^-1 (y - p)   (IRLS)

scikit-learn's LogisticRegression minimises the same objective with C = 1 / lambda.
Shapes: N samples, F features (plus one for the intercept), K classes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mlatlas.foundations.neural_networks import bce_loss, sigmoid, softmax_ce_loss


class LogisticFit(NamedTuple):
    coef: np.ndarray  # (F,) or (K, F) for softmax regression
    intercept: np.ndarray  # () or (K,)
    losses: np.ndarray  # penalised objective after each iteration

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        z = X @ self.coef.T + self.intercept
        if self.coef.ndim == 1:
            p = sigmoid(z)
            return np.stack([1 - p, p], axis=1)  # (N, 2), scikit-learn's column order
        return softmax_ce_loss(z, np.zeros(len(z), dtype=int))[2]  # (N, K): the softmax of the scores


def _design(X: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (N, F) and y (N,); got {X.shape} and {y.shape}")
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0, got {l2}")
    return np.hstack([np.ones((X.shape[0], 1)), X])  # (N, F + 1): the leading 1 carries the intercept


def _binary_objective(
    Xa: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float
) -> tuple[float, np.ndarray, np.ndarray]:
    """Penalised summed cross-entropy, its gradient, and p, reusing the atlas's bce_loss."""
    n = len(y)
    mean_loss, dlogits, p = bce_loss((Xa @ w)[:, None], y)  # mean loss and (p - y) / N
    penalised = w.copy()
    penalised[0] = 0.0  # never penalise the intercept
    loss = n * mean_loss + 0.5 * l2 * penalised @ penalised
    grad = n * Xa.T @ dlogits[:, 0] + l2 * penalised  # X^T (p - y) + lambda w~
    return loss, grad, p[:, 0]


def newton(
    X: np.ndarray, y: np.ndarray, l2: float = 1.0, max_iter: int = 50, tol: float = 1e-12
) -> LogisticFit:
    """Binary logistic regression by Newton's method (= IRLS); y in {0, 1}. Quadratic convergence near w*."""
    y = np.asarray(y, dtype=np.float64)
    Xa = _design(X, y, l2)
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(
            "binary logistic regression needs labels 0 and 1; use softmax_regression for more classes"
        )
    ridge = l2 * np.eye(Xa.shape[1])
    ridge[0, 0] = 0.0  # I~: the intercept is unpenalised
    w, losses = np.zeros(Xa.shape[1]), []
    for _ in range(max_iter):
        loss, grad, p = _binary_objective(Xa, y, w, l2)
        losses.append(loss)
        hessian = Xa.T @ (Xa * (p * (1 - p))[:, None]) + ridge  # X^T S X + lambda I~
        step = np.linalg.solve(hessian, grad)
        w = w - step
        if np.abs(step).max() < tol:
            break
    losses.append(_binary_objective(Xa, y, w, l2)[0])
    return LogisticFit(w[1:], np.array(w[0]), np.array(losses))


def gradient_descent(X: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 2000) -> LogisticFit:
    """The same objective by gradient descent with step 1/L, L = ||X||_2^2 / 4 + lambda (sigmoid' <= 1/4)."""
    y = np.asarray(y, dtype=np.float64)
    Xa = _design(X, y, l2)
    lr = 1.0 / (np.linalg.norm(Xa, 2) ** 2 / 4 + l2)
    w, losses = np.zeros(Xa.shape[1]), []
    for _ in range(steps):
        loss, grad, _ = _binary_objective(Xa, y, w, l2)
        losses.append(loss)
        w = w - lr * grad
    return LogisticFit(w[1:], np.array(w[0]), np.array(losses))


def softmax_regression(
    X: np.ndarray, y: np.ndarray, l2: float = 1.0, max_iter: int = 50, tol: float = 1e-12
) -> LogisticFit:
    """Multinomial logistic regression by Newton's method on all K (F + 1) parameters.

    p_ik = softmax(x_i^T W)_k; grad = X^T (P - Y) + lambda W~; the Hessian block (j, k) is
    sum_i p_ij (delta_jk - p_ik) x_i x_i^T. Adding a constant to every class's intercept changes
    nothing, so the Hessian is singular along that direction; the least-squares (minimum-norm)
    Newton step ignores it. The slopes are unique; we report intercepts that sum to zero.
    """
    y = np.asarray(y)
    Xa = _design(X, y, l2)
    n, d = Xa.shape
    K = int(y.max()) + 1
    W, losses = np.zeros((d, K)), []
    mask = np.ones((d, K))
    mask[0] = 0.0  # intercepts unpenalised
    for _ in range(max_iter):
        mean_loss, dlogits, P = softmax_ce_loss(Xa @ W, y)  # (N, K): (P - Y) / N
        losses.append(n * mean_loss + 0.5 * l2 * np.sum((W * mask) ** 2))
        grad = n * Xa.T @ dlogits + l2 * W * mask  # (d, K)
        # H[(a, j), (b, k)] = sum_i x_ia x_ib p_ij (delta_jk - p_ik)
        cov = np.einsum("ij,jk->ijk", P, np.eye(K)) - np.einsum("ij,ik->ijk", P, P)  # (N, K, K)
        H = np.einsum("ia,ib,ijk->ajbk", Xa, Xa, cov).reshape(d * K, d * K)
        H += l2 * np.diag(mask.ravel())
        step = np.linalg.lstsq(H, grad.ravel(), rcond=None)[0].reshape(d, K)
        W = W - step
        if np.abs(step).max() < tol:
            break
    W[0] -= W[0].mean()  # pick the intercepts that sum to zero (same probabilities)
    mean_loss = softmax_ce_loss(Xa @ W, y)[0]
    losses.append(n * mean_loss + 0.5 * l2 * np.sum((W * mask) ** 2))
    return LogisticFit(W[1:].T, W[0], np.array(losses))
