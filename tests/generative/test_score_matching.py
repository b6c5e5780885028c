"""Score matching: the learned score of a 2-D Gaussian mixture against its analytic score; Langevin
dynamics against its exact stationary law; annealed Langevin with the exact score samples the
mixture; the DSM loss is minimised by the exact score (Vincent's identity)."""

import math

import pytest
import torch

from mlatlas.generative.distances import energy_distance
from mlatlas.generative.score_matching import (
    annealed_langevin,
    dsm_objective,
    langevin,
    noise_levels,
    relative_score_error,
    score_of,
    train_score,
)
from mlatlas.generative.toy_data import GaussianMixture, eight_gaussians
from mlatlas.verification import verifies

REL_TOL = 0.15  # trained score: E|s_θ - s*|² / E|s*|² at each level σ ≥ 0.05 (worst seen ≈ 0.1)
TOL64 = 1e-12  # float64 closed-form identities
Z_MARGIN = 4.0  # seeded Monte Carlo checks: within 4 standard errors


def exact_score(mixture):
    """∇ log q_σ for the mixture convolved with N(0, σ² I), every row at the same σ."""
    return lambda x, sigma: mixture.scaled_and_noised(1.0, float(sigma[0])).score(x)


@verifies(
    "score-matching",
    against="analytic score of a Gaussian mixture",
    tol=REL_TOL,
    note="eight Gaussians in 2-D; a 64-wide network after 2,000 steps; relative squared error "
    "E|s_θ - s*|²/E|s*|² at each of the 8 levels σ ≥ 0.05, on points of the noised mixture",
)
def test_learned_score_matches_analytic():
    mixture = eight_gaussians(dtype=torch.float32)
    g = torch.Generator().manual_seed(0)
    data = mixture.sample(20000, g)
    torch.manual_seed(0)
    model, sigmas = train_score(
        data, 2000, torch.Generator().manual_seed(1), hidden=64, lr=5e-3, batch_size=512
    )
    errors = [relative_score_error(score_of(model, sigmas), mixture, float(s), 2000, g) for s in sigmas]
    for sigma, error in zip(sigmas.tolist(), errors):
        if sigma >= 0.05:
            assert error < REL_TOL, f"σ = {sigma:.3f}: relative error {error:.3f}"
    # the errors grow as σ shrinks: the regression target -z/σ is mostly noise there
    assert errors[0] < errors[-1]


@verifies(
    "score-matching",
    against="stationary variance of Langevin on a Gaussian",
    tol=Z_MARGIN,
    note="eq. 4 with step α on N(0, v) has stationary variance v/(1 - α/(4v)); 20,000 chains, "
    "within 4 standard errors, at α = 0.5 (biased) and α = 0.02",
)
@pytest.mark.parametrize("step", [0.5, 0.02])
def test_langevin_stationary_variance(step):
    v, n = 0.7, 20000
    g = torch.Generator().manual_seed(5)
    x = torch.randn(n, 1, generator=g, dtype=torch.float64) * math.sqrt(v)
    x = langevin(lambda y: -y / v, x, step, int(20 / step), g)  # 20 units of Langevin time
    exact = v / (1 - step / (4 * v))  # x' = (1 - α/2v) x + √α z: var = α / (1 - (1 - α/2v)²)
    standard_error = exact * math.sqrt(2 / (n - 1))  # of a Gaussian sample variance
    assert abs(float(x.var()) - exact) < Z_MARGIN * standard_error


@verifies(
    "score-matching",
    against="analytic score of a Gaussian mixture",
    tol=0.03,
    note="annealed Langevin (Algorithm 1, paper's T = 100, ε = 2e-5) with the exact score, float64: "
    "each of the 8 modes gets 1/8 ± 0.03 of 4,000 samples (±5.7 standard errors), and the energy "
    "distance to the mixture is within 1.5× that between two samples of the mixture",
)
def test_annealed_langevin_with_exact_score_samples_the_mixture():
    mixture = eight_gaussians(dtype=torch.float64)
    g = torch.Generator().manual_seed(2)
    sigmas = noise_levels().double()
    x0 = sigmas[0] * torch.randn(4000, 2, generator=g, dtype=torch.float64)
    x = annealed_langevin(exact_score(mixture), sigmas, x0, g)
    fractions = torch.bincount(torch.cdist(x, mixture.means).argmin(1), minlength=8).double() / 4000
    assert torch.all((fractions - 1 / 8).abs() < 0.03), fractions
    truth, truth_2 = mixture.sample(4000, g), mixture.sample(4000, g)
    assert energy_distance(x, truth) < 1.5 * energy_distance(truth_2, truth)


