"""Gaussian process regression: kernels, exact inference by Cholesky, and the marginal likelihood.

Reference: Rasmussen & Williams (2006), "Gaussian Processes for Machine Learning", MIT Press
(http://gaussianprocess.org/gpml/), Algorithm 2.1 and eqs. 2.25–2.26, 2.30 (= 5.8), 4.9, 4.17 and 5.9.
A GP is a prior over functions fixed by a mean (zero here) and a kernel; with Gaussian noise the
posterior at new inputs is Gaussian and the evidence is one Cholesky factorisation away.

Hyper-parameters (signal variance, length-scale, noise variance) live on a log scale, so they stay
positive under any optimiser step; the gradient of the log marginal likelihood is taken with
respect to those logs, the convention scikit-learn also uses. Shape legend: N training points,
M test points, F input features. Everything is float64 NumPy.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import optimize
from scipy.linalg import cho_solve, solve_triangular

KERNELS = ("rbf", "matern52")


class Hyperparameters(NamedTuple):
    """Signal variance s^2, length-scale l and noise variance sigma_n^2 (all positive)."""

    variance: float
    lengthscale: float
    noise: float

    def log(self) -> np.ndarray:
        return np.log([self.variance, self.lengthscale, self.noise])

    @classmethod
    def from_log(cls, theta: np.ndarray) -> Hyperparameters:
        return cls(*(float(v) for v in np.exp(theta)))


def _as_2d(X: np.ndarray, name: str) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]  # a 1-D input is N points with one feature
    if X.ndim != 2:
        raise ValueError(f"{name} must be (N, F) or (N,), got shape {X.shape}")
    return X


def squared_distances(X1: np.ndarray, X2: np.ndarray) -> np.ndarray:
    """r^2_ij = |x_i - x'_j|^2 for X1 (N, F), X2 (M, F) -> (N, M), clipped at 0 against rounding."""
    d2 = np.sum(X1**2, 1)[:, None] + np.sum(X2**2, 1)[None, :] - 2.0 * X1 @ X2.T  # (N, M)
    return np.maximum(d2, 0.0)


def kernel(
    X1: np.ndarray, X2: np.ndarray, variance: float, lengthscale: float, kind: str = "rbf"
) -> np.ndarray:
    """Covariance matrix k(x_i, x'_j) (N, M) of a stationary kernel with r = |x - x'|:

    rbf:       s^2 exp(-r^2 / (2 l^2))                              (R&W eq. 4.9)
    matern52:  s^2 (1 + sqrt5 r / l + 5 r^2 / (3 l^2)) exp(-sqrt5 r / l)   (R&W eq. 4.17)
    """
    if kind not in KERNELS:
        raise ValueError(f"unknown kernel {kind!r}; choose one of {KERNELS}")
    d2 = squared_distances(_as_2d(X1, "X1"), _as_2d(X2, "X2")) / lengthscale**2  # (r / l)^2
    if kind == "rbf":
        return variance * np.exp(-0.5 * d2)
    u = np.sqrt(5.0 * d2)  # sqrt5 r / l
    return variance * (1.0 + u + u**2 / 3.0) * np.exp(-u)


def kernel_log_lengthscale_derivative(
    X: np.ndarray, variance: float, lengthscale: float, kind: str
) -> np.ndarray:
    """dK / d log l (N, N). rbf: K r^2 / l^2. matern52: s^2 (u^2 / 3)(1 + u) e^-u with u = sqrt5 r / l."""
    X = _as_2d(X, "X")
    d2 = squared_distances(X, X) / lengthscale**2
    if kind == "rbf":
        return kernel(X, X, variance, lengthscale, "rbf") * d2
    u = np.sqrt(5.0 * d2)
    return variance * (u**2 / 3.0) * (1.0 + u) * np.exp(-u)


class GPPosterior(NamedTuple):
    """What prediction needs: training inputs X (N, F), Cholesky factor L of K + sigma_n^2 I (N, N),
    alpha = (K + sigma_n^2 I)^-1 y (N,), the hyper-parameters and the kernel's name."""

    X: np.ndarray
    L: np.ndarray
    alpha: np.ndarray
    params: Hyperparameters
    kind: str


