"""Bayesian inference with conjugate priors: Beta–Binomial, Normal–Normal and Bayesian linear regression.

Reference: Bishop (2006), "Pattern Recognition and Machine Learning", sections 2.1–2.3 and 3.3;
Gelman et al. (2013), "Bayesian Data Analysis", 3rd ed., chapters 2–3 and 14.
A conjugate prior keeps its family under Bayes' rule, so the posterior is a closed-form update of
the prior's parameters: counts add to counts, precisions add to precisions.

Every function takes plain float64 NumPy arrays and returns a small NamedTuple. The tests check the
closed forms against brute-force normalisation of prior × likelihood (scipy.stats densities on a
grid), against scipy.stats' predictive distributions, and against Gaussian conditioning of the
joint distribution. Shape legend: N data points, F features.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import special

# --------------------------------------------------------------------------------------------
# Beta–Binomial: a coin's bias p from k heads in n tosses
# --------------------------------------------------------------------------------------------


class BetaPosterior(NamedTuple):
    """Beta(a, b) over a probability p: mean a / (a + b)."""

    a: float
    b: float

    @property
    def mean(self) -> float:
        return self.a / (self.a + self.b)

    @property
    def var(self) -> float:
        s = self.a + self.b
        return self.a * self.b / (s**2 * (s + 1.0))

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Central credible interval from the inverse regularised incomplete beta function."""
        lo = (1.0 - level) / 2.0
        return float(special.betaincinv(self.a, self.b, lo)), float(
            special.betaincinv(self.a, self.b, 1 - lo)
        )


def beta_binomial_posterior(a: float, b: float, heads: int, tosses: int) -> BetaPosterior:
    """Prior Beta(a, b), likelihood Binomial(k | n, p)  ->  posterior Beta(a + k, b + n - k).

    p^(a-1) (1-p)^(b-1) * p^k (1-p)^(n-k) is again a Beta kernel (BDA3 section 2.4):
    heads add to a, tails to b.
    """
    if a <= 0 or b <= 0:
        raise ValueError(f"Beta prior needs a > 0 and b > 0, got a={a}, b={b}")
    if not 0 <= heads <= tosses:
        raise ValueError(f"need 0 <= heads <= tosses, got heads={heads}, tosses={tosses}")
    return BetaPosterior(a + heads, b + tosses - heads)


def beta_binomial_predictive(post: BetaPosterior, m: int) -> np.ndarray:
    """P(j heads in m new tosses | data) = C(m, j) B(j + a, m - j + b) / B(a, b), j = 0..m: (m + 1,).

    The binomial averaged over the posterior of p (the beta-binomial law).
    """
    j = np.arange(m + 1)
    log_choose = special.gammaln(m + 1) - special.gammaln(j + 1) - special.gammaln(m - j + 1)
    log_p = log_choose + special.betaln(j + post.a, m - j + post.b) - special.betaln(post.a, post.b)
    return np.exp(log_p)


# --------------------------------------------------------------------------------------------
# Normal–Normal: an unknown mean with known noise variance
# --------------------------------------------------------------------------------------------


class NormalPosterior(NamedTuple):
    """N(mean, var) over the unknown mean mu."""

    mean: float
    var: float


def normal_known_variance_posterior(
    mu0: float, tau0_sq: float, sigma_sq: float, x: np.ndarray
) -> NormalPosterior:
    """Prior mu ~ N(mu0, tau0^2), data x_i ~ N(mu, sigma^2) i.i.d.  ->  posterior N(mu_n, tau_n^2) with

        1 / tau_n^2 = 1 / tau0^2 + n / sigma^2               (precisions add)
        mu_n = tau_n^2 (mu0 / tau0^2 + sum(x) / sigma^2)    (a precision-weighted average)

    BDA3 section 2.5; Bishop section 2.3.6.
    """
    if tau0_sq <= 0 or sigma_sq <= 0:
        raise ValueError(f"variances must be positive, got tau0_sq={tau0_sq}, sigma_sq={sigma_sq}")
    x = np.asarray(x, dtype=np.float64)
    precision = 1.0 / tau0_sq + x.size / sigma_sq  # 1 / tau_n^2
    mean = (mu0 / tau0_sq + x.sum() / sigma_sq) / precision  # mu_n
    return NormalPosterior(float(mean), float(1.0 / precision))


def normal_predictive(post: NormalPosterior, sigma_sq: float) -> NormalPosterior:
    """A new x ~ N(mu_n, sigma^2 + tau_n^2): noise variance plus what we still don't know about mu."""
    return NormalPosterior(post.mean, sigma_sq + post.var)


# --------------------------------------------------------------------------------------------
# Bayesian linear regression: y = X w + noise, w ~ N(m0, S0), noise ~ N(0, sigma^2 I)
# --------------------------------------------------------------------------------------------


class GaussianPosterior(NamedTuple):
    """N(mean, cov) over the weights w: mean (F,), cov (F, F)."""

    mean: np.ndarray
    cov: np.ndarray


def _check_regression(X: np.ndarray, y: np.ndarray, m0: np.ndarray, S0: np.ndarray, sigma_sq: float) -> None:
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (N, F) and y (N,), got X {X.shape} and y {y.shape}")
    f = X.shape[1]
    if m0.shape != (f,) or S0.shape != (f, f):
        raise ValueError(f"prior must be m0 ({f},) and S0 ({f}, {f}), got {m0.shape} and {S0.shape}")
    if sigma_sq <= 0:
        raise ValueError(f"noise variance sigma_sq must be positive, got {sigma_sq}")


