"""Support vector machines: the soft-margin dual solved by SMO.

Sources: Cortes, Vapnik (1995), "Support-Vector Networks", Machine Learning 20(3), 273-297;
Platt (1998), "Sequential Minimal Optimization: A Fast Algorithm for Training Support Vector
Machines", Microsoft Research MSR-TR-98-14; Fan, Chen, Lin (2005), "Working Set Selection Using
Second Order Information for Training Support Vector Machines", JMLR 6, 1889-1918.
The maximum-margin classifier with slack is a quadratic program in one multiplier per sample; SMO
solves it two multipliers at a time, each pair analytically, picking the pair as LIBSVM does.

    dual (Cortes & Vapnik 1995):  min_a  1/2 a^T Q a - e^T a,  Q_ij = y_i y_j k(x_i, x_j),
                                  0 <= a_i <= C,  y^T a = 0
    decision function:            f(x) = sum_i y_i a_i k(x_i, x) + b

Labels are -1 and +1; the kernels are those of `mlatlas.classical.kernel_methods`. Shapes: N training
samples, M query points, F features.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mlatlas.classical.kernel_methods import KERNELS

TAU = 1e-12  # Fan et al. (2005): curvature used in place of a_ij <= 0 (non-PSD kernels)


class SVM(NamedTuple):
    X_train: np.ndarray  # (N, F)
    y: np.ndarray  # (N,) labels in {-1, +1}
    alpha: np.ndarray  # (N,) dual variables, 0 <= alpha_i <= C
    intercept: float  # b = -rho
    C: float
    kernel: str
    params: dict
    iterations: int  # SMO steps taken

    @property
    def support(self) -> np.ndarray:
        """Indices of the support vectors (alpha_i > 0), increasing."""
        return np.flatnonzero(self.alpha > 0)

    @property
    def dual_coef(self) -> np.ndarray:
        """y_i alpha_i of the support vectors, in the order of `support`."""
        s = self.support
        return self.y[s] * self.alpha[s]

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """f(x) = sum_i y_i alpha_i k(x_i, x) + b over the support vectors, (M,)."""
        s = self.support
        K = KERNELS[self.kernel](np.asarray(X, dtype=np.float64), self.X_train[s], **self.params)  # (M, S)
        return K @ self.dual_coef + self.intercept

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The sign of f, as labels in {-1, +1}, (M,)."""
        return np.where(self.decision_function(X) > 0, 1.0, -1.0)


def select_working_set(G: np.ndarray, alpha: np.ndarray, y: np.ndarray, K: np.ndarray, C: float):
    """The pair (i, j) of Fan et al. (2005), WSS 2 (second-order), and the gap m(a) - M(a).

    i maximises -y_t G_t over I_up (first order: the maximal violating pair's first index); j
    minimises -b_it^2 / a_it over the t in I_low with -y_t G_t < -y_i G_i, i.e. maximises
    b_it^2 / (2 a_it), the decrease of the objective that the two-variable step on (i, t) achieves.
    a_it <= 0 is replaced by TAU, as in their WSS 3 for kernels that are not PSD (and in LIBSVM).
    """
    minus_yG = -y * G  # -y_t grad_t
    up = ((y > 0) & (alpha < C)) | ((y < 0) & (alpha > 0))  # I_up: a_t can move so that y_t a_t grows
    low = ((y > 0) & (alpha > 0)) | ((y < 0) & (alpha < C))  # I_low: y_t a_t can shrink
    i = int(np.flatnonzero(up)[np.argmax(minus_yG[up])])
    m, M = minus_yG[i], minus_yG[low].min()  # stopping gap m(a) - M(a) (Fan et al. 2005)
    candidates = np.flatnonzero(low & (minus_yG < m))
    if candidates.size == 0:
        return i, -1, m - M
    b = m - minus_yG[candidates]  # b_it > 0
    a = K[i, i] + K[candidates, candidates] - 2 * K[i, candidates]  # a_it = K_ii + K_tt - 2 K_it
    a = np.where(a > 0, a, TAU)
    j = int(candidates[np.argmin(-(b**2) / a)])
    return i, j, m - M


