"""Fisher information of Gaussians (analytic vs autograd + exact quadrature) and the natural gradient."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.stochastic.information_geometry import (
    fisher_gaussian,
    fisher_monte_carlo,
    fisher_rao_distance,
    fit_gaussian,
    gaussian_kl,
    gaussian_log_prob,
    natural_gradient,
    score,
)
from mlatlas.verification import verifies

TOL = 1e-10  # float64
F64 = torch.float64

mus = st.floats(-3.0, 3.0)
sigmas = st.floats(0.2, 3.0)


def _theta(mu, sigma, parametrization):
    second = sigma if parametrization == "mu_sigma" else math.log(sigma)
    return torch.tensor([mu, second], dtype=F64)


def _expectation_exact(fn, mu, sigma, n_nodes=6):
    """E_{x ~ N(mu, sigma^2)}[fn(x)] by Gauss–Hermite quadrature: exact for polynomials of degree < 12."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_nodes)  # weight exp(-z^2 / 2)
    x = torch.tensor(mu + sigma * nodes, dtype=F64)
    w = torch.tensor(weights / math.sqrt(2 * math.pi), dtype=F64)
    return torch.einsum("n,n...->...", w, fn(x))


@verifies(
    "information-geometry",
    against="analytic Fisher for Gaussians",
    tol=TOL,
    note="vs E[score score^T] and E[-Hessian] by autograd with exact Gauss–Hermite quadrature",
)
@settings(max_examples=25, deadline=None)
@given(mus, sigmas, st.sampled_from(["mu_sigma", "mu_log_sigma"]))
def test_analytic_fisher_equals_both_autograd_definitions(mu, sigma, parametrization):
    theta = _theta(mu, sigma, parametrization)
    analytic = fisher_gaussian(theta, parametrization)
    # definition 1: covariance of the score (the score's entries are polynomials in x of degree <= 2)
    outer = _expectation_exact(
        lambda x: torch.einsum("ni,nj->nij", *[score(x, theta, parametrization)] * 2), mu, sigma
    )
    torch.testing.assert_close(outer, analytic, rtol=TOL, atol=TOL)

    # definition 2: minus the expected Hessian of log p (autograd's Hessian at each quadrature node)
    def neg_hessians(x):
        return torch.stack(
            [
                -torch.autograd.functional.hessian(
                    lambda t, xi=xi: gaussian_log_prob(xi, t, parametrization), theta
                )
                for xi in x
            ]
        )

    torch.testing.assert_close(_expectation_exact(neg_hessians, mu, sigma), analytic, rtol=TOL, atol=TOL)


@verifies(
    "information-geometry",
    against="Hessian of the analytic KL (torch.autograd)",
    tol=TOL,
    note="F = d^2/dtheta'^2 KL(p_theta || p_theta') at theta' = theta",
)
@pytest.mark.parametrize("parametrization", ["mu_sigma", "mu_log_sigma"])
def test_fisher_is_the_curvature_of_kl(parametrization):
    theta = _theta(0.7, 1.8, parametrization)
    hess = torch.autograd.functional.hessian(lambda t: gaussian_kl(theta, t, parametrization), theta)
    torch.testing.assert_close(hess, fisher_gaussian(theta, parametrization), rtol=TOL, atol=TOL)


def test_monte_carlo_fisher_converges():
    gen = torch.Generator().manual_seed(0)
    for parametrization in ("mu_sigma", "mu_log_sigma"):
        theta = _theta(1.0, 0.5, parametrization)
        est = fisher_monte_carlo(theta, 200_000, gen, parametrization)
        exact = fisher_gaussian(theta, parametrization)
        # relative standard error at n = 2e5: sqrt(2 / n) = 0.3% for the mu entry (E[z^2] = 1, Var = 2),
        # sqrt(56 / 4 / n) = 0.8% for the sigma entry (a fourth moment: E[(z^2 - 1)^2] = 2, Var = 56);
        # allow 2%
        torch.testing.assert_close(est, exact, rtol=0.02, atol=0.02 * exact.max().item())


