"""Conjugate posteriors against brute-force normalisation with scipy.stats densities, scipy.stats'
predictive laws, and Gaussian conditioning of the joint distribution."""

import numpy as np
import pytest
from scipy import integrate, stats

from mlatlas.probabilistic.bayesian_inference import (
    beta_binomial_posterior,
    beta_binomial_predictive,
    linear_regression_log_evidence,
    linear_regression_posterior,
    linear_regression_predictive,
    normal_known_variance_posterior,
    normal_predictive,
    prior_pull,
)
from mlatlas.verification import verifies

TOL = 1e-10  # float64, closed forms against closed forms
QUAD_TOL = 1e-8  # float64, closed forms against adaptive quadrature (quad's own error is ~1e-10 here)


@verifies(
    "bayesian-inference",
    against="scipy.stats",
    tol=QUAD_TOL,
    note="float64; Beta and Normal posteriors equal prior x likelihood (scipy.stats densities) normalised "
    "by scipy.integrate.quad; credible intervals and beta-binomial predictive equal scipy.stats' to 1e-10",
)
@pytest.mark.parametrize(("a", "b", "k", "n"), [(1.0, 1.0, 7, 10), (30.0, 70.0, 64, 100), (0.5, 0.5, 0, 3)])
def test_beta_posterior_is_normalised_prior_times_likelihood(a, b, k, n):
    post = beta_binomial_posterior(a, b, k, n)

    def unnormalised(p):
        return stats.beta.pdf(p, a, b) * stats.binom.pmf(k, n, p)

    z, _ = integrate.quad(unnormalised, 0, 1, epsabs=1e-14, epsrel=1e-12)
    grid = np.linspace(0.05, 0.95, 19)
    expected = stats.beta.pdf(grid, post.a, post.b)
    np.testing.assert_allclose(unnormalised(grid) / z, expected, rtol=QUAD_TOL, atol=0)
    np.testing.assert_allclose(post.mean, stats.beta.mean(a + k, b + n - k), rtol=TOL)
    np.testing.assert_allclose(post.var, stats.beta.var(a + k, b + n - k), rtol=TOL)
    np.testing.assert_allclose(post.interval(0.95), stats.beta.interval(0.95, a + k, b + n - k), rtol=TOL)


@verifies("bayesian-inference", against="scipy.stats.betabinom", tol=TOL, note="float64 posterior predictive")
def test_beta_binomial_predictive_matches_scipy():
    post = beta_binomial_posterior(2.0, 3.0, 6, 9)
    ours = beta_binomial_predictive(post, 12)
    np.testing.assert_allclose(ours, stats.betabinom.pmf(np.arange(13), 12, post.a, post.b), rtol=TOL)
    np.testing.assert_allclose(ours.sum(), 1.0, rtol=TOL)


def test_normal_posterior_and_predictive_by_quadrature():
    rng = np.random.default_rng(0)
    x = rng.normal(1.3, 2.0, size=15)
    mu0, tau0_sq, sigma_sq = -1.0, 0.5, 4.0
    post = normal_known_variance_posterior(mu0, tau0_sq, sigma_sq, x)

    def unnormalised(mu):
        return stats.norm.pdf(mu, mu0, np.sqrt(tau0_sq)) * np.prod(stats.norm.pdf(x, mu, np.sqrt(sigma_sq)))

    z, _ = integrate.quad(unnormalised, -20, 20, epsabs=1e-300, epsrel=1e-12, points=[post.mean])
    grid = post.mean + np.sqrt(post.var) * np.linspace(-3, 3, 13)
    expected = stats.norm.pdf(grid, post.mean, np.sqrt(post.var))
    np.testing.assert_allclose([unnormalised(m) / z for m in grid], expected, rtol=QUAD_TOL)
    # predictive density at a new point = integral of N(x_new | mu, sigma^2) over the posterior of mu
    pred = normal_predictive(post, sigma_sq)
    for x_new in (-2.0, 0.5, 4.0):
        dens, _ = integrate.quad(
            lambda mu, x_new=x_new: (
                stats.norm.pdf(x_new, mu, 2.0) * stats.norm.pdf(mu, post.mean, np.sqrt(post.var))
            ),
            -20,
            20,
            epsabs=1e-14,
            epsrel=1e-12,
        )
        np.testing.assert_allclose(dens, stats.norm.pdf(x_new, pred.mean, np.sqrt(pred.var)), rtol=QUAD_TOL)


def regression_problem(seed=0, n=20, f=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, f))
    y = X @ rng.standard_normal(f) + 0.5 * rng.standard_normal(n)
    m0 = rng.standard_normal(f)
    A = rng.standard_normal((f, f))
    S0 = A @ A.T + 0.5 * np.eye(f)
    return X, y, m0, S0, 0.25


