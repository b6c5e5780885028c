"""Gaussian mixture model fitted by expectation–maximisation, in log space.

Paper: A. P. Dempster, N. M. Laird, D. B. Rubin (1977), "Maximum Likelihood from Incomplete Data
via the EM Algorithm", JRSS B 39(1).

Each point is drawn from one of K Gaussians chosen with probabilities pi_k. EM alternates soft
assignments (responsibilities, E-step) with weighted maximum-likelihood updates (M-step).

Shapes: ``M`` points, ``F`` features, ``K`` components.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlatlas.stochastic.regime_kmeans import kmeans


@dataclass(frozen=True)
class GMMParams:
    weights: np.ndarray  # (K,)      pi_k
    means: np.ndarray  # (K, F)      mu_k
    covariances: np.ndarray  # (K, F, F) Sigma_k


@dataclass(frozen=True)
class GMMFit:
    params: GMMParams
    resp: np.ndarray  # (M, K) responsibilities under the final parameters
    labels: np.ndarray  # (M,)  argmax_k resp
    log_likelihoods: np.ndarray  # (n_iter,) mean log-likelihood before each M-step
    converged: bool


def log_gaussian(x: np.ndarray, means: np.ndarray, covariances: np.ndarray) -> np.ndarray:
    """log N(x_i | mu_k, Sigma_k) for every point and component, via Cholesky factors. Shape (M, K).

    log N = -1/2 (F log 2 pi + log det Sigma + ||L^{-1}(x - mu)||^2),  Sigma = L L^T.
    """
    M, F = x.shape
    out = np.empty((M, means.shape[0]))
    for k, (mu, cov) in enumerate(zip(means, covariances)):
        L = np.linalg.cholesky(cov)  # (F, F)
        z = np.linalg.solve(L, (x - mu).T)  # (F, M) whitened residuals
        log_det = 2.0 * np.log(np.diag(L)).sum()
        out[:, k] = -0.5 * (F * np.log(2 * np.pi) + log_det + (z**2).sum(axis=0))
    return out


def log_sum_exp(a: np.ndarray, axis: int) -> np.ndarray:
    """log sum_k exp(a_k) without overflow: m + log sum exp(a - m), m = max a."""
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(a - m), axis=axis))


def e_step(x: np.ndarray, params: GMMParams) -> tuple[np.ndarray, float]:
    """Responsibilities r_ik = pi_k N(x_i|k) / sum_j pi_j N(x_i|j) (log space) and mean log-likelihood."""
    log_joint = np.log(params.weights) + log_gaussian(x, params.means, params.covariances)  # (M, K)
    log_norm = log_sum_exp(log_joint, axis=1)  # (M,) log p(x_i)
    return np.exp(log_joint - log_norm[:, None]), float(log_norm.mean())


def m_step(x: np.ndarray, resp: np.ndarray, reg_covar: float) -> GMMParams:
    """Weighted maximum likelihood: N_k = sum_i r_ik, pi_k = N_k / M, mu_k = sum_i r_ik x_i / N_k,
    Sigma_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T / N_k + reg_covar I."""
    M, F = x.shape
    Nk = resp.sum(axis=0) + 10 * np.finfo(np.float64).eps  # (K,) guard against an empty component
    means = resp.T @ x / Nk[:, None]  # (K, F)
    covs = np.empty((means.shape[0], F, F))
    for k in range(means.shape[0]):
        diff = x - means[k]  # (M, F)
        covs[k] = (resp[:, k, None] * diff).T @ diff / Nk[k] + reg_covar * np.eye(F)
    return GMMParams(weights=Nk / M, means=means, covariances=covs)


def fit_gmm(
    x: np.ndarray,
    K: int,
    *,
    init: GMMParams | None = None,
    rng: np.random.Generator | None = None,
    max_iter: int = 200,
    tol: float = 1e-8,
    reg_covar: float = 1e-6,
) -> GMMFit:
    """EM for a full-covariance Gaussian mixture.

    Starts from ``init`` or, given ``rng``, from a k-means clustering (hard responsibilities). Stops
    when the mean log-likelihood improves by less than ``tol`` (tol=0 runs all ``max_iter`` rounds).
    ``reg_covar`` is added to each covariance's diagonal so a collapsing component stays invertible.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"x must be (M, F) points; got shape {x.shape}")
    if not 1 <= K <= x.shape[0]:
        raise ValueError(f"K must be between 1 and the number of points ({x.shape[0]}); got {K}")
    if init is None:
        if rng is None:
            raise ValueError("give either init parameters or rng to start from k-means")
        labels = kmeans(x, K, rng=rng).labels
        params = m_step(x, np.eye(K)[labels], reg_covar)
    else:
        params = init
        if params.means.shape != (K, x.shape[1]):
            raise ValueError(f"init means must have shape ({K}, {x.shape[1]}); got {params.means.shape}")

    history = []
    converged = False
    for _ in range(max_iter):
        resp, ll = e_step(x, params)
        params = m_step(x, resp, reg_covar)
        if history and abs(ll - history[-1]) < tol:
            history.append(ll)
            converged = True
            break
        history.append(ll)
    resp, _ = e_step(x, params)
    return GMMFit(
        params=params,
        resp=resp,
        labels=resp.argmax(axis=1),
        log_likelihoods=np.array(history),
        converged=converged,
    )
