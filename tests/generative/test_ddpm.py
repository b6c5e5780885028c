"""DDPM/DDIM against diffusers' DDPMScheduler/DDIMScheduler given the same noise; exact-ε sampling."""

import numpy as np
import pytest
import torch
from diffusers import DDIMScheduler, DDPMScheduler
from scipy import stats

from mlatlas.generative.ddpm import (
    NoiseSchedule,
    add_noise,
    ddim_step,
    ddim_timesteps,
    ddpm_loss,
    ddpm_step,
    linear_schedule,
    sample_ddim,
    sample_ddpm,
)
from mlatlas.generative.networks import TimeMLP, TimeMLPConfig
from mlatlas.generative.toy_data import bimodal_1d
from mlatlas.verification import verifies

TOL32 = 1e-5  # float32: diffusers keeps its schedule in float32
TOL64 = 1e-10  # float64: both sides given the same float64 schedule, so only the formulas differ
KS_ALPHA = 0.01  # seeded KS test: fail if p < 0.01


def float64_pair(ref):
    """Our schedule and diffusers' scheduler on the same float64 ᾱ (diffusers' betas upcast)."""
    betas = ref.betas.double()
    ours = NoiseSchedule(betas, 1 - betas, torch.cumprod(1 - betas, dim=0))
    ref.betas, ref.alphas, ref.alphas_cumprod = ours.betas, ours.alphas, ours.alpha_bar
    ref.one = torch.tensor(1.0, dtype=torch.float64)
    if hasattr(ref, "final_alpha_cumprod"):
        ref.final_alpha_cumprod = torch.tensor(1.0, dtype=torch.float64)
    return ours, ref


def ddpm_reference():
    return DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear", clip_sample=False)


@verifies("ddpm", against="diffusers DDPMScheduler", tol=TOL32, note="float32; ᾱ_t of all 1000 steps")
def test_schedule_matches_diffusers():
    torch.testing.assert_close(
        linear_schedule().alpha_bar, ddpm_reference().alphas_cumprod, rtol=TOL32, atol=TOL32
    )


@verifies(
    "ddpm",
    against="diffusers DDPMScheduler",
    tol=TOL64,
    note="float64, same schedule; add_noise and one ancestral step (same noise) at t = 999, 500, 1, 0",
)
def test_add_noise_and_step_match_diffusers():
    ours, ref = float64_pair(ddpm_reference())
    g = torch.Generator().manual_seed(0)
    x0, eps = (
        torch.randn(16, 3, generator=g, dtype=torch.float64),
        torch.randn(16, 3, generator=g, dtype=torch.float64),
    )
    t = torch.randint(1000, (16,), generator=g)
    torch.testing.assert_close(add_noise(ours, x0, eps, t), ref.add_noise(x0, eps, t), rtol=TOL64, atol=TOL64)
    for step in (999, 500, 1, 0):
        x_t = torch.randn(16, 3, generator=g, dtype=torch.float64)
        eps_hat = torch.randn(16, 3, generator=g, dtype=torch.float64)
        expected = ref.step(eps_hat, step, x_t, generator=torch.Generator().manual_seed(7)).prev_sample
        z = torch.randn(
            16, 3, generator=torch.Generator().manual_seed(7), dtype=torch.float64
        )  # diffusers' z
        torch.testing.assert_close(ddpm_step(ours, eps_hat, step, x_t, z), expected, rtol=TOL64, atol=TOL64)


