"""Monte Carlo estimators against integrals known in closed form, with seeded error-bar checks."""

import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from mlatlas.foundations import monte_carlo as mc
from mlatlas.verification import verifies

SIGMAS = 4.0  # an estimate must land within 4 of its own standard errors of the exact value (seeded)
MC_TOL = "4 standard errors"
E_MINUS_1 = math.e - 1.0  # int_0^1 e^x dx


def exp(x):
    return np.exp(x)


def within(est, exact):
    return abs(est.value - exact) <= SIGMAS * est.std_error


@pytest.mark.parametrize("method", ["plain", "antithetic", "control_variate", "stratified"])
@verifies("monte-carlo", against="analytic integrals", tol=MC_TOL,
          note="int_0^1 e^x dx = e - 1, 4000 evaluations per estimator, seeded")
def test_estimators_hit_the_exact_integral(method):
    rng = np.random.default_rng(0)
    n = 4000
    if method == "plain":
        est = mc.plain(exp, 0.0, 1.0, n, rng)
    elif method == "antithetic":
        est = mc.antithetic(exp, 0.0, 1.0, n, rng)
    elif method == "control_variate":
        est = mc.control_variate(exp, lambda x: 1 + x, 1.5, 0.0, 1.0, n, rng)  # int_0^1 (1 + x) = 3/2
    else:
        est = mc.stratified(exp, 0.0, 1.0, n, rng, strata=20)
    assert est.n == n
    assert within(est, E_MINUS_1), (method, est)


@verifies("monte-carlo", against="analytic integrals", tol=MC_TOL,
          note="P(Z > 4) = erfc(4 / sqrt 2) / 2 by importance sampling; pi by darts")
def test_importance_sampling_and_pi():
    rng = np.random.default_rng(1)
    exact = mc.gaussian_tail_exact(4.0)
    est = mc.gaussian_tail(4.0, 20_000, rng)
    assert within(est, exact), (est, exact)
    assert 0.013 < est.std_error / exact < 0.017  # ~1.5% relative error from 20 000 samples (page)
    assert round(1 / exact, -3) == 32_000  # plain sampling: one tail event per ~32 000 draws (page)
    pi = mc.estimate_pi(100_000, rng)
    assert within(pi, math.pi), pi


def test_standard_errors_are_calibrated():
    # across 300 independent repetitions, the spread of the estimates matches the reported error bar
    rng = np.random.default_rng(2)
    def cv(f, a, b, n, g):
        return mc.control_variate(f, lambda x: 1 + x, 1.5, a, b, n, g)

    for method in (mc.plain, mc.antithetic, cv, mc.stratified):
        runs = [method(exp, 0.0, 1.0, 200, rng) for _ in range(300)]
        values = np.array([r.value for r in runs])
        mean_se = np.mean([r.std_error for r in runs])
        # the sd of 300 draws is itself uncertain by about 1 / sqrt(2 * 299) = 4%; allow 15%
        np.testing.assert_allclose(values.std(ddof=1), mean_se, rtol=0.15)
        covered = np.mean([abs(r.value - E_MINUS_1) <= 1.96 * r.std_error for r in runs])
        assert 0.9 <= covered <= 0.99  # ~95% intervals


def test_variance_reduction_factors():
    rng = np.random.default_rng(3)
    n = 2000
    base = mc.plain(exp, 0.0, 1.0, n, rng).std_error
    anti = mc.antithetic(exp, 0.0, 1.0, n, rng).std_error
    cv = mc.control_variate(exp, lambda x: 1 + x, 1.5, 0.0, 1.0, n, rng).std_error
    strat = mc.stratified(exp, 0.0, 1.0, n, rng, strata=20).std_error
    # e^x is monotone and nearly linear on [0, 1]: each trick removes most of the variance
    assert (base / anti) ** 2 > 10
    assert (base / cv) ** 2 > 30
    assert (base / strat) ** 2 > 100