@verifies(
    "bayesian-inference",
    against="Gaussian conditioning of the joint",
    tol=TOL,
    note="float64; posterior over w and the predictive equal the conditional of the joint Gaussian "
    "of (w, y, y_new); "
    "log evidence equals scipy.stats.multivariate_normal.logpdf",
)
def test_linear_regression_equals_conditioning_the_joint():
    X, y, m0, S0, s2 = regression_problem()
    post = linear_regression_posterior(X, y, m0, S0, s2)
    C = s2 * np.eye(len(y)) + X @ S0 @ X.T  # Cov(y)
    K = S0 @ X.T @ np.linalg.inv(C)  # gain Cov(w, y) Cov(y)^-1
    np.testing.assert_allclose(post.mean, m0 + K @ (y - X @ m0), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(post.cov, S0 - K @ X @ S0, rtol=TOL, atol=TOL)
    # predictive: condition y_new on y in the joint of (y, y_new)
    X_new = np.random.default_rng(1).standard_normal((4, 3))
    mean, var = linear_regression_predictive(post, X_new, s2)
    cross = X_new @ S0 @ X.T  # Cov(y_new, y), (4, N)
    joint_mean = X_new @ m0 + cross @ np.linalg.solve(C, y - X @ m0)
    joint_var = np.diag(s2 * np.eye(4) + X_new @ S0 @ X_new.T - cross @ np.linalg.solve(C, cross.T))
    np.testing.assert_allclose(mean, joint_mean, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(var, joint_var, rtol=TOL, atol=TOL)
    expected = stats.multivariate_normal(X @ m0, C).logpdf(y)
    np.testing.assert_allclose(linear_regression_log_evidence(X, y, m0, S0, s2), expected, rtol=TOL)


def test_sequential_updates_equal_one_batch_update():
    X, y, m0, S0, s2 = regression_problem(seed=2)
    post = (m0, S0)
    for i in range(0, len(y), 5):  # four batches of five: yesterday's posterior is today's prior
        post = linear_regression_posterior(X[i : i + 5], y[i : i + 5], *post, s2)
    batch = linear_regression_posterior(X, y, m0, S0, s2)
    np.testing.assert_allclose(post.mean, batch.mean, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(post.cov, batch.cov, rtol=TOL, atol=TOL)


def test_normal_normal_is_regression_on_a_constant():
    x = np.random.default_rng(3).normal(2.0, 1.0, size=9)
    nn = normal_known_variance_posterior(0.5, 2.0, 1.5, x)
    lr = linear_regression_posterior(np.ones((9, 1)), x, np.array([0.5]), np.array([[2.0]]), 1.5)
    np.testing.assert_allclose([nn.mean, nn.var], [lr.mean[0], lr.cov[0, 0]], rtol=TOL)


def test_prior_pull_is_a_weighted_average_and_the_quoted_numbers():
    rng = np.random.default_rng(0)
    tosses = (rng.random(1000) < 0.7).astype(int)  # the figure's and demo's tosses
    ns = np.array([0, 10, 100, 1000])
    flat, wrong = prior_pull(1, 1, tosses, ns), prior_pull(30, 70, tosses, ns)
    heads = np.array([tosses[:n].sum() for n in ns])
    w = 100 / (100 + ns)  # Beta(30, 70) counts as 100 pseudo-tosses
    mle = np.divide(heads, ns, out=np.zeros(4), where=ns > 0)
    np.testing.assert_allclose(wrong.mean, w * 0.3 + (1 - w) * mle, rtol=TOL)
    # numbers quoted on the page (3 decimals)
    np.testing.assert_allclose(flat.mean[2:], [0.627, 0.678], atol=5e-4)
    np.testing.assert_allclose(wrong.mean[2:], [0.465, 0.644], atol=5e-4)
    np.testing.assert_allclose(wrong.upper[2], 0.534, atol=5e-4)
    assert heads[-1] == 678  # 67.8% heads in 1000 tosses of a p = 0.7 coin


def test_bad_input_says_what_to_fix():
    with pytest.raises(ValueError, match="a > 0 and b > 0"):
        beta_binomial_posterior(0.0, 1.0, 1, 2)
    with pytest.raises(ValueError, match="0 <= heads <= tosses"):
        beta_binomial_posterior(1.0, 1.0, 5, 3)
    with pytest.raises(ValueError, match="variances must be positive"):
        normal_known_variance_posterior(0.0, -1.0, 1.0, np.ones(3))
    X, y, m0, S0, s2 = regression_problem()
    with pytest.raises(ValueError, match=r"prior must be m0 \(3,\)"):
        linear_regression_posterior(X, y, m0[:2], S0, s2)
    with pytest.raises(ValueError, match="X must be"):
        linear_regression_posterior(X, y[:-1], m0, S0, s2)