@verifies(
    "ddpm",
    against="diffusers DDIMScheduler",
    tol=TOL64,
    note="float64, same schedule; timesteps for 50 steps and one step for η = 0 and η = 0.5 (same noise), "
    "including the last",
)
def test_ddim_step_matches_diffusers():
    g = torch.Generator().manual_seed(1)
    for eta in (0.0, 0.5):
        ours, ref = float64_pair(
            DDIMScheduler(num_train_timesteps=1000, beta_schedule="linear", clip_sample=False)
        )
        ref.set_timesteps(50)
        assert ddim_timesteps(ours, 50) == ref.timesteps.tolist()
        for t in (980, 500, 0):
            x_t = torch.randn(8, 2, generator=g, dtype=torch.float64)
            eps_hat = torch.randn(8, 2, generator=g, dtype=torch.float64)
            expected = ref.step(
                eps_hat, t, x_t, eta=eta, generator=torch.Generator().manual_seed(3)
            ).prev_sample
            z = torch.randn(8, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
            ours_prev = ddim_step(ours, eps_hat, t, t - 20, x_t, eta=eta, z=z)
            torch.testing.assert_close(ours_prev, expected, rtol=TOL64, atol=TOL64)


def test_ddim_with_eta_one_is_the_ancestral_step():
    """The page: σ = η √((1-ᾱ_s)/(1-ᾱ_t)) √(1-ᾱ_t/ᾱ_s) with η = 1 and s = t-1 gives σ² = β̃_t, and the
    DDIM step is then DDPM's ancestral step (same noise), float64."""
    schedule = linear_schedule(dtype=torch.float64)
    g = torch.Generator().manual_seed(4)
    for t in (999, 500, 3, 1):
        x_t, eps_hat, z = (torch.randn(8, 2, generator=g, dtype=torch.float64) for _ in range(3))
        torch.testing.assert_close(
            ddim_step(schedule, eps_hat, t, t - 1, x_t, eta=1.0, z=z),
            ddpm_step(schedule, eps_hat, t, x_t, z),
            rtol=TOL64,
            atol=TOL64,
        )


def exact_eps(schedule, mixture):
    """ε*(x_t, t) = -√(1-ᾱ_t) ∇ log q_t(x_t), q_t the noised mixture (exact for this data)."""

    def eps(x, t):
        ab = schedule.alpha_bar[int(t[0])]
        q_t = mixture.scaled_and_noised(ab.sqrt(), (1 - ab).sqrt())
        return -(1 - ab).sqrt() * q_t.score(x)

    return eps


def mixture_cdf(mixture):
    w = (mixture.weights / mixture.weights.sum()).numpy()
    mu, sd = mixture.means[:, 0].numpy(), mixture.stds.numpy()
    return lambda x: np.sum(w * stats.norm.cdf((np.asarray(x)[:, None] - mu) / sd), axis=1)


@verifies(
    "ddpm",
    against="exact score of a 1-D Gaussian mixture",
    tol=KS_ALPHA,
    note="float64; 2,000 samples by 1000 ancestral steps and by 50 DDIM steps with the exact ε; KS p > 0.01",
)
def test_sampling_with_exact_eps_reproduces_the_mixture():
    schedule = linear_schedule(dtype=torch.float64)
    mixture = bimodal_1d()
    eps = exact_eps(schedule, mixture)
    cdf = mixture_cdf(mixture)
    ancestral = sample_ddpm(eps, schedule, (2000, 1), torch.Generator().manual_seed(0), dtype=torch.float64)
    ddim = sample_ddim(eps, schedule, (2000, 1), 50, torch.Generator().manual_seed(1), dtype=torch.float64)
    for x in (ancestral, ddim):
        assert stats.kstest(x[:, 0].numpy(), cdf).pvalue > KS_ALPHA
    # and the test has power: pure noise (no denoising) is rejected
    noise = torch.randn(2000, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    assert stats.kstest(noise.numpy(), cdf).pvalue < 1e-6


def test_exact_eps_has_minimal_loss():
    """The exact ε attains a lower L_simple than a perturbed one (it is the regression's minimiser)."""
    schedule = linear_schedule(dtype=torch.float64)
    mixture = bimodal_1d()
    x0 = mixture.sample(20000, torch.Generator().manual_seed(0))
    eps = exact_eps(schedule, mixture)

    def loss_of(scale):
        g = torch.Generator().manual_seed(5)
        t = torch.randint(1000, (x0.shape[0],), generator=g)
        e = torch.randn(x0.shape, generator=g, dtype=x0.dtype)
        x_t = add_noise(schedule, x0, e, t)
        pred = torch.cat([eps(x_t[i : i + 1], t[i : i + 1]) for i in range(0, 2000)])
        return ((scale * pred - e[:2000]) ** 2).mean()

    assert loss_of(1.0) < loss_of(0.9) and loss_of(1.0) < loss_of(1.1)


def test_loss_runs_and_rejects_bad_input():
    model = TimeMLP(TimeMLPConfig(features=2, hidden=16))
    g = torch.Generator().manual_seed(0)
    loss = ddpm_loss(model, linear_schedule(), torch.randn(8, 2, generator=g), g)
    assert loss.ndim == 0 and loss.item() > 0
    with pytest.raises(ValueError, match="num_steps"):
        linear_schedule(num_steps=1)
    with pytest.raises(ValueError, match="needs noise"):
        ddpm_step(linear_schedule(), torch.zeros(1, 2), 5, torch.zeros(1, 2), None)
    with pytest.raises(ValueError, match=r"expected x of shape"):
        model(torch.zeros(4, 3), torch.zeros(4))
