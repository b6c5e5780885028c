"""Every statistic and p-value against scipy.stats on the same data; the CLT by seeded simulation."""

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from mlatlas.foundations import statistics_inference as si
from mlatlas.verification import verifies

TOL = 1e-10
ALTERNATIVES = ["two-sided", "greater", "less"]


def data(seed, n=20, loc=0.3, scale=1.0):
    return np.random.default_rng(seed).normal(loc, scale, size=n)


@verifies(
    "statistics-inference",
    against="scipy.stats",
    tol=TOL,
    note="z, one- and two-sample t (pooled, Welch), chi-square GOF and independence: statistic and p",
)
@pytest.mark.parametrize("alternative", ALTERNATIVES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_t_tests_match_scipy(seed, alternative):
    a, b = data(seed), data(seed + 100, n=13, loc=0.0, scale=2.0)
    ours = si.t_test_one_sample(a, 0.0, alternative=alternative)
    ref = stats.ttest_1samp(a, 0.0, alternative=alternative)
    assert_allclose([ours.statistic, ours.pvalue, ours.df], [ref.statistic, ref.pvalue, ref.df], rtol=TOL)
    for equal_var in (True, False):
        ours = si.t_test_two_sample(a, b, equal_var=equal_var, alternative=alternative)
        ref = stats.ttest_ind(a, b, equal_var=equal_var, alternative=alternative)
        assert_allclose([ours.statistic, ours.pvalue, ours.df], [ref.statistic, ref.pvalue, ref.df], rtol=TOL)


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_z_test_matches_the_normal_distribution_in_scipy(alternative):
    x = data(3, n=40)
    ours = si.z_test(x, 0.0, 1.0, alternative=alternative)
    z = x.mean() / (1.0 / math.sqrt(40))  # scipy has no z test: the statistic by formula...
    assert_allclose(ours.statistic, z, rtol=TOL)
    expected = {"two-sided": 2 * stats.norm.sf(abs(z)), "greater": stats.norm.sf(z),
                "less": stats.norm.cdf(z)}  # fmt: skip
    assert_allclose(ours.pvalue, expected[alternative], rtol=TOL)  # ...its p-value from scipy.stats.norm


def test_large_sample_t_test_approaches_the_z_test():
    x = data(4, n=20_000, loc=0.01)
    t = si.t_test_one_sample(x, 0.0)
    z = si.z_test(x, 0.0, x.std(ddof=1))
    assert_allclose(t.statistic, z.statistic, rtol=1e-12)
    # t(ν) tails are heavier than the normal's by a relative (1 + t²)·t²/(4ν) roughly: ~1e-3 at t ≈ 3
    assert_allclose(t.pvalue, z.pvalue, rtol=5e-3)


@pytest.mark.parametrize("seed", [0, 1])
def test_chi_square_goodness_of_fit_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    observed = rng.multinomial(300, [0.1, 0.2, 0.3, 0.4]).astype(float)
    expected = 300 * np.array([0.15, 0.2, 0.3, 0.35])
    for exp in (None, expected):
        for ddof in (0, 1):
            ours = si.chi_square_goodness_of_fit(observed, exp, ddof=ddof)
            ref = stats.chisquare(observed, exp, ddof=ddof)
            assert_allclose([ours.statistic, ours.pvalue], [ref.statistic, ref.pvalue], rtol=TOL)


@pytest.mark.parametrize("correction", [False, True])
@pytest.mark.parametrize("shape", [(2, 2), (3, 4)])
def test_chi_square_independence_matches_scipy(shape, correction):
    table = np.random.default_rng(sum(shape)).integers(3, 40, size=shape)
    ours = si.chi_square_independence(table, correction=correction)
    ref = stats.chi2_contingency(table, correction=correction)
    assert_allclose([ours.statistic, ours.pvalue, ours.df], [ref.statistic, ref.pvalue, ref.dof], rtol=TOL)
    assert_allclose(ours.expected, ref.expected_freq, rtol=TOL)


@settings(max_examples=25, deadline=None)
@given(t=st.floats(-40, 40), df=st.floats(0.5, 200), x=st.floats(0, 200), k=st.integers(1, 60))
@example(t=5.960464477539063e-08, df=10.0, x=1e-3, k=1)  # tiny t: df/(df + t²) rounds to 1
@example(t=10.956934985716344, df=162.74741272045435, x=150.0, k=2)  # far tail, p ~ 1e-21
def test_tail_functions_match_scipy_distributions(t, df, x, k):
    assert_allclose(si.student_t_sf(t, df), stats.t.sf(t, df), rtol=1e-9, atol=1e-300)
    assert_allclose(si.chi2_sf(x, k), stats.chi2.sf(x, k), rtol=1e-9, atol=1e-300)
    assert_allclose(si.normal_sf(t), stats.norm.sf(t), rtol=1e-9, atol=1e-300)


def test_confidence_interval_matches_scipy_and_inverts_the_test():
    x = data(5, n=15)
    lo, hi = si.t_confidence_interval(x, 0.95)
    ref = stats.t.interval(0.95, 14, loc=x.mean(), scale=stats.sem(x))
    assert_allclose([lo, hi], ref, rtol=TOL)
    assert_allclose(si.t_test_one_sample(x, lo).pvalue, 0.05, rtol=1e-8)  # the edge is exactly p = α
    assert_allclose(si.t_test_one_sample(x, hi).pvalue, 0.05, rtol=1e-8)


def test_ks_statistic_matches_scipy():
    z = data(6, n=500, loc=0.1)
    assert_allclose(si.ks_statistic_normal(z), stats.kstest(z, "norm").statistic, rtol=TOL)


def test_clt_sample_means_have_the_predicted_moments():
    # Exponential(1): μ = σ = 1, so x̄ has mean 1 and variance 1/n. With 20 000 replicates the
    # standard error of the mean of x̄ is sqrt(1/n/20000); allow 5 of them. The sample variance of
    # x̄ has relative standard error ≈ sqrt((2 + 6/n)/20000) (kurtosis of the exponential is 9).
    n, reps = 10, 20_000
    d = si.exponential_sample_means(n, reps, np.random.default_rng(0))
    assert abs(d.means.mean() - 1.0) < 5 * math.sqrt(1 / n / reps)
    assert abs(d.means.var(ddof=1) * n - 1.0) < 5 * math.sqrt((2 + 6 / n) / reps)


def test_clt_standardised_means_approach_the_normal():
    ks = [si.ks_statistic_normal(si.exponential_sample_means(n, 4000, np.random.default_rng(n)).standardized)
          for n in (1, 4, 64)]  # fmt: skip
    assert ks[0] > ks[1] > ks[2]
    assert ks[2] < 0.04  # the 1% critical value for n = 4000 is 1.63/sqrt(4000) = 0.026, plus skew 2/8
    rng = np.random.default_rng(1)
    skews = [stats.skew(si.exponential_sample_means(n, 20_000, rng).means) for n in (4, 16)]
    assert_allclose(skews, [2 / math.sqrt(4), 2 / math.sqrt(16)], atol=0.15)  # skewness 2/√n


def test_multiple_testing_inflates_false_rejections():
    # The page: 20 tests of true nulls at α = 0.05 give at least one rejection 64 % of the time;
    # Bonferroni (α/20 each) brings it back under 5 %. Checked exactly and by simulation (±4 sd).
    assert round(si.family_wise_error_rate(0.05, 20), 2) == 0.64
    assert si.family_wise_error_rate(0.05 / 20, 20) < 0.05
    rng = np.random.default_rng(7)
    reps = 400
    p = np.array(
        [[si.t_test_one_sample(rng.normal(size=10), 0.0).pvalue for _ in range(20)] for _ in range(reps)]
    )
    for level in (0.05, 0.05 / 20):
        expected = si.family_wise_error_rate(level, 20)
        observed = (p.min(axis=1) < level).mean()
        assert abs(observed - expected) < 4 * math.sqrt(expected * (1 - expected) / reps), (level, observed)
    with pytest.raises(ValueError, match="num_tests"):
        si.family_wise_error_rate(0.05, 0)


def test_p_values_are_uniform_under_the_null():
    # Under H0 a p-value is Uniform(0, 1): rejection rate at α = 0.05 over 2000 tests is 0.05 ± 5σ.
    rng = np.random.default_rng(8)
    p = np.array([si.t_test_one_sample(rng.normal(size=12), 0.0).pvalue for _ in range(2000)])
    assert abs((p < 0.05).mean() - 0.05) < 5 * math.sqrt(0.05 * 0.95 / 2000)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="alternative must be one of"):
        si.t_test_one_sample(data(0), 0.0, alternative="bigger")
    with pytest.raises(ValueError, match="at least 2 values"):
        si.t_test_one_sample(np.array([1.0]), 0.0)
    with pytest.raises(ValueError, match="sigma must be > 0"):
        si.z_test(data(0), 0.0, 0.0)
    with pytest.raises(ValueError, match="rescale expected"):
        si.chi_square_goodness_of_fit(np.array([10.0, 20.0]), np.array([10.0, 10.0]))
    with pytest.raises(ValueError, match="all zeros"):
        si.chi_square_independence(np.array([[1, 0], [2, 0]]))
    with pytest.raises(ValueError, match="level must be"):
        si.t_confidence_interval(data(0), 1.5)


def test_figures_return_figures():
    from matplotlib.figure import Figure

    from mlatlas.foundations.figures import statistics_inference as figures

    for fn in (figures.clt_sampling_distributions, figures.rejection_region):
        assert isinstance(fn(), Figure)
