"""Score matching: learn ∇ log p of noised data, then sample by annealed Langevin dynamics.

Papers: Vincent (2011), "A Connection Between Score Matching and Denoising Autoencoders", Neural
Computation 23(7); Song, Ermon (2019), "Generative Modeling by Estimating Gradients of the Data
Distribution", arXiv:1907.05600; Song, Ermon (2020), "Improved Techniques for Training Score-Based
Generative Models", arXiv:2006.09011.
The score s(x) = ∇_x log p(x) points uphill in density and does not need the normalising constant.
Perturb data with Gaussian noise at several scales σ, learn the score of each perturbed density by
denoising, and walk noise uphill with Langevin steps while lowering σ.

    x̃ = x + σ z:  ∇ log q_σ(x̃ | x) = -(x̃ - x)/σ² = -z/σ                   (Vincent 2011; S&E §4.2)
    ℓ(σ) = ½ E |s_θ(x̃, σ) + z/σ|²                                          (Song & Ermon eq. 5)
    L = (1/L) Σ_i λ(σ_i) ℓ(σ_i),  λ(σ) = σ²                                 (Song & Ermon eq. 6)
    x ← x + (α/2) s(x) + √α z                                              (Langevin, S&E eq. 4)
    α_i = ε σ_i² / σ_L²,  T steps at each σ_1 > ... > σ_L                   (S&E Algorithm 1)
We parameterise s_θ(x, σ) = f_θ(x, σ) / σ (as Song & Ermon 2020 do), so σ² ℓ(σ) = ½ E|f_θ + z|²:
the network predicts minus the noise, DDPM's ε-prediction up to sign and scaling.
Shape legend: B batch, F features, L noise levels.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

from mlatlas.generative.distances import quality
from mlatlas.generative.networks import TimeMLP, TimeMLPConfig
from mlatlas.generative.toy_data import eight_gaussians, two_moons
from mlatlas.generative.training import train

Score = Callable[[Tensor, Tensor], Tensor]  # (x (B, F), σ (B,)) -> ∇ log q_σ(x) (B, F)


def noise_levels(sigma_max: float = 3.0, sigma_min: float = 0.02, num_levels: int = 10) -> Tensor:
    """Geometric σ_1 > ... > σ_L (Song & Ermon §4.1), float32 (L,)."""
    if not 0 < sigma_min < sigma_max or num_levels < 2:
        raise ValueError(
            f"need 0 < sigma_min < sigma_max and num_levels >= 2, got {sigma_min}, {sigma_max}, {num_levels}"
        )
    return torch.exp(torch.linspace(math.log(sigma_max), math.log(sigma_min), num_levels))


def sigma_to_time(sigma: Tensor, sigmas: Tensor) -> Tensor:
    """The network's time input: log σ mapped linearly onto [0, 1] (0 at σ_1 = max, 1 at σ_L = min)."""
    lo, hi = math.log(float(sigmas[0])), math.log(float(sigmas[-1]))
    return (sigma.log() - lo) / (hi - lo)


def score_of(model: nn.Module, sigmas: Tensor) -> Score:
    """s_θ(x, σ) = f_θ(x, t(σ)) / σ for a TimeMLP trained with ``dsm_loss``."""
    return lambda x, sigma: (
        model(x, sigma_to_time(sigma, sigmas).to(torch.float32)).to(x.dtype) / sigma[:, None]
    )


def dsm_objective(s: Tensor, z: Tensor, sigma: Tensor) -> Tensor:
    """σ²-weighted denoising score matching, averaged over the batch: mean of σ² · ½|s + z/σ|².

    s: (B, F) the score at x̃ = x + σ z;  z: (B, F) the noise;  sigma: (B,) each row's level.
    Its expectation is minimised by the exact score of q_σ (Vincent 2011): for any s,
    E[obj(s)] - E[obj(s*)] = ½ E σ² |s - s*|².
    """
    return 0.5 * ((sigma[:, None] * s + z) ** 2).sum(-1).mean()  # σ² · ½|s + z/σ|² = ½|σ s + z|²


def dsm_loss(model: nn.Module, sigmas: Tensor, x: Tensor, generator: torch.Generator) -> Tensor:
    """Eq. 6 with λ(σ) = σ², by Monte Carlo: one random level and one noise draw per data point."""
    sigma = sigmas[torch.randint(sigmas.shape[0], (x.shape[0],), generator=generator)].to(x.dtype)  # (B,)
    z = torch.randn(x.shape, generator=generator, dtype=x.dtype)  # (B, F)
    x_tilde = x + sigma[:, None] * z  # perturbed data, a sample of q_σ
    return dsm_objective(score_of(model, sigmas)(x_tilde, sigma), z, sigma)


