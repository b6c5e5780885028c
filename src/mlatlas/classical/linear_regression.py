"""Linear regression: least squares by the normal equations, by QR and by gradient descent; ridge.

Sources: Legendre (1805) and Gauss (1809) for least squares; Hoerl, Kennard (1970), "Ridge
Regression: Biased Estimation for Nonorthogonal Problems", Technometrics 12(1):55-67; Hastie,
Tibshirani, Friedman (2009), "The Elements of Statistical Learning", 2nd ed., sections 3.2 and 3.4.
Fit w minimising ||y - X w||^2 + lambda ||w||^2; three routes reach the same w, and QR keeps the
accuracy that the normal equations lose on ill-conditioned features.

    normal equations (ESL eq. 3.6, ridge eq. 3.44):  (X^T X + lambda I) w = X^T y
    QR:  X = Q R  =>  R w = Q^T y; ridge = least squares on [X; sqrt(lambda) I], [y; 0]
    gradient descent:  w <- w - eta * (2 / N) (X^T (X w - y) + lambda w)

The intercept is never penalised: we centre X and y, fit the slopes, and recover
b = mean(y) - mean(X) w, which is what scikit-learn does. Shapes: N samples, F features.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class LinearFit(NamedTuple):
    coef: np.ndarray  # (F,) slopes w
    intercept: float  # b

    def predict(self, X: np.ndarray) -> np.ndarray:
        return X @ self.coef + self.intercept


class GradientDescentFit(NamedTuple):
    fit: LinearFit
    losses: np.ndarray  # (steps,) the penalised objective / N after each step


def _check(X: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(
            f"X must be 2-D (N samples, F features), got shape {X.shape}; reshape(-1, 1) one feature"
        )
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got {y.shape}")
    if l2 < 0:
        raise ValueError(f"l2 must be >= 0, got {l2}")
    return X, y


def _centre(
    X: np.ndarray, y: np.ndarray, fit_intercept: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    if not fit_intercept:
        return X, y, np.zeros(X.shape[1]), 0.0
    x_mean, y_mean = X.mean(axis=0), y.mean()
    return X - x_mean, y - y_mean, x_mean, float(y_mean)


def _finish(w: np.ndarray, x_mean: np.ndarray, y_mean: float) -> LinearFit:
    return LinearFit(w, y_mean - float(x_mean @ w))  # b = mean(y) - mean(X) w


def normal_equations(X: np.ndarray, y: np.ndarray, l2: float = 0.0, fit_intercept: bool = True) -> LinearFit:
    """Solve (X^T X + lambda I) w = X^T y on centred data: fast, but squares the condition number."""
    X, y = _check(X, y, l2)
    Xc, yc, x_mean, y_mean = _centre(X, y, fit_intercept)
    gram = Xc.T @ Xc + l2 * np.eye(X.shape[1])  # X^T X + lambda I, (F, F)
    return _finish(np.linalg.solve(gram, Xc.T @ yc), x_mean, y_mean)


def back_substitution(R: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve R w = b for upper-triangular R, last row first."""
    n = R.shape[0]
    w = np.zeros(n)
    tiny = np.abs(R).max() * n * np.finfo(np.float64).eps  # relative rank tolerance for R
    for i in reversed(range(n)):
        if abs(R[i, i]) <= tiny:
            raise ValueError(
                "X is rank-deficient (a zero on R's diagonal): drop a duplicated feature or use l2 > 0"
            )
        w[i] = (b[i] - R[i, i + 1 :] @ w[i + 1 :]) / R[i, i]
    return w


def qr_least_squares(X: np.ndarray, y: np.ndarray, l2: float = 0.0, fit_intercept: bool = True) -> LinearFit:
    """Least squares through X = Q R (Householder, via numpy): R w = Q^T y; ridge by augmenting the rows."""
    X, y = _check(X, y, l2)
    Xc, yc, x_mean, y_mean = _centre(X, y, fit_intercept)
    if l2 > 0:  # ||y - Xw||^2 + lambda ||w||^2 = ||[y; 0] - [X; sqrt(lambda) I] w||^2
        Xc = np.vstack([Xc, np.sqrt(l2) * np.eye(X.shape[1])])  # (N + F, F)
        yc = np.concatenate([yc, np.zeros(X.shape[1])])
    Q, R = np.linalg.qr(Xc)  # (N, F), (F, F)
    return _finish(back_substitution(R, Q.T @ yc), x_mean, y_mean)


def gradient_descent(
    X: np.ndarray,
    y: np.ndarray,
    l2: float = 0.0,
    *,
    lr: float | None = None,
    steps: int = 500,
    fit_intercept: bool = True,
) -> GradientDescentFit:
    """Full-batch gradient descent on (1/N)(||y - Xw||^2 + lambda ||w||^2), from w = 0.

    lr defaults to 1 / L, with L = 2 (sigma_max(X)^2 + lambda) / N the gradient's Lipschitz constant:
    a step that is guaranteed to decrease the loss monotonically (on this quadratic, any step below 2 / L is).
    """
    X, y = _check(X, y, l2)
    Xc, yc, x_mean, y_mean = _centre(X, y, fit_intercept)
    n = X.shape[0]
    lipschitz = 2.0 * (np.linalg.norm(Xc, 2) ** 2 + l2) / n
    lr = 1.0 / lipschitz if lr is None else lr
    w = np.zeros(X.shape[1])
    losses = np.zeros(steps)
    for k in range(steps):
        residual = Xc @ w - yc  # (N,)
        grad = 2.0 * (Xc.T @ residual + l2 * w) / n  # gradient of the objective / N
        w = w - lr * grad
        losses[k] = (np.sum((Xc @ w - yc) ** 2) + l2 * w @ w) / n
    return GradientDescentFit(_finish(w, x_mean, y_mean), losses)


def polynomial_features(x: np.ndarray, degree: int) -> np.ndarray:
    """[x, x^2, ..., x^degree] for a 1-D x, (N, degree): a classic ill-conditioned design."""
    return np.stack([x**d for d in range(1, degree + 1)], axis=1)


def conditioning_experiment(
    degrees: range = range(2, 13), n: int = 200, seed: int = 0
) -> dict[str, np.ndarray]:
    """Relative coefficient error of the normal equations and of QR on a polynomial fit with known w.

    y = X w_true exactly (no noise), so any error is round-off; returns cond(X_centred) and both errors.
    """
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 1.0, n))
    conds, normal, qr = [], [], []
    for d in degrees:
        X = polynomial_features(x, d)
        w_true = rng.normal(size=d)
        y = X @ w_true + 1.0
        conds.append(np.linalg.cond(X - X.mean(axis=0)))
        for fit, store in ((normal_equations, normal), (qr_least_squares, qr)):
            w = fit(X, y).coef
            store.append(np.linalg.norm(w - w_true) / np.linalg.norm(w_true))
    return {
        "degree": np.array(list(degrees)),
        "cond": np.array(conds),
        "normal": np.array(normal),
        "qr": np.array(qr),
    }
