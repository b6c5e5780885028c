"""Denoising diffusion probabilistic models (DDPM) and the deterministic DDIM sampler.

Papers: Ho, Jain, Abbeel (2020), "Denoising Diffusion Probabilistic Models", arXiv:2006.11239;
Song, Meng, Ermon (2021), "Denoising Diffusion Implicit Models", arXiv:2010.02502.
Noise the data a little at a time until it is Gaussian; train a network to predict the noise that was
added; generate by running the noising backwards, one small denoising step at a time.

Steps are indexed t = 0..T-1 as in diffusers (the paper's t = 1..T): x_t has been noised t + 1 times.
    ᾱ_t = Π_{s ≤ t} (1 - β_s)                                          (Ho et al. §2, α_t = 1 - β_t)
    q(x_t | x_0) = N(√ᾱ_t x_0, (1 - ᾱ_t) I)                            (eq. 4)
    L_simple = E |ε - ε_θ(√ᾱ_t x_0 + √(1-ᾱ_t) ε, t)|²                    (eq. 14)
    x_{t-1} = (x_t - β_t/√(1-ᾱ_t) ε_θ) / √α_t + σ_t z,  σ_t² = β̃_t      (eq. 11, Algorithm 2)
    β̃_t = (1 - ᾱ_{t-1}) / (1 - ᾱ_t) β_t                                 (eq. 7)
DDIM (Song et al. eq. 12) with σ = 0 is deterministic and may skip steps.
Shape legend: B batch, F features.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mlatlas.generative.distances import quality
from mlatlas.generative.networks import TimeMLP, TimeMLPConfig
from mlatlas.generative.toy_data import two_moons
from mlatlas.generative.training import train

EpsModel = Callable[[Tensor, Tensor], Tensor]  # (x_t (B, F), t (B,) integer steps) -> ε̂ (B, F)


@dataclass(frozen=True)
class NoiseSchedule:
    betas: Tensor  # (T,) β_t
    alphas: Tensor  # (T,) α_t = 1 - β_t
    alpha_bar: Tensor  # (T,) ᾱ_t = Π_{s ≤ t} α_s

    @property
    def num_steps(self) -> int:
        return self.betas.shape[0]


def linear_schedule(
    num_steps: int = 1000,
    beta_start: float = 1e-4,
    beta_end: float = 0.02,
    dtype: torch.dtype = torch.float32,
) -> NoiseSchedule:
    """Ho et al.'s schedule: β rising linearly from 1e-4 to 0.02 over T = 1000 steps (§4)."""
    if num_steps < 2 or not 0 < beta_start <= beta_end < 1:
        raise ValueError("need num_steps >= 2 and 0 < beta_start <= beta_end < 1")
    betas = torch.linspace(beta_start, beta_end, num_steps, dtype=dtype)
    alphas = 1.0 - betas
    return NoiseSchedule(betas, alphas, torch.cumprod(alphas, dim=0))


def _per_sample(values: Tensor, t: Tensor, like: Tensor) -> Tensor:
    return values[t].to(like.dtype).reshape(-1, *([1] * (like.ndim - 1)))  # (B, 1, ...) broadcastable


def add_noise(schedule: NoiseSchedule, x0: Tensor, eps: Tensor, t: Tensor) -> Tensor:
    """Sample q(x_t | x_0) in closed form: x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε (eq. 4). t: (B,) steps."""
    alpha_bar = _per_sample(schedule.alpha_bar, t, x0)
    return alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * eps


def network_time(schedule: NoiseSchedule, t: Tensor) -> Tensor:
    """The network sees t as a float in (0, 1]: (t + 1) / T."""
    return (t.to(torch.float32) + 1) / schedule.num_steps


def ddpm_loss(model: nn.Module, schedule: NoiseSchedule, x0: Tensor, generator: torch.Generator) -> Tensor:
    """L_simple (eq. 14): t uniform, ε ~ N(0, I), regress ε from x_t."""
    t = torch.randint(schedule.num_steps, (x0.shape[0],), generator=generator)  # (B,)
    eps = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)  # (B, F)
    x_t = add_noise(schedule, x0, eps, t)
    return ((model(x_t, network_time(schedule, t)) - eps) ** 2).mean()


def ddpm_step(schedule: NoiseSchedule, eps_hat: Tensor, t: int, x_t: Tensor, z: Tensor | None) -> Tensor:
    """One ancestral step x_t -> x_{t-1} (eq. 11 with σ_t² = β̃_t); z ~ N(0, I), unused at t = 0."""
    beta, alpha, alpha_bar = schedule.betas[t], schedule.alphas[t], schedule.alpha_bar[t]
    mean = (x_t - beta / (1 - alpha_bar).sqrt() * eps_hat) / alpha.sqrt()  # μ_θ(x_t, t), eq. 11
    if t == 0:
        return mean  # the last step returns the mean (Algorithm 2, z = 0 at t = 1)
    if z is None:
        raise ValueError("ddpm_step needs noise z for t > 0")
    beta_tilde = (1 - schedule.alpha_bar[t - 1]) / (1 - alpha_bar) * beta  # eq. 7
    return mean + beta_tilde.sqrt() * z


