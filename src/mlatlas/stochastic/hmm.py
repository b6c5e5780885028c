"""Gaussian hidden Markov model: forward–backward, Baum–Welch and Viterbi, all in log space.

Paper: L. E. Baum, T. Petrie, G. Soules, N. Weiss (1970), "A Maximization Technique Occurring in the
Statistical Analysis of Probabilistic Functions of Markov Chains", Ann. Math. Statist. 41(1);
L. R. Rabiner (1989), "A Tutorial on Hidden Markov Models and Selected Applications in Speech
Recognition", Proc. IEEE 77(2) (equation numbers below are Rabiner's).

A hidden regime follows a Markov chain; each day's observation is Gaussian given the regime.
Baum–Welch is EM for this model; Viterbi finds the single most probable regime path.

Everything is kept as logarithms: a product of T = 2000 emission densities leaves float64's range
long before the end of the series (on the regime chapter's daily returns the densities are mostly
above 1 and p(x) overflows; densities below 1 would underflow), while a sum of their logs does not.
Emissions have diagonal covariances.

The forward and backward recursions are written as plain loops over t and the states, compiled by
numba: Baum–Welch runs them once per round, and as numpy calls on K-element rows they spent ~5 µs of
interpreter time per step (the regime chapter's drift table, a 300-round and a 100-round fit among
other detectors, took 5.3 s; compiled, 0.6 s).

Shapes: ``T`` time steps, ``K`` hidden states, ``F`` features per step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np


@dataclass(frozen=True)
class HMMParams:
    startprob: np.ndarray  # (K,)    pi_i = P(s_0 = i)
    transmat: np.ndarray  # (K, K)   a_ij = P(s_t = j | s_{t-1} = i)
    means: np.ndarray  # (K, F)      mu_i
    covars: np.ndarray  # (K, F)     diagonal variances sigma_i^2


@dataclass(frozen=True)
class Posteriors:
    log_alpha: np.ndarray  # (T, K) log P(x_0..x_t, s_t = i)
    log_beta: np.ndarray  # (T, K)  log P(x_{t+1}..x_{T-1} | s_t = i)
    gamma: np.ndarray  # (T, K)     P(s_t = i | x)
    xi_sum: np.ndarray  # (K, K)    sum_t P(s_{t-1} = i, s_t = j | x)
    log_likelihood: float  # log P(x)


@dataclass(frozen=True)
class HMMFit:
    params: HMMParams
    log_likelihoods: np.ndarray  # (n_iter,) log P(x) under the parameters *before* each M-step
    converged: bool


@dataclass(frozen=True)
class ViterbiPath:
    states: np.ndarray  # (T,) argmax_s P(s | x)
    log_prob: float  # log P(x, s*)


def _log_sum_exp(a: np.ndarray, axis: int) -> np.ndarray:
    """log sum exp along `axis`, as one ufunc reduction. A slice that is all -inf (a state no path
    reaches) gives -inf, on purpose."""
    return np.logaddexp.reduce(a, axis=axis)


def _log(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):  # log 0 = -inf is meaningful: a forbidden transition
        return np.log(p)


def check_params(params: HMMParams, F: int | None = None) -> None:
    """Raise ValueError if the parameters are not a valid HMM (with F features, if given)."""
    K = params.startprob.shape[0]
    if params.transmat.shape != (K, K):
        raise ValueError(f"transmat must be ({K}, {K}) to match startprob; got {params.transmat.shape}")
    if not np.allclose(params.transmat.sum(axis=1), 1.0) or np.any(params.transmat < 0):
        raise ValueError("every row of transmat must be a probability vector")
    if not np.isclose(params.startprob.sum(), 1.0) or np.any(params.startprob < 0):
        raise ValueError("startprob must be a probability vector")
    if params.means.shape[0] != K or params.covars.shape != params.means.shape:
        raise ValueError(
            f"means {params.means.shape} and covars {params.covars.shape} must both be (K={K}, F)"
        )
    if F is not None and params.means.shape[1] != F:
        raise ValueError(f"the model has {params.means.shape[1]} features but x has {F}")
    if np.any(params.covars <= 0):
        raise ValueError("covars must be positive variances")


def log_emissions(x: np.ndarray, params: HMMParams) -> np.ndarray:
    """log b_i(x_t) = sum_f log N(x_tf | mu_if, sigma_if^2) (diagonal Gaussian). Shape (T, K)."""
    diff = x[:, None, :] - params.means[None, :, :]  # (T, K, F)
    return -0.5 * (
        np.log(2 * np.pi * params.covars)[None].sum(axis=-1) + (diff**2 / params.covars[None]).sum(axis=-1)
    )  # (T, K)


@numba.njit(cache=True)
def _lse(v: np.ndarray) -> float:
    """log sum_i exp(v_i), shifted by the largest entry; -inf when every entry is -inf."""
    m = v.max()
    if m == -np.inf:
        return -np.inf
    return m + np.log(np.sum(np.exp(v - m)))


@numba.njit(cache=True)
def forward_pass(log_pi: np.ndarray, log_A: np.ndarray, log_b: np.ndarray) -> np.ndarray:
    """log alpha_t(j) = log P(x_0..x_t, s_t = j), (T, K): Rabiner 19 and 20 in logs."""
    T, K = log_b.shape
    log_alpha = np.empty((T, K))
    log_alpha[0] = log_pi + log_b[0]
    for t in range(1, T):
        for j in range(K):  # every path into j: from each i, times a_ij
            log_alpha[t, j] = log_b[t, j] + _lse(log_alpha[t - 1] + log_A[:, j])
    return log_alpha


@numba.njit(cache=True)
def backward_pass(log_A: np.ndarray, log_b: np.ndarray) -> np.ndarray:
    """log beta_t(i) = log P(x_{t+1}..x_{T-1} | s_t = i), (T, K): Rabiner 24 and 25 in logs."""
    T, K = log_b.shape
    log_beta = np.zeros((T, K))  # beta_{T-1} = 1
    for t in range(T - 2, -1, -1):
        for i in range(K):  # every next state j: a_ij, then x_{t+1} from j, then the rest
            log_beta[t, i] = _lse(log_A[i] + log_b[t + 1] + log_beta[t + 1])
    return log_beta


def forward_backward(x: np.ndarray, params: HMMParams) -> Posteriors:
    """The forward and backward passes in log space, and the posteriors they give.

    log alpha_0(i) = log pi_i + log b_i(x_0)                                  (Rabiner 19)
    log alpha_t(j) = log b_j(x_t) + LSE_i [log alpha_{t-1}(i) + log a_ij]     (Rabiner 20)
    log beta_{T-1}(i) = 0,  log beta_t(i) = LSE_j [log a_ij + log b_j(x_{t+1}) + log beta_{t+1}(j)]  (24, 25)
    log P(x) = LSE_i log alpha_{T-1}(i)                                       (Rabiner 21)
    gamma_t(i) = alpha_t(i) beta_t(i) / P(x)                                  (Rabiner 27)
    xi_t(i, j) = alpha_{t-1}(i) a_ij b_j(x_t) beta_t(j) / P(x)                (Rabiner 37)
    """
    log_b = log_emissions(x, params)  # (T, K)
    log_A = _log(params.transmat)  # (K, K)
    log_alpha = forward_pass(_log(params.startprob), log_A, log_b)  # (T, K)
    log_beta = backward_pass(log_A, log_b)  # (T, K)
    T, K = log_b.shape
    log_px = float(_log_sum_exp(log_alpha[-1], axis=0))
    gamma = np.exp(log_alpha + log_beta - log_px)  # (T, K)
    # xi summed over t = 1..T-1, computed as one (T-1, K, K) array of log terms.
    log_xi = (
        log_alpha[:-1, :, None] + log_A[None] + (log_b[1:] + log_beta[1:])[:, None, :] - log_px
    )  # (T-1, K, K)
    xi_sum = np.exp(_log_sum_exp(log_xi, axis=0)) if T > 1 else np.zeros((K, K))
    return Posteriors(
        log_alpha=log_alpha, log_beta=log_beta, gamma=gamma, xi_sum=xi_sum, log_likelihood=log_px
    )


def log_likelihood(x: np.ndarray, params: HMMParams) -> float:
    """log P(x | params) by the forward pass."""
    x = _as_2d(x)
    check_params(params, x.shape[1])
    return forward_backward(x, params).log_likelihood


def m_step(x: np.ndarray, post: Posteriors) -> HMMParams:
    """Re-estimation formulas (Rabiner 40a–c, with Gaussian emissions):

    pi_i = gamma_0(i),  a_ij = sum_t xi_t(i, j) / sum_t sum_j' xi_t(i, j'),
    mu_i = sum_t gamma_t(i) x_t / sum_t gamma_t(i),
    sigma_i^2 = sum_t gamma_t(i) (x_t - mu_i)^2 / sum_t gamma_t(i).
    """
    gamma = post.gamma  # (T, K)
    occupancy = gamma.sum(axis=0)  # (K,)
    means = gamma.T @ x / occupancy[:, None]  # (K, F)
    # Centred second pass: sum_t gamma_t(i) (x_t - mu_i)^2. The one-pass E[x^2] - mu^2 cancels
    # catastrophically when the data sit far from zero (relative error ~1e-4 at a level of 1e6).
    covars = np.einsum("tk,tkf->kf", gamma, (x[:, None, :] - means[None]) ** 2) / occupancy[:, None]  # (K, F)
    transmat = post.xi_sum / post.xi_sum.sum(axis=1, keepdims=True)
    return HMMParams(startprob=gamma[0].copy(), transmat=transmat, means=means, covars=covars)


def baum_welch(
    x: np.ndarray,
    init: HMMParams,
    *,
    n_iter: int = 100,
    tol: float = 1e-6,
    min_covar: float = 0.0,
) -> HMMFit:
    """EM for the HMM: each round runs forward–backward (E) then the re-estimation formulas (M).

    Stops after ``n_iter`` rounds, or earlier when log P(x) improves by less than ``tol`` (pass
    tol=-inf to always run ``n_iter`` rounds). ``min_covar`` floors the variances, so a state that
    collapses onto a few identical points cannot send the likelihood to infinity.
    """
    x = _as_2d(x)
    check_params(init, x.shape[1])
    if n_iter < 1:
        raise ValueError(f"n_iter must be at least 1; got {n_iter}")
    params = init
    history: list[float] = []
    converged = False
    for _ in range(n_iter):
        post = forward_backward(x, params)  # E-step
        params = m_step(x, post)  # M-step
        if min_covar > 0:
            params = HMMParams(
                params.startprob, params.transmat, params.means, np.maximum(params.covars, min_covar)
            )
        history.append(post.log_likelihood)
        if len(history) >= 2 and history[-1] - history[-2] < tol:
            converged = True
            break
    return HMMFit(params=params, log_likelihoods=np.array(history), converged=converged)


def viterbi(x: np.ndarray, params: HMMParams) -> ViterbiPath:
    """Most probable state path by dynamic programming (Rabiner 32–35), in log space.

    delta_0(i) = log pi_i + log b_i(x_0)
    delta_t(j) = log b_j(x_t) + max_i [delta_{t-1}(i) + log a_ij],  psi_t(j) = the argmax i
    s*_{T-1} = argmax_i delta_{T-1}(i),  s*_t = psi_{t+1}(s*_{t+1})   (backtracking)
    """
    x = _as_2d(x)
    check_params(params, x.shape[1])
    log_b = log_emissions(x, params)  # (T, K)
    log_A = _log(params.transmat)  # (K, K)
    T, K = log_b.shape
    delta = _log(params.startprob) + log_b[0]  # (K,)
    psi = np.zeros((T, K), dtype=np.int64)
    for t in range(1, T):
        scores = delta[:, None] + log_A  # (K, K) [from i, to j]
        psi[t] = np.argmax(scores, axis=0)
        delta = log_b[t] + scores[psi[t], np.arange(K)]
    states = np.empty(T, dtype=np.int64)
    states[-1] = int(np.argmax(delta))
    for t in range(T - 1, 0, -1):
        states[t - 1] = psi[t, states[t]]
    return ViterbiPath(states=states, log_prob=float(delta.max()))


def init_hmm_params(x: np.ndarray, K: int, *, stay: float = 0.95) -> HMMParams:
    """A deterministic starting point: states sorted by spread, all centred on the data.

    State k gets the overall mean and a variance scaled from small to large (factors
    0.25 .. 4 on a log scale), uniform start, and transitions that stay with probability ``stay``.
    """
    x = _as_2d(x)
    if K < 1 or K > x.shape[0]:
        raise ValueError(f"K must be between 1 and T={x.shape[0]}; got {K}")
    if not 0.0 < stay < 1.0:
        raise ValueError(f"stay must lie strictly between 0 and 1; got {stay}")
    var = x.var(axis=0)  # (F,)
    scale = np.geomspace(0.25, 4.0, K) if K > 1 else np.ones(1)
    transmat = np.full((K, K), (1 - stay) / max(K - 1, 1))
    np.fill_diagonal(transmat, stay if K > 1 else 1.0)
    return HMMParams(
        startprob=np.full(K, 1.0 / K),
        transmat=transmat,
        means=np.tile(x.mean(axis=0), (K, 1)),
        covars=scale[:, None] * var[None, :],
    )


def _as_2d(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"x must be (T,) or (T, F) observations; got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or inf; drop or fill those days first")
    return x
