"""Diffusion and flow matching are one model: conversions between score, noise, denoiser and velocity.

Papers: Song, Sohl-Dickstein, Kingma, Kumar, Ermon, Poole (2021), "Score-Based Generative Modeling
through Stochastic Differential Equations", arXiv:2011.13456; Song, Meng, Ermon (2021), "Denoising
Diffusion Implicit Models", arXiv:2010.02502; Lipman, Chen, Ben-Hamu, Nickel, Le (2023), "Flow Matching
for Generative Modeling", arXiv:2210.02747; Karras, Aittala, Aila, Laine (2022), "Elucidating the
Design Space of Diffusion-Based Generative Models", arXiv:2206.00364.
A Gaussian path x = α x_data + σ ε has one unknown, the posterior of the data given x; the score, the
predicted noise, the denoised point and the velocity are four linear read-outs of it.

For x = α x_data + σ ε (ε ~ N(0, I)), with ε̂ = E[ε | x], x̂ = E[x_data | x], s = ∇ log p(x):
    ε̂ = -σ s                                   (Tweedie's formula: E[x_data | x] = (x + σ² s) / α)
    x̂ = (x - σ ε̂) / α                          (the denoiser: DDIM's predicted x_0)
The linear path of flow matching, y = t x_data + (1 - t) ε (α = t, σ = 1 - t; t = 0 noise, t = 1 data):
    v = E[x_data - ε | y] = x̂ - ε̂ = (y - ε̂) / t,     ε̂ = y - t v,     x̂ = y + (1 - t) v
DDPM's variance-preserving path x = √ᾱ x_data + √(1-ᾱ) ε is the linear path rescaled:
    y = x / (√ᾱ + √(1-ᾱ))  at  t = √ᾱ / (√ᾱ + √(1-ᾱ)),   and back  ᾱ = t² / (t² + (1-t)²),
    √ᾱ + √(1-ᾱ) = 1 / √(t² + (1-t)²).
Both paths share ε̂, so an ε-model is a velocity model: v(y, t) = (y - ε̂(x, ᾱ)) / t. One DDIM step
(η = 0) is exactly one Euler step of that velocity between the matching times (DDIM §4.3 shows the
same in the coordinates x/√ᾱ; Karras et al. replace Euler by Heun). Lipman et al. §4.1 treat
diffusion paths as Gaussian paths of flow matching.
Shape legend: B batch, F features.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from mlatlas.generative.ddpm import NoiseSchedule
from mlatlas.generative.flow_matching import Velocity
from mlatlas.generative.toy_data import GaussianMixture

EpsOfAlphaBar = Callable[[Tensor, Tensor], Tensor]  # (x (B, F) on the VP path, ᾱ (B,)) -> ε̂ (B, F)


def _col(v: Tensor | float, like: Tensor) -> Tensor:
    """A per-row scalar (B,) or a plain number as a (B, 1) column broadcastable against like (B, F)."""
    v = torch.as_tensor(v, dtype=like.dtype)
    return v[:, None] if v.ndim == 1 else v


# --- score, noise and denoiser on any Gaussian path x = α x_data + σ ε ---------------------------------


def eps_from_score(score: Tensor, sigma: Tensor | float) -> Tensor:
    """ε̂ = -σ s: the predicted noise is the score scaled by minus the noise level."""
    return -_col(sigma, score) * score


def score_from_eps(eps: Tensor, sigma: Tensor | float) -> Tensor:
    """s = -ε̂ / σ."""
    return -eps / _col(sigma, eps)


def denoised_from_eps(x: Tensor, eps: Tensor, alpha: Tensor | float, sigma: Tensor | float) -> Tensor:
    """x̂ = (x - σ ε̂) / α: undo the noising with the predicted noise."""
    return (x - _col(sigma, x) * eps) / _col(alpha, x)


def eps_from_denoised(x: Tensor, denoised: Tensor, alpha: Tensor | float, sigma: Tensor | float) -> Tensor:
    """ε̂ = (x - α x̂) / σ."""
    return (x - _col(alpha, x) * denoised) / _col(sigma, x)


# --- the linear path y = t x_data + (1 - t) ε of flow matching ------------------------------------------


def velocity_from_eps(y: Tensor, eps: Tensor, t: Tensor | float) -> Tensor:
    """v = x̂ - ε̂ = (y - ε̂) / t on the linear path (undefined at t = 0, where y is pure noise)."""
    return (y - eps) / _col(t, y)


def eps_from_velocity(y: Tensor, v: Tensor, t: Tensor | float) -> Tensor:
    """ε̂ = y - t v."""
    return y - _col(t, y) * v


def denoised_from_velocity(y: Tensor, v: Tensor, t: Tensor | float) -> Tensor:
    """x̂ = y + (1 - t) v: follow the velocity for the time that is left."""
    return y + (1 - _col(t, y)) * v


def velocity_from_score(y: Tensor, score: Tensor, t: Tensor | float) -> Tensor:
    """v = (y + (1 - t) s) / t: the two conversions above, score -> ε̂ (σ = 1 - t) -> velocity."""
    return velocity_from_eps(y, eps_from_score(score, 1 - torch.as_tensor(t, dtype=y.dtype)), t)


# --- DDPM's variance-preserving path as a rescaled linear path -----------------------------------------


def linear_time(alpha_bar: Tensor) -> Tensor:
    """t = √ᾱ / (√ᾱ + √(1-ᾱ)): where on the straight line a VP point with this ᾱ sits."""
    a, b = alpha_bar.sqrt(), (1 - alpha_bar).sqrt()
    return a / (a + b)


def alpha_bar_of_linear_time(t: Tensor) -> Tensor:
    """ᾱ = t² / (t² + (1-t)²), the inverse of ``linear_time`` (equal signal-to-noise ratio t/(1-t))."""
    return t**2 / (t**2 + (1 - t) ** 2)


def vp_to_linear(x: Tensor, alpha_bar: Tensor | float) -> Tensor:
    """y = x / (√ᾱ + √(1-ᾱ)): a point of the VP path as a point of the linear path."""
    alpha_bar = _col(alpha_bar, x)
    return x / (alpha_bar.sqrt() + (1 - alpha_bar).sqrt())


def linear_to_vp(y: Tensor, t: Tensor | float) -> Tensor:
    """x = y / √(t² + (1-t)²), the inverse of ``vp_to_linear`` at ᾱ = ᾱ(t)."""
    t = _col(t, y)
    return y / (t**2 + (1 - t) ** 2).sqrt()


def velocity_from_eps_model(eps_model: EpsOfAlphaBar) -> Velocity:
    """Turn an ε-model of the VP path into a velocity field of the linear path, for any flow sampler:
    v(y, t) = (y - ε̂(x, ᾱ(t))) / t with x = y / √(t² + (1-t)²). t: (B,) in (0, 1]."""

    def v(y: Tensor, t: Tensor) -> Tensor:
        t = t.to(y.dtype)
        eps = eps_model(linear_to_vp(y, t), alpha_bar_of_linear_time(t))  # the same ε̂ on both paths
        return velocity_from_eps(y, eps, t)

    return v


def fractional_step(schedule: NoiseSchedule, alpha_bar: Tensor) -> Tensor:
    """The (fractional) DDPM step whose ᾱ is ``alpha_bar``: log ᾱ interpolated linearly between the
    integer steps 0..T-1, clamped to them. (B,) -> (B,) float."""
    log_ab = schedule.alpha_bar.double().log()  # (T,) decreasing
    q = alpha_bar.double().clamp(float(schedule.alpha_bar[-1]), float(schedule.alpha_bar[0])).log()  # (B,)
    k = torch.searchsorted(-log_ab, -q).clamp(1, schedule.num_steps - 1)  # log_ab[k-1] >= q >= log_ab[k]
    frac = (log_ab[k - 1] - q) / (log_ab[k - 1] - log_ab[k])
    return (k - 1).double() + frac


def eps_model_of_ddpm(model: nn.Module, schedule: NoiseSchedule) -> EpsOfAlphaBar:
    """A TimeMLP trained by ``ddpm_loss`` as ε̂(x, ᾱ) for any ᾱ in the schedule's range: the network sees
    the fractional step's time (τ + 1) / T, as ``ddpm.network_time`` does for integer steps."""

    def eps(x: Tensor, alpha_bar: Tensor) -> Tensor:
        tau = fractional_step(schedule, alpha_bar)
        return model(x.to(torch.float32), ((tau + 1) / schedule.num_steps).to(torch.float32)).to(x.dtype)

    return eps


