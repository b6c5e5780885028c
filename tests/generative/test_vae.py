"""VAE: analytic KL vs torch.distributions; ELBO ≤ log p(x) on a linear-Gaussian model where log p(x)
is exact; reparameterised gradients vs the analytic gradient of E[f(z)] for a quadratic f."""

import math

import pytest
import torch
from torch.distributions import Independent, MultivariateNormal, Normal, kl_divergence

from mlatlas.generative.vae import elbo, gaussian_kl, importance_log_likelihood, reparameterise
from mlatlas.verification import verifies

TOL = 1e-10  # float64
SE_MARGIN = 5.0  # Monte Carlo checks: within 5 standard errors
DTYPE = torch.float64


@verifies(
    "vae",
    against="torch.distributions.kl_divergence",
    tol=TOL,
    note="float64; diagonal Gaussians, to a standard normal and to a general diagonal Gaussian",
)
def test_gaussian_kl_matches_torch():
    g = torch.Generator().manual_seed(0)
    mu_q, lv_q, mu_p, lv_p = (torch.randn(5, 7, generator=g, dtype=DTYPE) for _ in range(4))
    q = Independent(Normal(mu_q, (0.5 * lv_q).exp()), 1)
    p = Independent(Normal(mu_p, (0.5 * lv_p).exp()), 1)
    torch.testing.assert_close(gaussian_kl(mu_q, lv_q, mu_p, lv_p), kl_divergence(q, p), rtol=TOL, atol=TOL)
    std = Independent(Normal(torch.zeros_like(mu_q), torch.ones_like(mu_q)), 1)
    torch.testing.assert_close(gaussian_kl(mu_q, lv_q), kl_divergence(q, std), rtol=TOL, atol=TOL)


def linear_gaussian(seed=0, F=5, L=3, sigma=0.4):
    """z ~ N(0, I_L), x | z ~ N(W z + b, σ² I_F) with orthogonal columns of W, so the exact posterior
    has diagonal covariance: precision Λ = I + WᵀW/σ², mean Λ⁻¹ Wᵀ(x - b)/σ²."""
    g = torch.Generator().manual_seed(seed)
    Q, _ = torch.linalg.qr(torch.randn(F, L, generator=g, dtype=DTYPE))
    W = Q * torch.tensor([1.5, 0.8, 0.3], dtype=DTYPE)  # (F, L), WᵀW diagonal
    b = torch.randn(F, generator=g, dtype=DTYPE)
    log_sigma2 = torch.tensor(2 * math.log(sigma), dtype=DTYPE)
    precision = 1 + (W**2).sum(0) / sigma**2  # (L,) diagonal of Λ

    def encode(x):
        return ((x - b) @ W) / sigma**2 / precision, (-precision.log()).expand(x.shape[0], L)

    def decode(z):
        return z @ W.T + b

    marginal = MultivariateNormal(b, W @ W.T + sigma**2 * torch.eye(F, dtype=DTYPE))  # exact p(x)
    x = marginal.sample((4,))
    return x, encode, decode, log_sigma2, marginal.log_prob(x), g


