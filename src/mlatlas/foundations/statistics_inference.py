"""Statistical inference: sampling distributions, the central limit theorem, z / t / chi-square tests.

Papers: "Student" (W. S. Gosset) 1908, Biometrika 6 (the t distribution); Pearson 1900, Philosophical
Magazine 50 (the chi-square test); Welch 1947, Biometrika 34 (unequal-variance t test).
A test turns data into one number whose distribution we know when the null hypothesis holds; the
p-value is how far into that distribution's tail the observed number falls.

Tail probabilities come from special functions (erfc, the regularised incomplete beta and gamma
functions), not from scipy.stats, which the tests use as the independent reference. Samples are
1-D float64 NumPy arrays; ``alternative`` is "two-sided", "greater" or "less" as in scipy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy import special

ALTERNATIVES = ("two-sided", "greater", "less")


class TestResult(NamedTuple):
    """The test statistic, its p-value, and the degrees of freedom (``inf`` for a z test)."""

    statistic: float
    pvalue: float
    df: float


# --- tail probabilities of the three reference distributions --------------------------------


def normal_sf(z: float) -> float:
    """P(Z > z) for Z ~ N(0, 1): ½ erfc(z / √2)."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def student_t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom.

    P(|T| > |t|) = I_{df/(df + t²)}(df/2, 1/2), the regularised incomplete beta function; halve it
    for one tail and reflect for negative t. For tiny t², df/(df + t²) rounds to 1 and loses the
    answer, so when the tail is large (> ½) we use the complement P(|T| < |t|) = I_{t²/(df+t²)}(½, df/2)
    instead; subtracting from 1 is only safe there, never for a small tail.
    """
    two_tail = float(special.betainc(df / 2.0, 0.5, df / (df + t * t)))  # P(|T| > |t|)
    if two_tail > 0.5:
        two_tail = 1.0 - float(special.betainc(0.5, df / 2.0, t * t / (df + t * t)))  # 1 − P(|T| < |t|)
    return 0.5 * two_tail if t >= 0 else 1.0 - 0.5 * two_tail


def chi2_sf(x: float, df: float) -> float:
    """P(X > x) for X ~ χ²(df): the regularised upper incomplete gamma Q(df/2, x/2)."""
    return float(special.gammaincc(df / 2.0, x / 2.0))


def _p_value(statistic: float, sf: Callable[[float], float], alternative: str) -> float:
    """p-value of a statistic whose null distribution is symmetric about 0 with survival ``sf``."""
    if alternative == "two-sided":
        return min(1.0, 2.0 * sf(abs(statistic)))  # both tails: P(|S| ≥ |s|)
    if alternative == "greater":
        return sf(statistic)  # upper tail: P(S ≥ s)
    if alternative == "less":
        return sf(-statistic)  # lower tail: P(S ≤ s) = P(S ≥ −s)
    raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")


def _sample(x: np.ndarray, name: str = "sample", min_size: int = 2) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.size < min_size:
        raise ValueError(f"{name} must be a 1-D array with at least {min_size} values, got shape {x.shape}")
    return x


# --- tests ------------------------------------------------------------------------------------


def z_test(sample: np.ndarray, mu0: float, sigma: float, alternative: str = "two-sided") -> TestResult:
    """One-sample z test with known population standard deviation σ.

    z = (x̄ − μ₀) / (σ / √n)   ~ N(0, 1) under H₀: μ = μ₀
    """
    x = _sample(sample, min_size=1)
    if sigma <= 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    z = (x.mean() - mu0) / (sigma / math.sqrt(x.size))  # standard error σ/√n
    return TestResult(float(z), _p_value(float(z), normal_sf, alternative), math.inf)


def t_test_one_sample(sample: np.ndarray, mu0: float, alternative: str = "two-sided") -> TestResult:
    """One-sample t test: σ unknown, estimated by the sample standard deviation s (ddof = 1).

    t = (x̄ − μ₀) / (s / √n)   ~ t(n − 1) under H₀
    """
    x = _sample(sample)
    n = x.size
    s = x.std(ddof=1)  # s² = Σ (x_i − x̄)² / (n − 1)
    t = (x.mean() - mu0) / (s / math.sqrt(n))
    df = n - 1
    return TestResult(float(t), _p_value(float(t), lambda v: student_t_sf(v, df), alternative), float(df))


def t_test_two_sample(
    a: np.ndarray, b: np.ndarray, *, equal_var: bool = True, alternative: str = "two-sided"
) -> TestResult:
    """Two-sample t test for equal means: pooled (Student) or unequal variances (Welch).

    pooled:  t = (ā − b̄) / (s_p √(1/n_a + 1/n_b)),  s_p² = ((n_a−1)s_a² + (n_b−1)s_b²)/(n_a+n_b−2)
    Welch:   t = (ā − b̄) / √(s_a²/n_a + s_b²/n_b),  df = (s_a²/n_a + s_b²/n_b)² /
                 [ (s_a²/n_a)²/(n_a−1) + (s_b²/n_b)²/(n_b−1) ]   (Welch–Satterthwaite)
    """
    a, b = _sample(a, "a"), _sample(b, "b")
    na, nb = a.size, b.size
    va, vb = a.var(ddof=1), b.var(ddof=1)
    if equal_var:
        df = na + nb - 2
        pooled = ((na - 1) * va + (nb - 1) * vb) / df  # s_p²
        se = math.sqrt(pooled * (1.0 / na + 1.0 / nb))
    else:
        wa, wb = va / na, vb / nb  # squared standard errors of each mean
        se = math.sqrt(wa + wb)
        df = (wa + wb) ** 2 / (wa**2 / (na - 1) + wb**2 / (nb - 1))  # Welch–Satterthwaite
    t = (a.mean() - b.mean()) / se
    return TestResult(float(t), _p_value(float(t), lambda v: student_t_sf(v, df), alternative), float(df))


def chi_square_goodness_of_fit(
    observed: np.ndarray, expected: np.ndarray | None = None, *, ddof: int = 0
) -> TestResult:
    """Pearson's goodness-of-fit test: do counts in k categories follow the expected counts?

        χ² = Σ_i (O_i − E_i)² / E_i   ~ χ²(k − 1 − ddof) under H₀  (large-count approximation)
    ``expected`` defaults to equal counts; it must sum to the same total as ``observed``.
    """
    o = np.asarray(observed, dtype=np.float64)
    if o.ndim != 1 or o.size < 2:
        raise ValueError(f"observed must be 1-D counts in at least 2 categories, got shape {o.shape}")
    e = np.full_like(o, o.sum() / o.size) if expected is None else np.asarray(expected, dtype=np.float64)
    if e.shape != o.shape:
        raise ValueError(f"expected has shape {e.shape} but observed has {o.shape}")
    if np.any(e <= 0):
        raise ValueError("expected counts must all be > 0")
    if not math.isclose(o.sum(), e.sum(), rel_tol=1e-8):
        raise ValueError(f"observed sums to {o.sum()} but expected to {e.sum()}; rescale expected to match")
    stat = float(np.sum((o - e) ** 2 / e))  # Σ (O − E)² / E
    df = o.size - 1 - ddof
    return TestResult(stat, chi2_sf(stat, df), float(df))


class IndependenceResult(NamedTuple):
    """A chi-square test of independence: statistic, p-value, df and the expected table."""

    statistic: float
    pvalue: float
    df: float
    expected: np.ndarray


def chi_square_independence(table: np.ndarray, *, correction: bool = False) -> IndependenceResult:
    """Are the row and column variables of an r × c contingency table independent?

        E_ij = (row_i total)(column_j total) / N,   χ² = Σ_ij (O_ij − E_ij)² / E_ij ~ χ²((r−1)(c−1))
    ``correction=True`` applies Yates' continuity correction when df = 1 (moves each O_ij half a
    count towards E_ij), as scipy.stats.chi2_contingency does by default.
    """
    o = np.asarray(table, dtype=np.float64)
    if o.ndim != 2 or min(o.shape) < 2:
        raise ValueError(f"table must be 2-D with at least 2 rows and 2 columns, got shape {o.shape}")
    if np.any(o < 0):
        raise ValueError("counts must be >= 0")
    expected = np.outer(o.sum(axis=1), o.sum(axis=0)) / o.sum()  # E = row ⊗ column / N
    if np.any(expected == 0):
        raise ValueError("a row or column of the table is all zeros; drop it first")
    df = (o.shape[0] - 1) * (o.shape[1] - 1)
    if correction and df == 1:
        diff = expected - o
        o = o + np.sign(diff) * np.minimum(0.5, np.abs(diff))  # Yates: half a count towards E
    stat = float(np.sum((o - expected) ** 2 / expected))
    return IndependenceResult(stat, chi2_sf(stat, df), float(df), expected)


def t_confidence_interval(sample: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """x̄ ± t_{(1+level)/2, n−1} · s/√n: the interval of μ₀ values a two-sided t test would keep."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    x = _sample(sample)
    n = x.size
    critical = float(special.stdtrit(n - 1, 0.5 + level / 2.0))  # t quantile
    half_width = critical * x.std(ddof=1) / math.sqrt(n)
    return float(x.mean() - half_width), float(x.mean() + half_width)


