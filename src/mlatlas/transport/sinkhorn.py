"""Entropic optimal transport by Sinkhorn's iterations, with the kernel and in the log domain.

Paper: Cuturi, 2013, "Sinkhorn Distances: Lightspeed Computation of Optimal Transport",
arXiv:1306.0895; log-domain form from Peyré & Cuturi, 2019, arXiv:1803.00567, Section 4.4;
Sinkhorn divergence from Genevay, Peyré & Cuturi, 2018, arXiv:1706.00292.
Adding ε·(negative entropy) to the transport cost makes the optimal plan P = diag(u) K diag(v) with
K = exp(-C/ε); alternately rescaling rows and columns to the asked marginals finds u and v.

Two versions of the same iteration are kept side by side. ``sinkhorn_knopp`` scales the kernel K
directly: it is the fastest, and it breaks for small ε because exp(-C/ε) underflows to 0.
``sinkhorn_log`` keeps the dual potentials f = ε log u, g = ε log v and only ever exponentiates
(f_i + g_j - C_ij)/ε, which after each half-step is ≤ 0: no overflow, and underflow only of entries
that are negligible anyway. Both are plain float64 numpy so the browser lab can port them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from mlatlas.transport.optimal_transport import check_marginals, squared_euclidean_cost


@dataclass(frozen=True)
class SinkhornResult:
    """plan: (M, N); cost = <plan, C> (transport cost of the entropic plan, entropy not included);
    f: (M,), g: (N,) dual potentials in cost units (plan_ij = exp((f_i + g_j - C_ij)/ε));
    marginal_error = max(|plan 1 - a|_1, |planᵀ 1 - b|_1) of the returned plan; num_iters full
    (column then row) iterations done; converged: marginal error reached ``tol`` and all finite."""

    plan: np.ndarray
    cost: float
    f: np.ndarray
    g: np.ndarray
    marginal_error: float
    num_iters: int
    converged: bool


def _check_eps(eps: float, num_iters: int) -> None:
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a positive number (the entropic regularisation), got {eps}")
    if num_iters < 1:
        raise ValueError(f"num_iters must be at least 1, got {num_iters}")


def _finish(plan, C, a, b, f, g, it, tol, name, eps) -> SinkhornResult:
    """Measure the returned plan's marginals and warn (naming the knob) if they are not reached."""
    with np.errstate(invalid="ignore"):
        error = max(np.abs(plan.sum(axis=1) - a).sum(), np.abs(plan.sum(axis=0) - b).sum())
        cost = float(np.vdot(plan.ravel(), C.ravel()))  # <P, C> without a temporary
    finite = bool(np.isfinite(error) and np.all(np.isfinite(plan)))
    converged = finite and error <= tol
    if not finite:
        warnings.warn(
            f"{name}: the kernel exp(-C/eps) under- or overflowed at eps={eps:g} and the plan holds NaN; "
            "use sinkhorn_log (log domain) or a larger eps",
            RuntimeWarning,
            stacklevel=3,
        )
    elif not converged and tol > 0:
        warnings.warn(
            f"{name}: marginal error {error:.2e} > tol={tol:g} after {it} iterations; "
            "raise num_iters, or raise eps (smaller eps converges more slowly)",
            RuntimeWarning,
            stacklevel=3,
        )
    return SinkhornResult(plan, cost, f, g, float(error), it, converged)


def sinkhorn_knopp(
    a: ArrayLike, b: ArrayLike, cost: ArrayLike, eps: float, num_iters: int = 1000, tol: float = 1e-9
) -> SinkhornResult:
    """Entropic OT with the Gibbs kernel: min_P <P, C> - ε H(P) s.t. P 1 = a, Pᵀ 1 = b.

    K = exp(-C/ε)                       (Cuturi 2013, Lemma 2)
    v ← b / (Kᵀ u),  u ← a / (K v)      (Sinkhorn's alternating scaling, eq. (4.15) in Peyré–Cuturi)
    P = diag(u) K diag(v)
    Starts from u = 1/M and updates v first, exactly as POT's ``ot.sinkhorn``, so with the same
    number of iterations both give the same plan to round-off. Stops when the row marginal of the
    current plan is within ``tol`` (L1); ``tol=0`` runs all ``num_iters``.
    a: (M,), b: (N,), cost: (M, N).
    """
    _check_eps(eps, num_iters)
    a, b, C = check_marginals(a, b, cost)
    K = C * (-1.0 / eps)
    np.exp(K, out=K)  # (M, N) Gibbs kernel exp(-C/ε): underflows to 0 where C_ij > ~745 ε
    u = np.full(a.size, 1.0 / a.size)
    v = np.full(b.size, 1.0 / b.size)
    it = 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for it in range(1, num_iters + 1):  # noqa: B007 (it is reported)
            v = b / (K.T @ u)  # columns now sum to b
            Kv = K @ v  # (M,)
            if tol > 0 and np.abs(u * Kv - a).sum() <= tol:  # row marginal of diag(u) K diag(v)
                break
            u = a / Kv  # rows now sum to a
            if not (np.isfinite(u).all() and np.isfinite(v).all()):
                break  # underflow: K v has zeros; nothing more can be recovered
        plan = K * v[None, :]
        plan *= u[:, None]  # P = diag(u) K diag(v)
        f, g = eps * np.log(u), eps * np.log(v)
    return _finish(plan, C, a, b, f, g, it, tol, "sinkhorn_knopp", eps)


