"""Variational inference against exact posteriors: the ELBO identity log p(x) = ELBO + KL, the Normal-Gamma
evidence by numerical integration, the closed-form ELBO by Monte Carlo, and the analytic mean-field
optimum on a correlated Gaussian (CAVI exactly, stochastic VI within its noise)."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from mlatlas.probabilistic.variational_inference import (
    NormalGammaPrior,
    NormalGammaQ,
    cavi_gaussian,
    cavi_normal_gamma,
    gaussian_kl,
    normal_gamma_elbo,
    normal_gamma_kl,
    normal_gamma_log_evidence,
    normal_gamma_posterior,
    svi_gaussian,
)
from mlatlas.verification import verifies

TOL = 1e-10  # float64 closed forms
QUAD_TOL = 1e-7  # float64 against 2-D adaptive quadrature (dblquad's own error is ~1e-9 here)
PRIOR = NormalGammaPrior(mu0=0.0, lambda0=1.0, a0=1.0, b0=1.0)


def data(seed=0, n=20):
    return np.random.default_rng(seed).normal(1.0, 2.0, size=n)  # the demo's and page's data


@verifies(
    "variational-inference",
    against="scipy.integrate",
    tol=QUAD_TOL,
    note="float64; Normal-Gamma evidence and posterior density equal prior x likelihood (scipy.stats "
    "densities) integrated over (mu, tau) by scipy.integrate.dblquad",
)
def test_normal_gamma_evidence_and_posterior_by_quadrature():
    x = data(n=8)

    def joint(tau, mu):  # prior x likelihood written out by hand (scipy.stats is too slow inside dblquad)
        log_prior = (
            0.5 * math.log(PRIOR.lambda0 * tau / (2 * math.pi))
            - 0.5 * PRIOR.lambda0 * tau * (mu - PRIOR.mu0) ** 2
        ) + (
            PRIOR.a0 * math.log(PRIOR.b0)
            - math.lgamma(PRIOR.a0)
            + (PRIOR.a0 - 1) * math.log(tau)
            - PRIOR.b0 * tau
        )
        log_lik = 0.5 * x.size * math.log(tau / (2 * math.pi)) - 0.5 * tau * float(np.sum((x - mu) ** 2))
        return math.exp(log_prior + log_lik)

    # the hand-written joint agrees with scipy.stats densities
    mu_t, tau_t = 0.7, 0.3
    reference = (
        stats.norm.pdf(mu_t, PRIOR.mu0, 1 / math.sqrt(PRIOR.lambda0 * tau_t))
        * stats.gamma.pdf(tau_t, PRIOR.a0, scale=1 / PRIOR.b0)
        * np.prod(stats.norm.pdf(x, mu_t, 1 / math.sqrt(tau_t)))
    )
    np.testing.assert_allclose(joint(tau_t, mu_t), reference, rtol=TOL)
    z, _ = integrate.dblquad(joint, -15, 15, 1e-9, 10, epsabs=1e-30, epsrel=1e-9)
    np.testing.assert_allclose(math.log(z), normal_gamma_log_evidence(x, PRIOR), rtol=QUAD_TOL)
    post = normal_gamma_posterior(x, PRIOR)
    for mu, tau in [(0.5, 0.2), (1.5, 0.4), (0.0, 0.1)]:
        exact = stats.norm.pdf(mu, post.mu_n, 1 / math.sqrt(post.lambda_n * tau)) * stats.gamma.pdf(
            tau, post.a_n, scale=1 / post.b_n
        )
        np.testing.assert_allclose(joint(tau, mu) / z, exact, rtol=QUAD_TOL)


@verifies(
    "variational-inference",
    against="ELBO identity log p(x) = ELBO + KL",
    tol=TOL,
    note="float64; closed-form ELBO and closed-form KL(q || exact posterior) sum to the closed-form "
    "evidence for every CAVI iterate and for arbitrary q",
)
def test_elbo_plus_kl_is_the_log_evidence():
    x = data()
    post, log_z = normal_gamma_posterior(x, PRIOR), normal_gamma_log_evidence(x, PRIOR)
    qs = [NormalGammaQ(0.3, 2.0, 3.0, 5.0), NormalGammaQ(-1.0, 0.5, 12.0, 40.0)]
    for iterations in range(1, 6):
        qs.append(cavi_normal_gamma(x, PRIOR, iterations)[0])
    for q in qs:
        elbo, kl = normal_gamma_elbo(x, PRIOR, q), normal_gamma_kl(q, post)
        np.testing.assert_allclose(elbo + kl, log_z, rtol=TOL)
        assert kl >= 0


def test_closed_form_elbo_matches_monte_carlo():
    x = data()
    q = NormalGammaQ(0.8, 4.0, 11.0, 40.0)
    rng = np.random.default_rng(0)
    mu = rng.normal(q.m, 1 / math.sqrt(q.l), 200_000)
    tau = rng.gamma(q.a, 1 / q.b, 200_000)
    log_joint = (
        stats.norm.logpdf(mu, PRIOR.mu0, 1 / np.sqrt(PRIOR.lambda0 * tau))
        + stats.gamma.logpdf(tau, PRIOR.a0, scale=1 / PRIOR.b0)
        + stats.norm.logpdf(x[:, None], mu, 1 / np.sqrt(tau)).sum(0)
    )
    log_q = stats.norm.logpdf(mu, q.m, 1 / math.sqrt(q.l)) + stats.gamma.logpdf(tau, q.a, scale=1 / q.b)
    samples = log_joint - log_q
    se = samples.std(ddof=1) / math.sqrt(samples.size)
    assert abs(samples.mean() - normal_gamma_elbo(x, PRIOR, q)) < 4 * se  # 4 standard errors


def test_cavi_climbs_and_the_page_numbers():
    x = data()
    q, elbos = cavi_normal_gamma(x, PRIOR, 20)
    assert np.all(np.diff(elbos) >= -1e-12)  # coordinate ascent never lowers the ELBO
    post = normal_gamma_posterior(x, PRIOR)
    np.testing.assert_allclose(q.m, post.mu_n, rtol=TOL)  # q(mu)'s mean is exact
    kl = normal_gamma_kl(q, post)
    np.testing.assert_allclose([elbos[0], elbos[-1]], [-42.4696, -42.2875], atol=5e-5)
    np.testing.assert_allclose(normal_gamma_log_evidence(x, PRIOR), -42.2649, atol=5e-5)
    np.testing.assert_allclose(kl, 0.0226, atol=5e-5)
    assert abs(elbos[3] - elbos[-1]) < 1e-6  # converged within 4 sweeps


RHO = 0.9
COV = np.array([[1.0, RHO], [RHO, 1.0]])
MU = np.array([1.0, -1.0])


@verifies(
    "variational-inference",
    against="analytic mean-field optimum",
    tol=TOL,
    note="float64; CAVI on N(mu, Sigma) with correlation 0.9 reaches mean mu and variances 1 / Lambda_ii = "
    "1 - rho^2, with KL(q || p) = -1/2 log(1 - rho^2); stochastic VI reaches them within 0.02",
)
def test_mean_field_on_a_correlated_gaussian_is_under_dispersed():
    q, kls = cavi_gaussian(MU, COV, 200)  # error shrinks by rho^2 per sweep: 0.81^200 ~ 5e-19
    np.testing.assert_allclose(q.mean, MU, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(q.var, [1 - RHO**2] * 2, rtol=TOL)
    np.testing.assert_allclose(kls[-1], -0.5 * math.log(1 - RHO**2), rtol=TOL)
    assert np.all(np.diff(kls) <= 1e-12)
    # the page: 1 / Lambda_jj is the variance of z_j with the other coordinate held fixed, and q's spread
    # (sd 0.44) is still wider than the ridge across the diagonal (sd sqrt(1 - rho) = 0.32)
    np.testing.assert_allclose(q.var, [COV[0, 0] - COV[0, 1] ** 2 / COV[1, 1]] * 2, rtol=TOL)
    assert np.all(q.var > np.linalg.eigvalsh(COV).min())
    precision = torch.tensor(np.linalg.inv(COV))
    mu = torch.tensor(MU)

    def log_prob(z):
        d = z - mu
        return -0.5 * torch.einsum("sd,de,se->s", d, precision, d)

    q_svi, history = svi_gaussian(log_prob, 2, 1500, torch.Generator().manual_seed(0))
    np.testing.assert_allclose(q_svi.mean, MU, atol=0.02)  # stochastic: noisy gradients, decayed lr
    np.testing.assert_allclose(q_svi.var, [1 - RHO**2] * 2, atol=0.02)
    assert np.mean(history[-100:]) > np.mean(history[:100])


def test_gaussian_kl_matches_torch():
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    S0, S1 = A @ A.T + np.eye(3), B @ B.T + np.eye(3)
    m0, m1 = rng.standard_normal(3), rng.standard_normal(3)
    ref = torch.distributions.kl_divergence(
        torch.distributions.MultivariateNormal(torch.tensor(m0), torch.tensor(S0)),
        torch.distributions.MultivariateNormal(torch.tensor(m1), torch.tensor(S1)),
    )
    np.testing.assert_allclose(gaussian_kl(m0, S0, m1, S1), float(ref), rtol=TOL)


def test_bad_input_says_what_to_fix():
    with pytest.raises(ValueError, match="at least one observation"):
        normal_gamma_posterior(np.array([]), PRIOR)
    with pytest.raises(ValueError, match="lambda0, a0, b0 > 0"):
        cavi_normal_gamma(data(), NormalGammaPrior(b0=0.0))