def family_wise_error_rate(alpha: float, num_tests: int) -> float:
    """P(at least one false rejection) among ``num_tests`` independent tests of true nulls at level
    ``alpha``: 1 − (1 − α)^m. Testing each at α/m (Bonferroni) keeps it below α, independent or not."""
    if not 0.0 < alpha < 1.0 or num_tests < 1:
        raise ValueError(f"need 0 < alpha < 1 and num_tests >= 1, got alpha={alpha}, num_tests={num_tests}")
    return 1.0 - (1.0 - alpha) ** num_tests


# --- sampling distributions and the CLT by simulation ---------------------------------------


class SamplingDistribution(NamedTuple):
    """``reps`` sample means of size-``n`` samples, and their standardised values (x̄ − μ)/(σ/√n)."""

    means: np.ndarray
    standardized: np.ndarray


def exponential_sample_means(
    n: int, reps: int, rng: np.random.Generator, scale: float = 1.0
) -> SamplingDistribution:
    """Means of ``reps`` samples of size ``n`` from Exponential(scale): μ = σ = scale.

    The exponential is skewed (skewness 2), so the CLT's pull towards N(0, 1) is visible: the
    skewness of the mean falls as 2/√n.
    """
    if n < 1 or reps < 1:
        raise ValueError(f"need n >= 1 and reps >= 1, got n={n}, reps={reps}")
    draws = rng.exponential(scale, size=(reps, n))  # (reps, n)
    means = draws.mean(axis=1)  # x̄ for each replicate
    return SamplingDistribution(means, (means - scale) / (scale / math.sqrt(n)))


def ks_statistic_normal(z: np.ndarray) -> float:
    """Kolmogorov–Smirnov distance sup_x |F_n(x) − Φ(x)| between a sample's CDF and N(0, 1)."""
    z = np.sort(np.asarray(z, dtype=np.float64))
    n = z.size
    cdf = 0.5 * special.erfc(-z / math.sqrt(2.0))  # Φ(z)
    above = np.arange(1, n + 1) / n - cdf  # F_n jumps to i/n at z_(i)
    below = cdf - np.arange(0, n) / n  # just before the jump it was (i − 1)/n
    return float(max(above.max(), below.max()))
