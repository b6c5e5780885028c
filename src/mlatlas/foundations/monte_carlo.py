"""Monte Carlo estimation: averages of random samples, their error bars, and four ways to shrink them.

Paper: Metropolis & Ulam (1949), "The Monte Carlo Method", JASA 44:335; variance reduction as in
Owen (2013), "Monte Carlo theory, methods and examples", chapters 8-9 (https://artowen.su.domains/mc/).
An integral is an expectation, I = E[f(X)], so the sample mean of f at n random points estimates it
with a standard error sigma / sqrt(n) in any dimension; better estimators shrink sigma, not the rate.

Every estimator is a pure function of a vectorised integrand ``f`` (array in, array out), a sample
size and an explicit numpy Generator, and returns an ``Estimate`` with its standard error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

Integrand = Callable[[np.ndarray], np.ndarray]


class Estimate(NamedTuple):
    """value: the estimate; std_error: its estimated standard deviation; n: evaluations of f used."""

    value: float
    std_error: float
    n: int

    def interval(self, z: float = 1.96) -> tuple[float, float]:
        """value -/+ z standard errors (z = 1.96: an approximate 95% confidence interval)."""
        return self.value - z * self.std_error, self.value + z * self.std_error


class ImportanceEstimate(NamedTuple):
    """An importance-sampling estimate plus its effective sample size (sum w)^2 / sum w^2."""

    value: float
    std_error: float
    n: int
    effective_sample_size: float


def _check(a: float, b: float, n: int, min_n: int = 2) -> None:
    if not b > a:
        raise ValueError(f"need an interval with a < b, got [{a}, {b}]")
    if n < min_n:
        raise ValueError(f"n must be at least {min_n} to estimate a standard error, got {n}")


def _mean_and_error(values: np.ndarray, scale: float = 1.0) -> tuple[float, float]:
    """Sample mean and its standard error s / sqrt(m) of i.i.d. values, times ``scale``."""
    m = values.size
    return scale * float(values.mean()), scale * float(values.std(ddof=1) / math.sqrt(m))


def plain(f: Integrand, a: float, b: float, n: int, rng: np.random.Generator) -> Estimate:
    """I = int_a^b f(x) dx ~ (b - a) * mean f(U_i), U_i ~ Uniform(a, b). Error (b - a) sd(f) / sqrt(n)."""
    _check(a, b, n)
    x = rng.uniform(a, b, size=n)  # (n,)
    value, err = _mean_and_error(f(x), scale=b - a)
    return Estimate(value, err, n)


def antithetic(f: Integrand, a: float, b: float, n: int, rng: np.random.Generator) -> Estimate:
    """Pair each U with its mirror a + b - U and average the pair: for monotone f the two errors cancel.

    n evaluations = n / 2 pairs; the pair means are i.i.d., so the error bar uses them.
    """
    _check(a, b, n, min_n=4)
    u = rng.uniform(a, b, size=n // 2)  # (n/2,)
    pair_means = 0.5 * (f(u) + f(a + b - u))  # (f(U) + f(a + b - U)) / 2
    value, err = _mean_and_error(pair_means, scale=b - a)
    return Estimate(value, err, 2 * (n // 2))


def control_variate(
    f: Integrand, g: Integrand, g_integral: float, a: float, b: float, n: int, rng: np.random.Generator
) -> Estimate:
    """Subtract a function g whose integral is known: I ~ mean[f - c (g - E g)] with c = Cov(f, g) / Var(g).

    E g = g_integral / (b - a). Estimating c from the same samples adds a bias of order 1/n (ignored).
    Variance falls by the factor 1 - corr(f, g)^2.
    """
    _check(a, b, n, min_n=3)
    x = rng.uniform(a, b, size=n)
    fx, gx = f(x), g(x)
    g_mean = g_integral / (b - a)  # E[g(U)]
    cov = np.cov(fx, gx)  # [[Var f, Cov], [Cov, Var g]]
    c = cov[0, 1] / cov[1, 1] if cov[1, 1] > 0 else 0.0  # optimal coefficient c* = Cov(f, g) / Var(g)
    value, err = _mean_and_error(fx - c * (gx - g_mean), scale=b - a)
    return Estimate(value, err, n)


def stratified(
    f: Integrand, a: float, b: float, n: int, rng: np.random.Generator, strata: int = 10
) -> Estimate:
    """Split [a, b] into ``strata`` equal cells and sample n / strata points uniformly in each:
    I ~ sum_s (cell width) * mean_s f. Removes the between-cell part of the variance.
    """
    _check(a, b, n)
    if strata < 1 or n // strata < 2:
        raise ValueError(f"need at least 2 samples per stratum: n={n} is too small for strata={strata}")
    per = n // strata
    edges = np.linspace(a, b, strata + 1)
    x = edges[:-1, None] + (edges[1] - edges[0]) * rng.random((strata, per))  # (strata, per)
    fx = f(x.ravel()).reshape(strata, per)
    width = (b - a) / strata
    value = width * float(fx.mean(axis=1).sum())  # sum_s width * mean_s
    var = width**2 * np.sum(fx.var(axis=1, ddof=1) / per)  # Var = sum_s width^2 s_s^2 / per
    return Estimate(value, float(math.sqrt(var)), strata * per)


def importance_sampling(
    f: Integrand,
    log_p: Integrand,
    sample_q: Callable[[np.random.Generator, int], np.ndarray],
    log_q: Integrand,
    n: int,
    rng: np.random.Generator,
    *,
    self_normalised: bool = False,
) -> ImportanceEstimate:
    """E_p[f(X)] from samples of a proposal q: weights w = p(x) / q(x).

    Plain: mean(w f) — needs p normalised. Self-normalised: sum(w f) / sum(w) — p may be known only up
    to a constant (the usual case in Bayesian inference), at the cost of an O(1/n) bias.
    ESS = (sum w)^2 / sum w^2 says how many plain samples the weighted ones are worth.
    """
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    x = sample_q(rng, n)  # X_i ~ q
    log_w = log_p(x) - log_q(x)  # log importance weights
    w = np.exp(log_w - log_w.max()) if self_normalised else np.exp(log_w)  # shift is harmless if normalised
    ess = float(w.sum() ** 2 / np.sum(w**2))
    fx = f(x)
    if self_normalised:
        wn = w / w.sum()
        value = float(np.sum(wn * fx))  # sum w f / sum w
        err = float(math.sqrt(np.sum(wn**2 * (fx - value) ** 2)))  # delta-method standard error
    else:
        value, err = _mean_and_error(w * fx)
    return ImportanceEstimate(value, err, n, ess)


# ---------------------------------------------------------------------------------------------
# worked examples with known answers
# ---------------------------------------------------------------------------------------------


def gaussian_tail_exact(t: float) -> float:
    """P(Z > t) for Z ~ N(0, 1) = erfc(t / sqrt 2) / 2."""
    return 0.5 * math.erfc(t / math.sqrt(2.0))


def gaussian_tail(t: float, n: int, rng: np.random.Generator, *, shift: bool = True) -> ImportanceEstimate:
    """P(Z > t) by importance sampling from N(t, 1) (shift=True) or by plain sampling from N(0, 1).

    With the shift, half the proposals land in the tail and w(x) = exp(-t x + t^2 / 2) stays small;
    plain sampling sees a tail event only once every 1 / P(Z > t) draws.
    """
    mu = t if shift else 0.0

    def log_p(x):
        return -0.5 * x**2  # N(0, 1) up to the shared constant

    def log_q(x):
        return -0.5 * (x - mu) ** 2  # N(mu, 1), same constant: the ratio p / q is exact

    return importance_sampling(
        lambda x: (x > t).astype(float), log_p, lambda g, m: mu + g.standard_normal(m), log_q, n, rng
    )


def estimate_pi(n: int, rng: np.random.Generator) -> Estimate:
    """pi = 4 P(U_1^2 + U_2^2 <= 1) for a point uniform in the unit square: the classic dart game."""
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    xy = rng.random((n, 2))  # (n, 2)
    inside = (np.sum(xy**2, axis=1) <= 1.0).astype(float)
    value, err = _mean_and_error(inside, scale=4.0)
    return Estimate(value, err, n)


def demo(n: int = 10_000, seed: int = 0) -> dict[str, Estimate]:
    """Estimate int_0^1 e^x dx = e - 1 with every estimator and P(Z > 4) by importance sampling;
    print each estimate, its error bar, the true error and the variance-reduction factor."""
    rng = np.random.default_rng(seed)
    exact = math.e - 1.0
    results = {
        "plain": plain(np.exp, 0.0, 1.0, n, rng),
        "antithetic": antithetic(np.exp, 0.0, 1.0, n, rng),
        "control variate (1 + x)": control_variate(np.exp, lambda x: 1 + x, 1.5, 0.0, 1.0, n, rng),
        "stratified (20 cells)": stratified(np.exp, 0.0, 1.0, n, rng, strata=20),
    }
    base = results["plain"].std_error
    print(f"int_0^1 e^x dx = e - 1 = {exact:.8f}, n = {n} evaluations each")
    print(f"  {'estimator':<26}{'estimate':>12}{'std error':>12}{'true error':>12}{'variance / plain':>18}")
    for name, est in results.items():
        print(f"  {name:<26}{est.value:>12.8f}{est.std_error:>12.2e}{est.value - exact:>12.2e}"
              f"{(est.std_error / base) ** 2:>18.4f}")
    tail = gaussian_tail(4.0, n, rng)
    naive = gaussian_tail(4.0, n, rng, shift=False)
    print(f"P(Z > 4) = {gaussian_tail_exact(4.0):.4e}: importance sampling {tail.value:.4e} "
          f"+/- {tail.std_error:.1e}; plain sampling {naive.value:.4e} +/- {naive.std_error:.1e}")
    results["gaussian tail (importance)"] = Estimate(tail.value, tail.std_error, tail.n)
    return results