@torch.no_grad()
def langevin(
    score: Callable[[Tensor], Tensor], x: Tensor, step: float, num_steps: int, generator: torch.Generator
) -> Tensor:
    """Unadjusted Langevin dynamics (eq. 4): x ← x + (α/2) s(x) + √α z, ``num_steps`` times."""
    if step <= 0 or num_steps < 1:
        raise ValueError(f"need step > 0 and num_steps >= 1, got {step} and {num_steps}")
    for _ in range(num_steps):
        z = torch.randn(x.shape, generator=generator, dtype=x.dtype)  # (B, F)
        x = x + 0.5 * step * score(x) + math.sqrt(step) * z
    return x


@torch.no_grad()
def annealed_langevin(
    score: Score,
    sigmas: Tensor,
    x: Tensor,
    generator: torch.Generator,
    steps_per_level: int = 100,
    eps: float = 2e-5,
) -> Tensor:
    """Algorithm 1 of Song & Ermon: T Langevin steps at each σ_i, with step α_i = ε σ_i²/σ_L².

    ``sigmas`` (L,) must decrease; x (B, F) is the start (the paper draws it uniformly; we use
    σ_1 · N(0, I)). The defaults T = 100, ε = 2·10⁻⁵ are the paper's (§5). The authors' code
    (ermongroup/ncsn) steps x + η s + √(2η) z with η = 2·10⁻⁵ (σ_i/σ_L)², which is α_i = 2η:
    twice the step of the paper's text and of ours.
    """
    if sigmas.ndim != 1 or sigmas.shape[0] < 1 or torch.any(sigmas[1:] >= sigmas[:-1]):
        raise ValueError("sigmas must be a 1-D, strictly decreasing sequence σ_1 > ... > σ_L")
    for sigma in sigmas.tolist():
        alpha = eps * (sigma / float(sigmas[-1])) ** 2  # α_i: the step shrinks with the noise level
        level = torch.full((x.shape[0],), sigma, dtype=x.dtype)  # (B,)
        x = langevin(lambda y, level=level: score(y, level), x, alpha, steps_per_level, generator)
    return x


def train_score(
    data: Tensor,
    steps: int,
    generator: torch.Generator,
    sigmas: Tensor | None = None,
    hidden: int = 128,
    lr: float = 2e-3,
    batch_size: int = 256,
) -> tuple[nn.Module, Tensor]:
    """Train the book's TimeMLP by denoising score matching on ``data`` (N, F); returns it and σ (L,)."""
    sigmas = noise_levels() if sigmas is None else sigmas
    model = TimeMLP(TimeMLPConfig(features=data.shape[1], hidden=hidden))
    train(
        model,
        lambda m, x, g: dsm_loss(m, sigmas, x, g),
        data,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        generator=generator,
    )
    return model, sigmas


@torch.no_grad()
def relative_score_error(score: Score, mixture, sigma: float, n: int, generator: torch.Generator) -> float:
    """E|s - s*|² / E|s*|² at one level, on n points of the noised mixture q_σ (s* its exact score)."""
    noised = mixture.scaled_and_noised(1.0, sigma)
    x = noised.sample(n, generator)  # (B, F) points where q_σ puts its mass
    exact = noised.score(x)
    learned = score(x, torch.full((n,), sigma, dtype=x.dtype))
    return float(((learned - exact) ** 2).sum(-1).mean() / (exact**2).sum(-1).mean())


def demo(steps: int = 4000) -> None:
    """Train score networks on eight Gaussians and on two moons, sample by annealed Langevin, and print
    the score error against the exact score and the energy distance to held-out data beside a fitted
    Gaussian's (`mlatlas run score-matching`)."""
    torch.manual_seed(0)
    mixture = eight_gaussians(dtype=torch.float32)
    g = torch.Generator().manual_seed(0)
    for name, draw in [("eight Gaussians", mixture.sample), ("two moons", lambda n, gen: two_moons(n, gen))]:
        train_x, held_out, held_out_2 = draw(4000, g), draw(2000, g), draw(2000, g)
        model, sigmas = train_score(train_x, steps, torch.Generator().manual_seed(1))
        score = score_of(model, sigmas)
        if name == "eight Gaussians":
            errors = [relative_score_error(score, mixture, float(s), 4000, g) for s in sigmas]
            print("relative score error E|s - s*|²/E|s*|² at σ =")
            print("  " + ", ".join(f"{float(s):.2f}: {e:.3f}" for s, e in zip(sigmas, errors)))
        x0 = sigmas[0] * torch.randn(2000, 2, generator=torch.Generator().manual_seed(2))
        x = annealed_langevin(score, sigmas, x0, torch.Generator().manual_seed(3))
        q = quality(x, train_x, held_out, torch.Generator().manual_seed(4), held_out_2)
        print(
            f"{name}, annealed Langevin (10 levels × 100 steps): energy distance {q.model:.4f} "
            f"(fitted Gaussian {q.gaussian:.4f}, data vs data {q.floor:.4f})"
        )