def mixture_eps(mixture: GaussianMixture) -> EpsOfAlphaBar:
    """The exact ε̂(x, ᾱ) = -√(1-ᾱ) ∇ log q_ᾱ(x) for data from a Gaussian mixture: q_ᾱ is the mixture
    scaled by √ᾱ and noised by √(1-ᾱ). Rows are grouped by their ᾱ."""

    def eps(x: Tensor, alpha_bar: Tensor) -> Tensor:
        alpha_bar = alpha_bar.to(x.dtype).expand(x.shape[0])
        out = torch.empty_like(x)
        for level in alpha_bar.unique():
            rows = alpha_bar == level
            noised = mixture.scaled_and_noised(level.sqrt(), (1 - level).sqrt())
            out[rows] = eps_from_score(noised.score(x[rows]), (1 - level).sqrt())
        return out

    return eps


@torch.no_grad()
def euler_on_grid(velocity: Velocity, y: Tensor, times: Tensor) -> Tensor:
    """Euler steps y ← y + (t' - t) v(y, t) along an increasing grid ``times`` (S + 1,)."""
    if times.ndim != 1 or times.shape[0] < 2 or torch.any(times[1:] <= times[:-1]):
        raise ValueError("times must be a 1-D increasing grid with at least two points")
    for t, t_next in zip(times[:-1].tolist(), times[1:].tolist()):
        y = y + (t_next - t) * velocity(y, torch.full((y.shape[0],), t, dtype=y.dtype))
    return y


@torch.no_grad()
def heun_on_grid(velocity: Velocity, y: Tensor, times: Tensor) -> Tensor:
    """Heun's method (explicit trapezoid) along an increasing grid ``times`` (S + 1,)."""
    if times.ndim != 1 or times.shape[0] < 2 or torch.any(times[1:] <= times[:-1]):
        raise ValueError("times must be a 1-D increasing grid with at least two points")
    for t, t_next in zip(times[:-1].tolist(), times[1:].tolist()):
        h = t_next - t
        v = velocity(y, torch.full((y.shape[0],), t, dtype=y.dtype))
        y_euler = y + h * v  # predictor
        y = y + 0.5 * h * (v + velocity(y_euler, torch.full((y.shape[0],), t_next, dtype=y.dtype)))
    return y


def ddim_grid(schedule: NoiseSchedule, num_steps: int) -> Tensor:
    """The linear-path times of DDIM's steps (ddpm.ddim_timesteps) followed by t = 1 (ᾱ = 1, the data):
    Euler on this grid with ``velocity_from_eps_model`` is DDIM with η = 0, step for step."""
    from mlatlas.generative.ddpm import ddim_timesteps

    steps = ddim_timesteps(schedule, num_steps)  # decreasing noise: T-k, ..., 0
    t = linear_time(schedule.alpha_bar[steps].double())
    return torch.cat([t, torch.ones(1, dtype=t.dtype)])
