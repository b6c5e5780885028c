"""Brownian motion simulators: analytic moments, exact GBM, seeded KS tests, Itô identities."""

import numpy as np
import pytest
import scipy.stats

from mlatlas.stochastic.brownian_motion import (
    brownian_motion,
    euler_maruyama,
    geometric_brownian_motion,
    ito_integral,
    quadratic_variation,
    scaled_random_walk,
)
from mlatlas.verification import verifies

TOL = 1e-12  # float64 algebraic identities
SE_MARGIN = 5.0  # sample moments must lie within 5 standard errors (false alarm ~6e-7 per check)
KS_ALPHA = 0.01  # seeded KS tests must not reject at the 1% level


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


@verifies("brownian-motion", against="analytic moments", tol="5 standard errors",
          note="mean μt, variance σ²t, covariance min(s, t); 20 000 seeded paths")
def test_drifted_brownian_moments():
    mu, sigma, x0, T, P = 0.7, 1.3, 0.5, 2.0, 20_000
    paths = brownian_motion(_rng(1), P, 8, t_max=T, drift=mu, sigma=sigma, x0=x0)
    for k in (2, 8):
        t, xt = paths.t[k], paths.x[:, k]
        var = sigma**2 * t
        assert abs(xt.mean() - (x0 + mu * t)) < SE_MARGIN * np.sqrt(var / P)
        assert abs(xt.var() - var) < SE_MARGIN * var * np.sqrt(2 / (P - 1))  # SE of a normal variance
    s, t = paths.t[3], paths.t[7]
    cov = np.mean(paths.w[:, 3] * paths.w[:, 7])  # E[W_s W_t] = min(s, t)
    assert abs(cov - min(s, t)) < SE_MARGIN * np.sqrt(s * t + s**2) / np.sqrt(P)


@verifies("brownian-motion", against="scipy.stats.kstest", tol=KS_ALPHA,
          note="W_T/sqrt(T) ~ N(0,1) and GBM S_T ~ lognormal, fixed seed, p > 0.01")
def test_distributions_ks():
    T = 1.5
    w = brownian_motion(_rng(2), 4000, 16, t_max=T).x[:, -1]
    assert scipy.stats.kstest(w / np.sqrt(T), "norm").pvalue > KS_ALPHA
    mu, sigma, s0 = 0.1, 0.4, 2.0
    s = geometric_brownian_motion(_rng(3), 4000, 16, T, mu, sigma, s0).x[:, -1]
    law = scipy.stats.lognorm(s=sigma * np.sqrt(T), scale=s0 * np.exp((mu - sigma**2 / 2) * T))
    assert scipy.stats.kstest(s, law.cdf).pvalue > KS_ALPHA
    walk = scaled_random_walk(_rng(4), 4000, 400, t_max=T).x[:, -1]  # Donsker: ≈ N(0, T)
    assert scipy.stats.kstest(walk / np.sqrt(T), "norm").pvalue > KS_ALPHA


@verifies("brownian-motion", against="GBM exact solution", tol="strong error ∝ dt^(1/2) → 0",
          note="Euler–Maruyama on the same Brownian path converges to S0 exp((μ-σ²/2)t + σW)")
def test_euler_maruyama_converges_to_exact_gbm():
    mu, sigma, s0, T, P = 0.5, 0.8, 1.0, 1.0, 2000
    errors, naive = [], []
    for S in (16, 64, 256, 1024):
        em = euler_maruyama(lambda x, t: mu * x, lambda x, t: sigma * x, s0, _rng(5), P, S, T)
        exact = s0 * np.exp((mu - sigma**2 / 2) * T + sigma * em.w[:, -1])  # Itô's lemma
        errors.append(np.mean(np.abs(em.x[:, -1] - exact)))
        wrong = s0 * np.exp(mu * T + sigma * em.w[:, -1])  # ordinary chain rule, no Itô term
        naive.append(np.mean(np.abs(em.x[:, -1] - wrong)))
    rates = np.log2(np.array(errors[:-1]) / np.array(errors[1:])) / 2  # 4× more steps per row
    assert np.all(rates > 0.35), rates  # strong order 1/2 for multiplicative noise (≈ 0.5 expected)
    assert errors[-1] < 0.03
    assert min(naive) > 10 * errors[-1]  # without the -σ²/2 the "solution" is simply wrong


def test_gbm_mean_is_exponential():
    mu, sigma, s0, T, P = 0.3, 0.25, 1.5, 1.0, 20_000
    s = geometric_brownian_motion(_rng(6), P, 4, T, mu, sigma, s0).x[:, -1]
    sd = s0 * np.exp(mu * T) * np.sqrt(np.exp(sigma**2 * T) - 1)  # exact standard deviation
    assert abs(s.mean() - s0 * np.exp(mu * T)) < SE_MARGIN * sd / np.sqrt(P)