@settings(max_examples=25, deadline=None)
@given(mus, sigmas, mus, sigmas)
def test_fisher_rao_distance_is_a_metric_matching_the_local_fisher(mu1, s1, mu2, s2):
    p, q = _theta(mu1, s1, "mu_sigma"), _theta(mu2, s2, "mu_sigma")
    d = fisher_rao_distance(p, q)
    torch.testing.assert_close(d, fisher_rao_distance(q, p), rtol=1e-12, atol=1e-12)
    assert d >= 0
    # equal means: d = sqrt 2 |ln(s2 / s1)|
    same = fisher_rao_distance(p, _theta(mu1, s2, "mu_sigma"))
    torch.testing.assert_close(same, torch.tensor(math.sqrt(2) * abs(math.log(s2 / s1)), dtype=F64))
    # locally, d^2 = dtheta^T F dtheta, and KL = d^2 / 2, to second order
    direction = torch.tensor([math.cos(mu2 + s2), math.sin(mu2 + s2)], dtype=F64)  # any unit vector
    step = 1e-5 * s1 * direction  # third-order terms are ~ |step| / sigma = 1e-5 relative
    near = fisher_rao_distance(p, p + step) ** 2
    quad = step @ fisher_gaussian(p) @ step
    torch.testing.assert_close(near, quad, rtol=1e-4, atol=1e-20)
    # KL is a difference of O(1) terms, so give it a larger step (round-off ~1e-16 / KL)
    kl_step = 10 * step
    kl_quad = kl_step @ fisher_gaussian(p) @ kl_step / 2
    torch.testing.assert_close(gaussian_kl(p, p + kl_step), kl_quad, rtol=1e-3, atol=1e-20)


@verifies(
    "information-geometry",
    against="reparametrisation invariance (exact chain rule)",
    tol=TOL,
    note="natural gradients in (mu, sigma) and (mu, log sigma) agree through the Jacobian",
)
@settings(max_examples=25, deadline=None)
@given(mus, sigmas)
def test_natural_gradient_does_not_depend_on_the_parametrisation(mu, sigma):
    x = torch.linspace(-1.0, 2.5, 9, dtype=F64)
    g1, nat1 = natural_gradient(x, _theta(mu, sigma, "mu_sigma"), "mu_sigma")
    g2, nat2 = natural_gradient(x, _theta(mu, sigma, "mu_log_sigma"), "mu_log_sigma")
    # One convention, as on the page: J = d(old)/d(new) = d(mu, sigma)/d(mu, log sigma) = diag(1, sigma).
    jac = torch.diag(torch.tensor([1.0, sigma], dtype=F64))
    # the natural gradient moves like a displacement, d(new) = J^{-1} d(old): the same step in p-space
    torch.testing.assert_close(nat2, torch.linalg.solve(jac, nat1), rtol=TOL, atol=TOL)
    # the plain gradient transforms as g' = J^T g: mapped back, its step J J^T g points elsewhere
    torch.testing.assert_close(g2, jac.T @ g1, rtol=TOL, atol=TOL)


def test_finite_natural_steps_depend_on_the_parametrisation_at_second_order():
    """The page: one step of 1 from (0, 2) ends at sigma 3.27 in (mu, sigma) but 3.77 in (mu, log sigma);
    the gap shrinks as eta^2, so the invariance holds to first order only (Martens 2014)."""
    gen = torch.Generator().manual_seed(1)
    x = 3.0 + 0.5 * torch.randn(200, generator=gen, dtype=F64)

    def sigma_after_one_step(eta, parametrization):
        start = _theta(0.0, 2.0, parametrization)
        end = fit_gaussian(x, start, lr=eta, n_steps=1, natural=True, parametrization=parametrization)
        second = end.thetas[1, 1].item()
        return second if parametrization == "mu_sigma" else math.exp(second)

    assert abs(sigma_after_one_step(1.0, "mu_sigma") - 3.27) < 0.005
    assert abs(sigma_after_one_step(1.0, "mu_log_sigma") - 3.77) < 0.005
    gaps = [
        abs(sigma_after_one_step(eta, "mu_sigma") - sigma_after_one_step(eta, "mu_log_sigma"))
        for eta in (1e-2, 1e-3)
    ]
    np.testing.assert_allclose(gaps[0] / gaps[1], 100.0, rtol=0.01)  # O(eta^2)