def _log_mass(a: np.ndarray) -> np.ndarray:
    """log a, with log 0 = -inf on purpose (a zero-mass point sends and receives nothing), no warning."""
    with np.errstate(divide="ignore"):
        return np.log(a)


def _log_sum_exp_rows(z: np.ndarray) -> np.ndarray:
    """log Σ_j exp(z_ij) for each row, shifted by the row max (the textbook stable form)."""
    z_max = z.max(axis=1, keepdims=True)  # (M, 1)
    z_max = np.where(np.isfinite(z_max), z_max, 0.0)
    return (z_max + np.log(np.exp(z - z_max).sum(axis=1, keepdims=True)))[:, 0]  # (M,)


def sinkhorn_log(
    a: ArrayLike, b: ArrayLike, cost: ArrayLike, eps: float, num_iters: int = 1000, tol: float = 1e-9
) -> SinkhornResult:
    """Entropic OT on the dual potentials f = ε log u, g = ε log v (Peyré–Cuturi, eq. (4.43)).

    g_j ← ε log b_j - ε log Σ_i exp((f_i - C_ij)/ε)
    f_i ← ε log a_i - ε log Σ_j exp((g_j - C_ij)/ε)
    Each log-sum-exp is shifted by the *previous* potential instead of a row maximum:
    with P_ij = exp((f_i + g_j - C_ij)/ε) the current plan and r_i = Σ_j P_ij its row sums,
    f_i ← f_i + ε (log a_i - log r_i), which is the same update. Right after a g-step every column of
    P sums to b_j ≤ 1, so every exponent is ≤ 0 and nothing overflows; a row whose sum underflowed
    (r_i < 1e-100, early on when ε is tiny) is recomputed with the max-shifted log-sum-exp.
    One exp per entry per half-step, no extra max pass. Starts from f = g = 0 and updates g first,
    exactly as POT's ``ot.sinkhorn(..., method="sinkhorn_log")``.
    a: (M,), b: (N,), cost: (M, N).
    """
    _check_eps(eps, num_iters)
    a, b, C = check_marginals(a, b, cost)
    M, N = C.shape
    log_a, log_b = _log_mass(a), _log_mass(b)  # -inf for zero-mass points: they receive nothing
    C_eps = C / eps  # (M, N) cost in units of ε
    alpha, beta = np.zeros(M), np.zeros(N)  # f/ε and g/ε
    z = np.empty((M, N))  # work buffer: (f_i + g_j - C_ij)/ε, then P_ij
    it = 0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        for it in range(1, num_iters + 1):  # noqa: B007 (it is reported)
            # --- g-step: make the columns sum to b
            np.subtract(beta[None, :], C_eps, out=z)
            z += alpha[:, None]  # (f_i + g_j - C_ij)/ε
            np.exp(z, out=z)  # P_ij; ≤ a_i after an f-step
            col = z.sum(axis=0)  # c_j = Σ_i P_ij, (N,)
            if tol > 0 and np.abs(col - b).sum() <= tol:  # rows already match: check the columns
                break
            bad = ~((col > 1e-100) & (col < np.inf))
            beta = beta + log_b - np.log(col)  # g ← g + ε (log b - log c)
            if bad.any():  # recompute underflowed columns with the max-shifted log-sum-exp
                zt = alpha[None, :] - C_eps[:, bad].T  # (f_i - C_ij)/ε for those columns
                beta[bad] = log_b[bad] - _log_sum_exp_rows(zt)
            # --- f-step: make the rows sum to a
            np.subtract(beta[None, :], C_eps, out=z)
            z += alpha[:, None]
            np.exp(z, out=z)  # P_ij; ≤ b_j after the g-step
            row = z.sum(axis=1)  # r_i = Σ_j P_ij, (M,)
            bad = ~((row > 1e-100) & (row < np.inf))
            alpha = alpha + log_a - np.log(row)  # f ← f + ε (log a - log r)
            if bad.any():
                alpha[bad] = log_a[bad] - _log_sum_exp_rows(beta[None, :] - C_eps[bad])
        np.subtract(beta[None, :], C_eps, out=z)
        z += alpha[:, None]
        plan = np.exp(z, out=z)  # P = exp((f ⊕ g - C)/ε)
    return _finish(plan, C, a, b, eps * alpha, eps * beta, it, tol, "sinkhorn_log", eps)