def test_quadratic_variation_converges_to_t():
    T, S = 2.0, 2**14
    w = brownian_motion(_rng(7), 1, S, t_max=T).x[0]
    qv = quadratic_variation(w)
    assert abs(qv[-1] - T) < SE_MARGIN * T * np.sqrt(2 / S)  # Var [W]_T = 2 T² / S
    smooth = np.sin(np.linspace(0, T, S + 1))
    assert quadratic_variation(smooth)[-1] < 1e-3  # a differentiable path has none


def test_ito_identity_for_w_squared():
    """Discrete Itô's lemma for f(w) = w²: W_T² = 2 Σ W_k ΔW_k + Σ ΔW_k² holds exactly on any grid;
    since Σ ΔW_k² → T this is W_T² = 2 ∫ W dW + T."""
    paths = brownian_motion(_rng(8), 50, 500, t_max=1.0)
    w = paths.w
    lhs = w**2
    rhs = 2 * ito_integral(w, w) + quadratic_variation(w)
    np.testing.assert_allclose(lhs, rhs, rtol=TOL, atol=TOL)
    ito = ito_integral(w, w)[:, -1]
    assert abs(np.mean(ito)) < SE_MARGIN * np.sqrt(0.5 / 50)  # E ∫ W dW = 0 (a martingale), Var = T²/2


def test_euler_maruyama_with_constant_coefficients_is_exact():
    mu, sigma, x0 = -0.4, 0.9, 1.0
    em = euler_maruyama(
        lambda x, t: np.full_like(x, mu), lambda x, t: np.full_like(x, sigma), x0, _rng(9), 7, 33
    )
    exact = brownian_motion(_rng(9), 7, 33, drift=mu, sigma=sigma, x0=x0)
    np.testing.assert_allclose(em.x, exact.x, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(em.w, exact.w, rtol=TOL, atol=TOL)


class RecordingNormals:
    """The lab's contract: only ``standard_normal(size)`` is ever called, once, with (P, S)."""

    def __init__(self, seed: int):
        self.inner = np.random.default_rng(seed)
        self.calls: list[tuple[int, int]] = []

    def standard_normal(self, size):
        self.calls.append(size)
        return self.inner.standard_normal(int(np.prod(size))).tolist()  # a flat list, as a JS port may


@pytest.mark.parametrize("simulate", [
    lambda rng: brownian_motion(rng, 3, 5),
    lambda rng: geometric_brownian_motion(rng, 3, 5),
    lambda rng: scaled_random_walk(rng, 3, 5),
    lambda rng: euler_maruyama(lambda x, t: 0 * x, lambda x, t: 1 + 0 * x, 0.0, rng, 3, 5),
])
def test_draw_order_contract(simulate):
    fake = RecordingNormals(10)
    paths = simulate(fake)
    assert fake.calls == [(3, 5)]  # exactly one draw of shape (num_paths, num_steps)
    reference = simulate(np.random.default_rng(10))  # a numpy Generator replays the same paths
    np.testing.assert_allclose(paths.x, reference.x, rtol=TOL, atol=TOL)


def test_increments_are_the_draws_in_row_major_order():
    z = np.random.default_rng(11).standard_normal(15).reshape(3, 5)  # draw p*5 + k is path p, step k
    paths = brownian_motion(RecordingNormals(11), 3, 5, t_max=2.0)
    np.testing.assert_allclose(np.diff(paths.w, axis=1), np.sqrt(2.0 / 5) * z, rtol=TOL, atol=TOL)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: brownian_motion(_rng(), 0, 5), "num_paths and num_steps"),
        (lambda: brownian_motion(_rng(), 2, 5, t_max=0.0), "t_max"),
        (lambda: brownian_motion(_rng(), 2, 5, sigma=-1.0), "sigma"),
        (lambda: geometric_brownian_motion(_rng(), 2, 5, s0=0.0), "s0 must be positive"),
        (lambda: ito_integral(np.zeros(3), np.zeros(4)), "same grid"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "name", ["sample_paths", "random_walk_limit", "quadratic_variation_convergence", "ito_correction"]
)
def test_figures_draw(name):
    from matplotlib.figure import Figure

    from mlatlas.stochastic.figures import brownian_motion as figures

    fig = getattr(figures, name)()
    assert isinstance(fig, Figure) and fig.axes


def test_demo_prints_the_checks(capsys):
    from mlatlas.stochastic.brownian_motion import demo

    demo()
    out = capsys.readouterr().out
    assert "Quadratic variation" in out and "Euler–Maruyama" in out