def smo_step(i: int, j: int, alpha: np.ndarray, y: np.ndarray, G: np.ndarray, K: np.ndarray, C: float):
    """Platt's (1998) analytic step on the pair (i, j): returns the new (alpha_i, alpha_j).

    With E_t = f(x_t) - y_t = y_t G_t + b (b cancels in E_i - E_j, so y_t G_t stands in for E_t)
    and eta = K_ii + K_jj - 2 K_ij:
        alpha_j' = alpha_j + y_j (E_i - E_j) / eta               (the unconstrained minimum on the line)
    clipped to [L, H], the segment where both stay in [0, C] on the line y_i a_i + y_j a_j = const, then
        alpha_i' = alpha_i + s (alpha_j - alpha_j'),  s = y_i y_j   (keeps y^T a = 0)
    """
    s = y[i] * y[j]
    if s < 0:
        L, H = (
            max(0.0, alpha[j] - alpha[i]),
            min(C, C + alpha[j] - alpha[i]),
        )  # y_i != y_j: a_i - a_j is fixed
    else:
        L, H = (
            max(0.0, alpha[i] + alpha[j] - C),
            min(C, alpha[i] + alpha[j]),
        )  # y_i == y_j: a_i + a_j is fixed
    eta = K[i, i] + K[j, j] - 2 * K[i, j]
    E_i, E_j = y[i] * G[i], y[j] * G[j]
    a_j = alpha[j] + y[j] * (E_i - E_j) / max(eta, TAU)
    a_j = min(max(a_j, L), H)  # clip to the box
    a_i = alpha[i] + s * (alpha[j] - a_j)  # the partner moves the opposite way along the line
    # when a_j was clipped by a_i's box, a_i lands on 0 or C up to round-off: put it there exactly,
    # so that a multiplier that leaves the solution is exactly zero (as in LIBSVM)
    if abs(a_i) <= 1e-12 * C:
        a_i = 0.0
    elif abs(a_i - C) <= 1e-12 * C:
        a_i = C
    return a_i, a_j


def svc(
    X: np.ndarray,
    y: np.ndarray,
    C: float = 1.0,
    kernel: str = "rbf",
    tol: float = 1e-10,
    max_iter: int = 100_000,
    **params,
) -> SVM:
    """Fit the soft-margin SVM by SMO with the working set of Fan et al. (2005).

    Stops when the violation m(a) - M(a) <= tol (LIBSVM's `eps`, scikit-learn's `tol`); raises if
    `max_iter` steps do not get there. The intercept is LIBSVM's: b = -rho, rho the mean of y_t G_t
    over the free multipliers (0 < a_t < C), or the midpoint of its feasible interval if none is free.
    """
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; choose one of {sorted(KERNELS)}")
    if not C > 0:
        raise ValueError(f"C must be > 0 (it bounds the multipliers, 0 <= alpha <= C), got {C}")
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol}")
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if X.ndim != 2 or y.shape != (len(X),):
        raise ValueError(f"X must be (N, F) and y (N,), got {X.shape} and {y.shape}")
    if not np.all(np.isin(y, (-1.0, 1.0))) or len(np.unique(y)) != 2:
        raise ValueError("y must hold both labels -1 and +1 (and nothing else); map your classes to them")

    K = KERNELS[kernel](X, X, **params)  # (N, N) Gram matrix
    alpha = np.zeros(len(y))  # feasible start: y^T a = 0
    G = -np.ones(len(y))  # gradient Q a - e at a = 0
    steps = 0
    while True:
        i, j, gap = select_working_set(G, alpha, y, K, C)
        if gap <= tol or j < 0:
            break
        if steps == max_iter:
            raise ValueError(
                f"SMO did not reach tol={tol} in {max_iter} steps (gap {gap:.3g}); raise max_iter or tol"
            )
        a_i, a_j = smo_step(i, j, alpha, y, G, K, C)
        d_i, d_j = a_i - alpha[i], a_j - alpha[j]
        G += y * (y[i] * K[:, i] * d_i + y[j] * K[:, j] * d_j)  # G += Q[:, i] d_i + Q[:, j] d_j
        alpha[i], alpha[j] = a_i, a_j
        steps += 1
    return SVM(X, y, alpha, -_rho(G, alpha, y, C), float(C), kernel, params, steps)


def _rho(G: np.ndarray, alpha: np.ndarray, y: np.ndarray, C: float) -> float:
    """LIBSVM's rho (so b = -rho): y_t G_t averaged over free multipliers, else the bounds' midpoint."""
    yG = y * G
    free = (alpha > 0) & (alpha < C)
    if free.any():
        return float(yG[free].mean())
    # at a bound, KKT confines rho to [lb, ub]: rho <= y_t G_t where y_t a_t can only grow, >= where shrink
    ub_set = ((alpha >= C) & (y < 0)) | ((alpha <= 0) & (y > 0))
    lb_set = ((alpha >= C) & (y > 0)) | ((alpha <= 0) & (y < 0))
    ub = yG[ub_set].min() if ub_set.any() else np.inf
    lb = yG[lb_set].max() if lb_set.any() else -np.inf
    return float((ub + lb) / 2)


def kkt_violation(model: SVM) -> float:
    """The largest violation of the KKT conditions of the dual, in units of the margin y f(x) = 1.

    alpha_i = 0 -> y_i f(x_i) >= 1;  0 < alpha_i < C -> y_i f(x_i) = 1;  alpha_i = C -> y_i f(x_i) <= 1;
    and the equality constraint sum_i y_i alpha_i = 0.
    """
    margin = model.y * model.decision_function(model.X_train)  # y_i f(x_i)
    a, C = model.alpha, model.C
    v = np.where(a <= 0, np.maximum(1 - margin, 0), 0.0)
    v = np.maximum(v, np.where((a > 0) & (a < C), np.abs(margin - 1), 0.0))
    v = np.maximum(v, np.where(a >= C, np.maximum(margin - 1, 0), 0.0))
    return float(max(v.max(), abs(model.y @ a)))