@verifies(
    "vae",
    against="exact log p(x) of a linear-Gaussian model",
    tol=TOL,
    note="float64; with the exact posterior every importance weight equals p(x); ELBO ≤ log p(x) "
    "(Monte Carlo, 5 standard errors), with equality only at the exact posterior",
)
def test_elbo_bounds_exact_log_likelihood():
    x, encode, decode, log_sigma2, log_px, g = linear_gaussian()
    L = 3
    # exact posterior: log p(x, z) - log q(z | x) = log p(x) for every z, so even K = 3 is exact
    eps = torch.randn(3, x.shape[0], L, generator=g, dtype=DTYPE)
    torch.testing.assert_close(
        importance_log_likelihood(x, encode, decode, log_sigma2, eps), log_px, rtol=TOL, atol=TOL
    )
    # the ELBO's expectation equals log p(x) there too; its Monte Carlo estimate is within 5 SE
    K = 4000
    eps = torch.randn(K, x.shape[0], L, generator=g, dtype=DTYPE)
    per_draw = torch.stack([elbo(x, encode, decode, log_sigma2, e[None]) for e in eps[:400]])  # (400, B)
    se = per_draw.std(0) / math.sqrt(K)
    estimate = elbo(x, encode, decode, log_sigma2, eps)
    assert torch.all((estimate - log_px).abs() < SE_MARGIN * se + 1e-12)

    def worse_encoder(x_):  # shifted mean, inflated variance: a valid but wrong q
        mu, logvar = encode(x_)
        return mu + 0.3, logvar + 0.5

    gap = log_px - elbo(x, worse_encoder, decode, log_sigma2, eps)
    assert torch.all(gap > SE_MARGIN * se)


@verifies(
    "vae",
    against="analytic gradient of E[f(z)] for a quadratic f",
    tol=SE_MARGIN,
    note="float64; 200,000 reparameterised draws, gradients in μ and log σ² within 5 standard errors",
)
def test_reparameterised_gradient_matches_analytic():
    g = torch.Generator().manual_seed(1)
    L = 4
    A = torch.randn(L, L, generator=g, dtype=DTYPE)
    A = A @ A.T  # f(z) = ½ zᵀAz + cᵀz
    c = torch.randn(L, generator=g, dtype=DTYPE)
    mu = torch.randn(L, generator=g, dtype=DTYPE, requires_grad=True)
    logvar = (0.3 * torch.randn(L, generator=g, dtype=DTYPE)).requires_grad_()
    eps = torch.randn(200_000, L, generator=g, dtype=DTYPE)
    z = reparameterise(mu, logvar, eps)  # (K, L)
    f = 0.5 * ((z @ A) * z).sum(-1) + z @ c  # (K,)
    grad_mu, grad_logvar = torch.autograd.grad(f.mean(), (mu, logvar))
    # E f = ½ μᵀAμ + ½ Σ A_ii σ_i² + cᵀμ  =>  ∂/∂μ = Aμ + c,  ∂/∂log σ_i² = ½ A_ii σ_i²
    with torch.no_grad():
        sigma2 = logvar.exp()
        expected_mu = A @ mu + c
        expected_logvar = 0.5 * torch.diagonal(A) * sigma2
        # standard errors of the per-draw gradients: ∂f/∂μ = A z + c, ∂f/∂log σ² = ½ (A z + c) ⊙ σ ε
        g_mu = z @ A + c
        g_lv = 0.5 * g_mu * (0.5 * logvar).exp() * eps
        se_mu, se_lv = g_mu.std(0) / math.sqrt(len(eps)), g_lv.std(0) / math.sqrt(len(eps))
    assert torch.all((grad_mu - expected_mu).abs() < SE_MARGIN * se_mu)
    assert torch.all((grad_logvar - expected_logvar).abs() < SE_MARGIN * se_lv)


def test_bad_noise_shape_is_rejected():
    x, encode, decode, log_sigma2, _, _ = linear_gaussian()
    with pytest.raises(ValueError, match=r"eps must be \(K, B, L\)"):
        elbo(x, encode, decode, log_sigma2, torch.zeros(2, 3, dtype=DTYPE))


def test_figure_vae_learns_digits():
    """The chapter's small VAE: importance-weighted log-likelihood ≥ ELBO, and training raised the ELBO
    far above an untrained network's."""
    from mlatlas.generative.figures.vae import vae_numbers

    r = vae_numbers()
    assert r["log_likelihood"] >= r["elbo"] - 0.5  # K = 200 importance samples: a tighter bound
    assert r["elbo"] > r["untrained_elbo"] + 50
    # the chapter says the blurry decoder means lose to a fitted Gaussian on energy distance
    assert r["gaussian_energy"] < r["energy"]