def ddim_timesteps(schedule: NoiseSchedule, num_steps: int) -> list[int]:
    """Evenly spaced steps T-k, ..., k, 0 with k = T // num_steps (diffusers' 'leading' spacing)."""
    if not 1 <= num_steps <= schedule.num_steps:
        raise ValueError(f"num_steps must be in [1, {schedule.num_steps}], got {num_steps}")
    ratio = schedule.num_steps // num_steps
    return [k * ratio for k in range(num_steps)][::-1]


def ddim_step(
    schedule: NoiseSchedule,
    eps_hat: Tensor,
    t: int,
    t_prev: int,
    x_t: Tensor,
    eta: float = 0.0,
    z: Tensor | None = None,
) -> Tensor:
    """One DDIM step x_t -> x_{t_prev} (Song et al. eq. 12); t_prev < 0 means 'to the data' (ᾱ = 1).

    x̂_0 = (x_t - √(1-ᾱ_t) ε̂) / √ᾱ_t;  σ = η √((1-ᾱ_prev)/(1-ᾱ_t)) √(1 - ᾱ_t/ᾱ_prev)  (eq. 16)
    x_prev = √ᾱ_prev x̂_0 + √(1 - ᾱ_prev - σ²) ε̂ + σ z
    """
    alpha_bar = schedule.alpha_bar[t]
    alpha_bar_prev = schedule.alpha_bar[t_prev] if t_prev >= 0 else torch.ones((), dtype=alpha_bar.dtype)
    x0_hat = (x_t - (1 - alpha_bar).sqrt() * eps_hat) / alpha_bar.sqrt()  # predicted x_0
    sigma = eta * ((1 - alpha_bar_prev) / (1 - alpha_bar) * (1 - alpha_bar / alpha_bar_prev)).sqrt()
    x_prev = alpha_bar_prev.sqrt() * x0_hat + (1 - alpha_bar_prev - sigma**2).sqrt() * eps_hat
    if eta > 0:
        if z is None:
            raise ValueError("ddim_step with eta > 0 needs noise z")
        x_prev = x_prev + sigma * z
    return x_prev


@torch.no_grad()
def sample_ddpm(
    eps_model: EpsModel,
    schedule: NoiseSchedule,
    shape: tuple[int, ...],
    generator: torch.Generator,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """Algorithm 2: x_{T-1} ~ N(0, I), then T ancestral steps down to x_0."""
    x = torch.randn(shape, generator=generator, dtype=dtype)
    for t in range(schedule.num_steps - 1, -1, -1):
        eps_hat = eps_model(x, torch.full((shape[0],), t))
        z = torch.randn(shape, generator=generator, dtype=dtype) if t > 0 else None
        x = ddpm_step(schedule, eps_hat, t, x, z)
    return x


@torch.no_grad()
def sample_ddim(
    eps_model: EpsModel,
    schedule: NoiseSchedule,
    shape: tuple[int, ...],
    num_steps: int,
    generator: torch.Generator,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """Deterministic DDIM (η = 0) with ``num_steps`` network calls instead of T."""
    x = torch.randn(shape, generator=generator, dtype=dtype)
    steps = ddim_timesteps(schedule, num_steps)
    for t, t_prev in zip(steps, steps[1:] + [-1]):
        x = ddim_step(schedule, eps_model(x, torch.full((shape[0],), t)), t, t_prev, x)
    return x


def eps_model_from_network(model: nn.Module, schedule: NoiseSchedule) -> EpsModel:
    """Wrap a TimeMLP trained with ``ddpm_loss`` as ε̂(x_t, t) for integer steps t."""
    return lambda x, t: model(x, network_time(schedule, t))


def train_ddpm(
    data: Tensor,
    steps: int,
    generator: torch.Generator,
    schedule: NoiseSchedule | None = None,
    hidden: int = 128,
    lr: float = 2e-3,
    batch_size: int = 256,
) -> tuple[nn.Module, NoiseSchedule]:
    """Train the book's TimeMLP to predict ε on ``data`` (N, F) with the linear schedule."""
    schedule = schedule or linear_schedule()
    model = TimeMLP(TimeMLPConfig(features=data.shape[1], hidden=hidden))
    loss = lambda m, x, g: ddpm_loss(m, schedule, x, g)  # noqa: E731
    train(model, loss, data, steps=steps, batch_size=batch_size, lr=lr, generator=generator)
    return model, schedule


def demo(steps: int = 4000) -> None:
    """Train DDPM on two moons, sample with 1000 ancestral steps and with 50 DDIM steps, and print
    the energy distance to held-out data beside a fitted Gaussian's (`mlatlas run ddpm`)."""
    g = torch.Generator().manual_seed(0)
    train_x, held_out, held_out_2 = two_moons(4000, g), two_moons(2000, g), two_moons(2000, g)
    model, schedule = train_ddpm(train_x, steps, torch.Generator().manual_seed(1))
    eps_model = eps_model_from_network(model, schedule)
    for name, x in [
        (
            "DDPM, 1000 ancestral steps",
            sample_ddpm(eps_model, schedule, (2000, 2), torch.Generator().manual_seed(2)),
        ),
        (
            "DDIM, 50 deterministic steps",
            sample_ddim(eps_model, schedule, (2000, 2), 50, torch.Generator().manual_seed(2)),
        ),
    ]:
        q = quality(x, train_x, held_out, torch.Generator().manual_seed(3), held_out_2)
        print(
            f"{name}: energy distance {q.model:.4f} "
            f"(fitted Gaussian {q.gaussian:.4f}, data vs data {q.floor:.4f})"
        )