def linear_regression_posterior(
    X: np.ndarray, y: np.ndarray, m0: np.ndarray, S0: np.ndarray, sigma_sq: float
) -> GaussianPosterior:
    """Posterior over w (Bishop eqs. 3.50–3.51):

        S_N^-1 = S0^-1 + X^T X / sigma^2
        m_N    = S_N (S0^-1 m0 + X^T y / sigma^2)

    X: (N, F), y: (N,), m0: (F,), S0: (F, F). Solved with Cholesky factors, never explicit inverses of X^T X.
    """
    X, y, m0, S0 = (np.asarray(a, dtype=np.float64) for a in (X, y, m0, S0))
    _check_regression(X, y, m0, S0, sigma_sq)
    L0 = np.linalg.cholesky(S0)
    S0_inv = cho_inverse(L0)  # S0^-1, (F, F)
    precision = S0_inv + X.T @ X / sigma_sq  # S_N^-1, (F, F)
    L = np.linalg.cholesky(precision)
    cov = cho_inverse(L)  # S_N, (F, F)
    mean = cov @ (S0_inv @ m0 + X.T @ y / sigma_sq)  # m_N, (F,)
    return GaussianPosterior(mean, 0.5 * (cov + cov.T))


def cho_inverse(L: np.ndarray) -> np.ndarray:
    """A^-1 from the lower Cholesky factor L of A = L L^T: (L^-1)^T (L^-1)."""
    L_inv = np.linalg.solve(L, np.eye(L.shape[0]))
    return L_inv.T @ L_inv


def linear_regression_predictive(
    post: GaussianPosterior, X_new: np.ndarray, sigma_sq: float
) -> tuple[np.ndarray, np.ndarray]:
    """Predictive mean x^T m_N and variance sigma^2 + x^T S_N x per row x of X_new (Bishop eqs. 3.58–3.59).

    X_new: (M, F) -> mean (M,), var (M,). The second term is the weight uncertainty; it grows away from
    the data, while sigma^2 is the floor no amount of data removes.
    """
    X_new = np.asarray(X_new, dtype=np.float64)
    mean = X_new @ post.mean  # (M,)
    var = sigma_sq + np.einsum("mf,fg,mg->m", X_new, post.cov, X_new)  # (M,)
    return mean, var


def linear_regression_log_evidence(
    X: np.ndarray, y: np.ndarray, m0: np.ndarray, S0: np.ndarray, sigma_sq: float
) -> float:
    """log p(y | X) = log N(y | X m0, sigma^2 I + X S0 X^T), w integrated out.

    Bishop eq. 3.86 in covariance form."""
    X, y, m0, S0 = (np.asarray(a, dtype=np.float64) for a in (X, y, m0, S0))
    _check_regression(X, y, m0, S0, sigma_sq)
    C = sigma_sq * np.eye(X.shape[0]) + X @ S0 @ X.T  # (N, N)
    L = np.linalg.cholesky(C)
    r = np.linalg.solve(L, y - X @ m0)  # L^-1 (y - X m0)
    return float(-0.5 * r @ r - np.log(np.diag(L)).sum() - 0.5 * X.shape[0] * math.log(2 * math.pi))


# --------------------------------------------------------------------------------------------
# The prior's pull as data grows
# --------------------------------------------------------------------------------------------


class PriorPull(NamedTuple):
    """Posterior means and 95% intervals after the first n tosses, for each n: arrays of shape (len(ns),)."""

    ns: np.ndarray
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def prior_pull(a: float, b: float, tosses: np.ndarray, ns: np.ndarray) -> PriorPull:
    """Beta(a, b) posterior after the first n of ``tosses`` (0/1 array) for each n in ``ns``.

    The posterior mean is w * prior mean + (1 - w) * k / n with w = (a + b) / (a + b + n): the prior
    counts as a + b pseudo-tosses, so its pull fades like 1 / n.
    """
    heads = np.concatenate([[0], np.cumsum(tosses)])  # heads among the first n tosses, n = 0..len
    posts = [beta_binomial_posterior(a, b, int(heads[n]), int(n)) for n in ns]
    intervals = np.array([p.interval() for p in posts])  # (len(ns), 2)
    return PriorPull(np.asarray(ns), np.array([p.mean for p in posts]), intervals[:, 0], intervals[:, 1])


def demo(seed: int = 0) -> PriorPull:
    """Toss a coin with p = 0.7 and print how a flat and a confident wrong prior converge."""
    rng = np.random.default_rng(seed)
    tosses = (rng.random(1000) < 0.7).astype(int)
    ns = np.array([0, 10, 100, 1000])
    for name, (a, b) in {"flat Beta(1, 1)": (1, 1), "wrong Beta(30, 70)": (30, 70)}.items():
        pull = prior_pull(a, b, tosses, ns)
        print(name)
        for n, m, lo, hi in zip(*pull, strict=True):
            print(f"  n = {n:>4}: mean {m:.3f}, 95% interval [{lo:.3f}, {hi:.3f}]")
    return pull