def test_one_natural_step_is_newtons_square_root():
    gen = torch.Generator().manual_seed(1)
    x = 3.0 + 0.5 * torch.randn(200, generator=gen, dtype=F64)
    m, s2 = x.mean(), x.var(unbiased=False)
    start = torch.tensor([0.0, 2.0], dtype=F64)
    path = fit_gaussian(x, start, lr=1.0, n_steps=12, natural=True)
    v = s2 + (m - start[0]) ** 2
    torch.testing.assert_close(
        path.thetas[1], torch.stack([m, (start[1] + v / start[1]) / 2]), rtol=TOL, atol=TOL
    )
    torch.testing.assert_close(path.thetas[-1], torch.stack([m, s2.sqrt()]), rtol=TOL, atol=TOL)  # the MLE
    # the plain gradient at its best step size needs many more steps to reach the same precision
    plain = fit_gaussian(x, start, lr=0.2, n_steps=40, natural=False)
    assert (plain.thetas[-1] - path.thetas[-1]).norm() > 1e-6
    assert torch.all(path.losses[1:] <= path.losses[:-1] + 1e-12)


def test_bad_input_is_rejected():
    x = torch.zeros(5, dtype=F64)
    with pytest.raises(ValueError, match="sigma must be positive"):
        fisher_gaussian(torch.tensor([0.0, -1.0], dtype=F64))
    with pytest.raises(ValueError, match="parametrization must be"):
        fisher_gaussian(torch.tensor([0.0, 1.0], dtype=F64), "sigma_mu")
    with pytest.raises(ValueError, match="shape"):
        fisher_gaussian(torch.tensor([0.0, 1.0, 2.0], dtype=F64))
    with pytest.raises(ValueError, match="lower lr"):  # sigma = 1 on data of spread 0.01: overshoots
        tight = torch.tensor([0.0, 0.01, -0.01], dtype=F64)
        fit_gaussian(tight, torch.tensor([0.0, 1.0], dtype=F64), lr=5.0, n_steps=3, natural=False)
    with pytest.raises(ValueError, match="1-D sample"):
        fit_gaussian(x[:1], torch.tensor([0.0, 1.0], dtype=F64), lr=1.0, n_steps=1, natural=True)


def test_the_step_counts_the_page_quotes():
    """The page: the natural step of 1 reaches 1e-12 above the optimum in 7 steps; plain descent
    needs its best step, about 0.2, and 48 steps (the figure's fit: 200 draws of N(3, 0.5^2), seed 1);
    the plain step's stability limit is sigma_hat^2, about 0.28."""
    from mlatlas.stochastic.information_geometry import mean_nll

    gen = torch.Generator().manual_seed(1)
    x = 3.0 + 0.5 * torch.randn(200, generator=gen, dtype=F64)
    start = torch.tensor([0.0, 2.0], dtype=F64)
    best = mean_nll(x, torch.stack([x.mean(), x.var(unbiased=False).sqrt()])).item()

    def steps_to_1e12(lr, natural):
        gap = fit_gaussian(x, start, lr=lr, n_steps=120, natural=natural).losses - best
        return int((gap <= 1e-12).nonzero()[0])

    assert steps_to_1e12(1.0, natural=True) == 7
    plain = {lr: steps_to_1e12(lr, natural=False) for lr in (0.15, 0.18, 0.2, 0.22, 0.24)}
    assert plain[0.2] == 48 and min(plain, key=plain.get) == 0.2
    # the largest stable plain step is sigma_hat^2 = 0.28 (curvature 2 / sigma_hat^2): 0.3 never settles
    assert abs(x.var(unbiased=False).item() - 0.28) < 0.005
    diverging = fit_gaussian(x, start, lr=0.3, n_steps=200, natural=False)
    assert diverging.losses[-1] - best > 1e-3
