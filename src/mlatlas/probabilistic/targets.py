"""Target densities for the MCMC chapter: log density and gradient, both in float64.

A correlated Gaussian (known moments, hard for samplers that move one axis at a time), a banana
(a Gaussian bent by a quadratic, known moments), and the eight-schools hierarchical model of
Rubin (1981), "Estimation in parallel randomized experiments", J. Educational Statistics 6,
as presented in Gelman et al. (2013), "Bayesian Data Analysis", 3rd ed., section 5.5.

Each ``*_target`` returns a function q (D,) -> (log p(q), grad log p(q)) with log p known up to a
constant, which is all a sampler needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

LogProbGrad = Callable[[np.ndarray], tuple[float, np.ndarray]]


def correlated_gaussian_target(cov: np.ndarray) -> LogProbGrad:
    """N(0, cov): log p = -1/2 q^T cov^-1 q, grad = -cov^-1 q."""
    precision = np.linalg.inv(np.asarray(cov, dtype=np.float64))

    def log_prob_grad(q: np.ndarray) -> tuple[float, np.ndarray]:
        g = -precision @ q
        return 0.5 * float(q @ g), g

    return log_prob_grad


def banana_target(a: float = 1.0, b: float = 0.5) -> LogProbGrad:
    """q1 ~ N(0, a^2), q2 | q1 ~ N(b (q1^2 - a^2), 1): a banana with E[q] = 0, Var q1 = a^2,
    Var q2 = 1 + 2 a^4 b^2 (since Var q1^2 = 2 a^4)."""

    def log_prob_grad(q: np.ndarray) -> tuple[float, np.ndarray]:
        r = q[1] - b * (q[0] ** 2 - a**2)  # residual of q2 about its conditional mean
        logp = -0.5 * q[0] ** 2 / a**2 - 0.5 * r**2
        return logp, np.array([-q[0] / a**2 + 2.0 * b * q[0] * r, -r])

    return log_prob_grad


def banana_moments(a: float = 1.0, b: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean (2,) and standard deviations (2,) of ``banana_target(a, b)``."""
    return np.zeros(2), np.array([a, math.sqrt(1.0 + 2.0 * a**4 * b**2)])


# Eight schools (Rubin 1981): estimated coaching effects y_j and their standard errors sigma_j.
EIGHT_SCHOOLS_Y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
EIGHT_SCHOOLS_SIGMA = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
EIGHT_SCHOOLS_NAMES = ["mu", "tau"] + [f"theta[{j}]" for j in range(8)]


def eight_schools_target(
    y: np.ndarray = EIGHT_SCHOOLS_Y, sigma: np.ndarray = EIGHT_SCHOOLS_SIGMA
) -> LogProbGrad:
    """Non-centred eight schools on the unconstrained vector q = (mu, log tau, eta_1..eta_8) (10,):

        mu ~ N(0, 5^2),  tau ~ HalfCauchy(5),  eta_j ~ N(0, 1),  theta_j = mu + tau eta_j,
        y_j ~ N(theta_j, sigma_j^2),

    with the log-Jacobian log tau of tau = exp(log tau) added, exactly as NumPyro does when it
    samples a HalfCauchy site on the unconstrained line. Writing theta = mu + tau eta instead of
    theta ~ N(mu, tau^2) removes the funnel between tau and theta that defeats HMC.
    """

    def log_prob_grad(q: np.ndarray) -> tuple[float, np.ndarray]:
        mu, log_tau, eta = q[0], q[1], q[2:]
        tau = math.exp(log_tau)
        r = (y - mu - tau * eta) / sigma**2  # d log-likelihood / d theta_j, (8,)
        u = tau / 5.0
        logp = (
            -0.5 * mu**2 / 25.0  # mu ~ N(0, 25)
            - math.log1p(u * u)  # HalfCauchy(tau; 5), up to its constant log(2 / (5 pi))
            + log_tau  # Jacobian of tau = exp(log tau)
            - 0.5 * float(eta @ eta)  # eta ~ N(0, 1)
            - 0.5 * float(np.sum((y - mu - tau * eta) ** 2 / sigma**2))  # likelihood
        )
        grad = np.empty(10)
        grad[0] = -mu / 25.0 + r.sum()
        grad[1] = tau * (-2.0 * u / 5.0 / (1.0 + u * u) + float(r @ eta)) + 1.0
        grad[2:] = -eta + tau * r
        return logp, grad

    return log_prob_grad


def eight_schools_constrained(draws: np.ndarray) -> np.ndarray:
    """Map unconstrained draws (..., 10) to (mu, tau, theta_1..theta_8) (..., 10)."""
    out = np.empty_like(draws)
    out[..., 0] = draws[..., 0]
    tau = np.exp(draws[..., 1])
    out[..., 1] = tau
    out[..., 2:] = draws[..., :1] + tau[..., None] * draws[..., 2:]  # theta_j = mu + tau eta_j
    return out