def test_variance_reduction_factors_quoted_on_the_page():
    # monte-carlo.md: per evaluation, antithetic pairs cut the variance ~30x, the control variate 1 + x
    # ~60x, 20 strata > 300x. Exact factors from the closed-form variances, then the seeded measurement.
    e = math.e
    var_f = (e**2 - 1) / 2 - (e - 1) ** 2  # Var e^U
    var_pair = (e**2 - 1) / 4 + e / 2 - (e - 1) ** 2  # Var (e^U + e^{1-U}) / 2
    cov_fg = 1.0 - (e - 1) / 2  # Cov(e^U, U) = E[U e^U] - E[e^U] E[U]
    rho2 = cov_fg**2 / (var_f / 12)
    h = 1 / 20
    cells = np.arange(20) * h
    within = np.sum(h * ((np.exp(2 * (cells + h)) - np.exp(2 * cells)) / (2 * h)
                         - ((np.exp(cells + h) - np.exp(cells)) / h) ** 2))
    exact = np.array([var_f / (2 * var_pair), 1 / (1 - rho2), var_f / within])
    np.testing.assert_allclose(exact, [30.9, 61.4, 363.8], rtol=2e-3)
    rng = np.random.default_rng(3)
    n = 2000
    base = mc.plain(exp, 0.0, 1.0, n, rng).std_error
    measured = np.array([
        (base / mc.antithetic(exp, 0.0, 1.0, n, rng).std_error) ** 2,
        (base / mc.control_variate(exp, lambda x: 1 + x, 1.5, 0.0, 1.0, n, rng).std_error) ** 2,
        (base / mc.stratified(exp, 0.0, 1.0, n, rng, strata=20).std_error) ** 2,
    ])
    np.testing.assert_allclose(measured, exact, rtol=0.1)


def test_plain_sampling_misses_the_tail_that_importance_sampling_finds():
    rng = np.random.default_rng(4)
    plain = mc.gaussian_tail(4.0, 2000, rng, shift=False)  # expected tail hits: 2000 * 3.2e-5 = 0.06
    shifted = mc.gaussian_tail(4.0, 2000, rng, shift=True)
    assert plain.value == 0.0
    assert within(shifted, mc.gaussian_tail_exact(4.0))
    assert shifted.effective_sample_size < 2000  # weights are uneven: ESS is below n


def test_self_normalised_importance_sampling_with_an_unnormalised_target():
    # E[X^2] under N(0, 1) = 1, with p known only up to its constant; proposal: a wider Gaussian
    rng = np.random.default_rng(5)
    est = mc.importance_sampling(lambda x: x**2, lambda x: -0.5 * x**2 + 123.0,
                                 lambda g, m: 2.0 * g.standard_normal(m), lambda x: -x**2 / 8, 20_000, rng,
                                 self_normalised=True)
    assert within(est, 1.0), est
    assert 0 < est.effective_sample_size <= 20_000


def test_interval_and_determinism():
    a = mc.plain(exp, 0.0, 1.0, 100, np.random.default_rng(6))
    b = mc.plain(exp, 0.0, 1.0, 100, np.random.default_rng(6))
    assert a == b
    lo, hi = a.interval()
    np.testing.assert_allclose([lo, hi], [a.value - 1.96 * a.std_error, a.value + 1.96 * a.std_error])


def test_bad_input_is_rejected():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="a < b"):
        mc.plain(exp, 1.0, 0.0, 10, rng)
    with pytest.raises(ValueError, match="at least 2"):
        mc.plain(exp, 0.0, 1.0, 1, rng)
    with pytest.raises(ValueError, match="2 samples per stratum"):
        mc.stratified(exp, 0.0, 1.0, 10, rng, strata=10)
    with pytest.raises(ValueError, match="at least 4"):
        mc.antithetic(exp, 0.0, 1.0, 3, rng)


def test_demo_prints_a_table(capsys):
    results = mc.demo(n=400)
    out = capsys.readouterr().out
    assert "variance / plain" in out and "P(Z > 4)" in out and len(results) == 5


def test_tail_panel_ratios_quoted_in_the_alt_text():
    # monte-carlo.md alt text: importance sampling's relative RMS error is ~4x below plain sampling's
    # at n = 40 (where plain mostly reports 0, i.e. 100 %) and ~10-20x below from n = 100 on.
    # Replays the figure's own random stream (left panel first, then the tail panel).
    from mlatlas.foundations.figures import monte_carlo as figs

    rng = np.random.default_rng(0)
    for est in (lambda n, g: mc.plain(exp, 0.0, 1.0, n, g), lambda n, g: mc.antithetic(exp, 0.0, 1.0, n, g),
                lambda n, g: mc.control_variate(exp, np.poly1d([1, 1]), 1.5, 0, 1, n, g),
                lambda n, g: mc.stratified(exp, 0.0, 1.0, n, g, strata=20)):
        figs._rmse(est, E_MINUS_1, rng)
    tail = mc.gaussian_tail_exact(3.0)
    plain, shifted = (np.array(figs._rmse(lambda n, g, s=s: mc.gaussian_tail(3.0, n, g, shift=s), tail, rng))
                      for s in (False, True))
    ratio = plain / shifted
    assert figs.SIZES[:2] == [40, 100] and plain[0] / tail == pytest.approx(1.0)
    assert 3.5 < ratio[0] < 5 and np.all((ratio[1:] > 9) & (ratio[1:] < 22)), ratio


def test_figures_return_figures():
    from mlatlas.foundations.figures import monte_carlo as figs

    assert isinstance(figs.convergence(), Figure)