def _check_data(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X = _as_2d(X, "X")
    y = np.asarray(y, dtype=np.float64)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have one value per row of X: X is {X.shape}, y is {y.shape}")
    return X, y


def fit(X: np.ndarray, y: np.ndarray, params: Hyperparameters, kind: str = "rbf") -> GPPosterior:
    """Condition the GP on (X, y): L = cholesky(K + sigma_n^2 I), alpha = L^T \\ (L \\ y).

    R&W Algorithm 2.1, lines 2–3."""
    X, y = _check_data(X, y)
    if min(params) <= 0:
        raise ValueError(f"hyper-parameters must be positive, got {params}")
    K = kernel(X, X, params.variance, params.lengthscale, kind)  # (N, N)
    L = np.linalg.cholesky(K + params.noise * np.eye(len(y)))  # K_y = K + sigma_n^2 I = L L^T
    alpha = cho_solve((L, True), y)  # K_y^-1 y, (N,)
    return GPPosterior(X, L, alpha, params, kind)


def predict(post: GPPosterior, X_new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean and variance of the latent f at X_new (M, F) -> (M,), (M,)  (R&W Alg. 2.1, lines 4–6):

    mean = K_*^T alpha                      (eq. 2.25)
    var  = k(x_*, x_*) - v^T v,  v = L \\ K_*   (eq. 2.26)
    Add params.noise to the variance to predict a new noisy observation y_* instead of f_*.
    """
    X_new = _as_2d(X_new, "X_new")
    p = post.params
    K_star = kernel(post.X, X_new, p.variance, p.lengthscale, post.kind)  # (N, M)
    mean = K_star.T @ post.alpha  # (M,)
    v = solve_triangular(post.L, K_star, lower=True)  # (N, M)
    var = p.variance - np.sum(v**2, axis=0)  # k(x, x) = s^2 for a stationary kernel, (M,)
    return mean, np.maximum(var, 0.0)


def predict_cov(post: GPPosterior, X_new: np.ndarray) -> np.ndarray:
    """Full posterior covariance K_** - K_*^T K_y^-1 K_* (M, M), for drawing joint function samples."""
    X_new = _as_2d(X_new, "X_new")
    p = post.params
    K_star = kernel(post.X, X_new, p.variance, p.lengthscale, post.kind)
    v = solve_triangular(post.L, K_star, lower=True)
    return kernel(X_new, X_new, p.variance, p.lengthscale, post.kind) - v.T @ v


def log_marginal_likelihood(
    X: np.ndarray, y: np.ndarray, params: Hyperparameters, kind: str = "rbf"
) -> tuple[float, np.ndarray]:
    """log p(y | X, theta) and its gradient with respect to theta = (log s^2, log l, log sigma_n^2).

    log p = -1/2 y^T alpha - sum_i log L_ii - N/2 log 2 pi                   (eq. 2.30, Alg. 2.1 line 7)
    d log p / d theta_j = 1/2 tr((alpha alpha^T - K_y^-1) dK_y / d theta_j)   (eq. 5.9)

    with dK_y/d log s^2 = K, dK_y/d log l from ``kernel_log_lengthscale_derivative``, and
    dK_y/d log sigma_n^2 = sigma_n^2 I.
    """
    post = fit(X, y, params, kind)
    X, y = post.X, np.asarray(y, dtype=np.float64)
    n = len(y)
    log_p = -0.5 * y @ post.alpha - np.log(np.diag(post.L)).sum() - 0.5 * n * math.log(2 * math.pi)
    K_y_inv = cho_solve((post.L, True), np.eye(n))  # K_y^-1, (N, N)
    inner = np.outer(post.alpha, post.alpha) - K_y_inv  # alpha alpha^T - K_y^-1, symmetric
    dK = [
        kernel(X, X, params.variance, params.lengthscale, kind),  # dK / d log s^2 = K
        kernel_log_lengthscale_derivative(X, params.variance, params.lengthscale, kind),
        params.noise * np.eye(n),  # dK_y / d log sigma_n^2
    ]
    grad = np.array([0.5 * np.sum(inner * d) for d in dK])  # tr(A B) = sum(A * B^T), B symmetric
    return float(log_p), grad


class FitResult(NamedTuple):
    """Optimised hyper-parameters, the log marginal likelihood there, and the optimiser's iterations."""

    params: Hyperparameters
    log_marginal_likelihood: float
    iterations: int


def optimise_hyperparameters(
    X: np.ndarray,
    y: np.ndarray,
    init: Hyperparameters,
    kind: str = "rbf",
    bounds: tuple[float, float] = (1e-5, 1e5),
) -> FitResult:
    """Type-II maximum likelihood: maximise log p(y | X, theta) over log-hyper-parameters with L-BFGS-B,
    started at ``init`` and fed the analytic gradient (R&W section 5.4.1). ``bounds`` (on each
    hyper-parameter, not its log) keep the search away from degenerate kernels.
    """
    log_bounds = [(math.log(bounds[0]), math.log(bounds[1]))] * 3

    def negative(theta):
        value, grad = log_marginal_likelihood(X, y, Hyperparameters.from_log(theta), kind)
        return -value, -grad

    res = optimize.minimize(negative, init.log(), jac=True, method="L-BFGS-B", bounds=log_bounds)
    return FitResult(Hyperparameters.from_log(res.x), float(-res.fun), int(res.nit))


def toy_data(seed: int = 0, n: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """1-D regression with a gap: x in [0, 3] and [6, 10], y = sin(x) + x / 5 + N(0, 0.2^2).

    Returns X (n, 1), y (n,)."""
    rng = np.random.default_rng(seed)
    x = np.sort(np.concatenate([rng.uniform(0, 3, n - n // 2), rng.uniform(6, 10, n // 2)]))
    y = np.sin(x) + x / 5 + 0.2 * rng.standard_normal(n)
    return x[:, None], y


def demo(seed: int = 0) -> FitResult:
    """Fit RBF and Matérn-5/2 GPs to the toy data from a poor start and print what was learned."""
    X, y = toy_data(seed)
    init = Hyperparameters(1.0, 1.0, 1.0)
    result = None
    for kind in KERNELS:
        start, _ = log_marginal_likelihood(X, y, init, kind)
        result = optimise_hyperparameters(X, y, init, kind)
        p = result.params
        print(
            f"{kind:>9}: s^2 = {p.variance:.3f}, l = {p.lengthscale:.3f}, "
            f"noise sd = {math.sqrt(p.noise):.3f}; log p(y) {start:.2f} -> "
            f"{result.log_marginal_likelihood:.2f} in {result.iterations} L-BFGS steps"
        )
    return result