def sinkhorn_symmetric(
    a: ArrayLike, cost: ArrayLike, eps: float, num_iters: int = 1000, tol: float = 1e-9
) -> SinkhornResult:
    """Entropic OT of a distribution with itself, OT_ε(α, α), by the averaged symmetric iteration.

    By symmetry f = g at the optimum, a fixed point of T(f)_i = ε log a_i - ε LSE_j((f_j - C_ij)/ε).
    Iterating f ← T(f) (plain Sinkhorn) oscillates and converges very slowly for small ε;
    the averaged step f ← ½ (f + T(f)) converges in a handful of iterations
    (Feydy et al. 2019, arXiv:1810.08278, Section 3.1). ``cost`` must be symmetric, (N, N).
    """
    _check_eps(eps, num_iters)
    a, _, C = check_marginals(a, a, cost)
    if not np.allclose(C, C.T, rtol=1e-12, atol=0):
        raise ValueError("sinkhorn_symmetric needs a symmetric cost (the same points on both sides)")
    log_a = _log_mass(a)
    C_eps = C / eps  # (N, N)
    alpha = np.zeros(a.size)  # f/ε
    error, it = np.inf, 0
    with np.errstate(divide="ignore"):
        for it in range(1, num_iters + 1):  # noqa: B007 (it is reported)
            t = log_a - _log_sum_exp_rows(alpha[None, :] - C_eps)  # T(f)/ε
            alpha = 0.5 * (alpha + t)  # the averaged (symmetric) step
            plan = np.exp(alpha[:, None] + alpha[None, :] - C_eps)  # P = exp((f ⊕ f - C)/ε)
            error = np.abs(plan.sum(axis=1) - a).sum()  # rows = columns by symmetry
            if tol > 0 and error <= tol:
                break
    return _finish(plan, C, a, a, eps * alpha, eps * alpha, it, tol, "sinkhorn_symmetric", eps)


@dataclass(frozen=True)
class SinkhornDivergence:
    """divergence = W_ε(a, b) - ½ W_ε(a, a) - ½ W_ε(b, b), with the three transport costs."""

    divergence: float
    cost_xy: float
    cost_xx: float
    cost_yy: float


def sinkhorn_divergence(
    x: ArrayLike,
    y: ArrayLike,
    eps: float,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    num_iters: int = 1000,
    tol: float = 1e-9,
) -> SinkhornDivergence:
    """Debiased entropic OT between point clouds x: (M, F), y: (N, F) with squared Euclidean cost.

    S_ε(α, β) = W_ε(α, β) - ½ W_ε(α, α) - ½ W_ε(β, β)      (half of Genevay, Peyré & Cuturi 2018's
                                                          2 W_ε(α, β) - W_ε(α, α) - W_ε(β, β); POT's scale)
    where W_ε = <P_ε, C> is the transport cost of the entropic plan. W_ε(α, α) > 0 is the blur that
    entropy adds even between identical clouds; subtracting it makes S_ε(α, α) = 0 and S_ε → W_2²
    as ε → 0. The cross term uses ``sinkhorn_log`` (small ε is safe); the two self terms use
    ``sinkhorn_symmetric``, which converges far faster there. Weights default to uniform.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    a = np.full(len(x), 1.0 / len(x)) if a is None else np.asarray(a, dtype=np.float64)
    b = np.full(len(y), 1.0 / len(y)) if b is None else np.asarray(b, dtype=np.float64)

    xy = sinkhorn_log(a, b, squared_euclidean_cost(x, y), eps, num_iters, tol).cost
    xx = sinkhorn_symmetric(a, squared_euclidean_cost(x, x), eps, num_iters, tol).cost
    yy = sinkhorn_symmetric(b, squared_euclidean_cost(y, y), eps, num_iters, tol).cost
    return SinkhornDivergence(xy - 0.5 * xx - 0.5 * yy, xy, xx, yy)


def demo() -> None:
    """Kernel vs log domain on a ring and its far translate, costs in [0, 1] (``mlatlas run sinkhorn``)."""
    import time

    n = 40
    angle = 2 * np.pi * np.arange(n) / n
    x = np.c_[np.cos(angle), np.sin(angle)]
    C = squared_euclidean_cost(x, x[::-1] + np.array([30.0, 0.0]))
    C /= C.max()
    a = np.full(n, 1.0 / n)
    print("    eps    kernel: L1 error  iters   ms   |  log domain: L1 error  iters   ms")
    for eps in (1e-1, 1e-2, 3e-3, 1.5e-3, 1e-3):
        row = []
        for solver in (sinkhorn_knopp, sinkhorn_log):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                start = time.perf_counter()
                result = solver(a, a, C, eps, num_iters=5000)
                ms = 1e3 * (time.perf_counter() - start)
            row.append(f"{result.marginal_error:16.1e}  {result.num_iters:5d} {ms:5.1f}")
        print(f"  {eps:6.4f}  {row[0]}   |  {row[1]}")