def posterior_mean(mixture: GaussianMixture, x_tilde, sigma):
    """E[x | x̃ = x + σ z] for a mixture of isotropic Gaussians, from Bayes' rule per component."""
    var = mixture.stds**2 + sigma**2  # (K,) widths of the noised components
    d2 = ((x_tilde[:, None, :] - mixture.means[None]) ** 2).sum(-1)  # (B, K)
    log_r = mixture.weights.log() - 0.5 * d2 / var - 0.5 * x_tilde.shape[1] * var.log()
    r = torch.softmax(log_r, dim=1)  # (B, K) p(k | x̃)
    shrink = (mixture.stds**2 / var)[None, :, None]  # σ_k² / (σ_k² + σ²)
    means = mixture.means[None] + shrink * (x_tilde[:, None, :] - mixture.means[None])  # (B, K, F)
    return (r[:, :, None] * means).sum(1)


@verifies(
    "score-matching",
    against="analytic score of a Gaussian mixture",
    tol=TOL64,
    note="Vincent's identity in float64: the DSM target's conditional mean E[-(x̃ - x)/σ² | x̃], from the "
    "Bayes posterior mean of x, equals ∇ log q_σ(x̃) (compared as E[x | x̃] = x̃ + σ²∇ log q_σ(x̃), "
    "Tweedie's formula) at σ = 0.02, 0.3 and 3",
)
def test_dsm_target_averages_to_the_score():
    mixture = eight_gaussians(dtype=torch.float64)
    g = torch.Generator().manual_seed(6)
    for sigma in (0.02, 0.3, 3.0):
        noised = mixture.scaled_and_noised(1.0, sigma)
        x_tilde = noised.sample(500, g)
        # E[-(x̃ - x)/σ² | x̃] = s*(x̃)  ⇔  E[x | x̃] = x̃ + σ² s*(x̃); the second form keeps float64
        # rounding at 1e-16 instead of multiplying it by 1/σ² = 2500 at the smallest level
        torch.testing.assert_close(
            posterior_mean(mixture, x_tilde, sigma),
            x_tilde + sigma**2 * noised.score(x_tilde),
            rtol=TOL64,
            atol=TOL64,
        )


@verifies(
    "score-matching",
    against="analytic score of a Gaussian mixture",
    tol=Z_MARGIN,
    note="DSM(s) - DSM(s*) = ½ E σ²|s - s*|² for a perturbed score s, 200,000 draws in float64, "
    "within 4 standard errors at σ = 0.1, 0.5 and 2",
)
def test_dsm_excess_loss_is_the_score_error():
    mixture = eight_gaussians(dtype=torch.float64)
    g = torch.Generator().manual_seed(4)
    n = 200000
    for level in (0.1, 0.5, 2.0):
        sigma = torch.full((n,), level, dtype=torch.float64)
        x = mixture.sample(n, g)
        z = torch.randn(x.shape, generator=g, dtype=torch.float64)
        x_tilde = x + level * z
        s_star = mixture.scaled_and_noised(1.0, level).score(x_tilde)
        delta = torch.tanh(x_tilde.flip(1)) / level  # any perturbation, of the score's size
        excess = dsm_objective(s_star + delta, z, sigma) - dsm_objective(s_star, z, sigma)
        expected = 0.5 * level**2 * (delta**2).sum(-1).mean()
        # the difference is the mean of σ² δ·(s* + z/σ), zero in expectation by Vincent's identity
        cross = level**2 * (delta * (s_star + z / level)).sum(-1)
        assert abs(float(excess - expected)) < Z_MARGIN * float(cross.std()) / math.sqrt(n)
        assert float(excess) > 0


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="sigma_min < sigma_max"):
        noise_levels(sigma_max=0.1, sigma_min=1.0)
    with pytest.raises(ValueError, match="strictly decreasing"):
        annealed_langevin(lambda x, s: x, torch.tensor([0.1, 1.0]), torch.zeros(3, 2), torch.Generator())
    with pytest.raises(ValueError, match="step > 0"):
        langevin(lambda x: x, torch.zeros(3, 2), 0.0, 10, torch.Generator())
