"""Score ↔ noise ↔ denoiser ↔ velocity: conversions as identities on a Gaussian mixture whose noise and
velocity are known in closed form; DDIM as Euler steps of the converted velocity; a trained ε-model
turned into a velocity field samples the same distribution."""

import math

import pytest
import torch

from mlatlas.generative.conversions import (
    alpha_bar_of_linear_time,
    ddim_grid,
    denoised_from_eps,
    denoised_from_velocity,
    eps_from_denoised,
    eps_from_score,
    eps_from_velocity,
    eps_model_of_ddpm,
    euler_on_grid,
    fractional_step,
    heun_on_grid,
    linear_time,
    linear_to_vp,
    mixture_eps,
    score_from_eps,
    velocity_from_eps,
    velocity_from_eps_model,
    velocity_from_score,
    vp_to_linear,
)
from mlatlas.generative.ddpm import (
    eps_model_from_network,
    linear_schedule,
    sample_ddim,
    sample_ddpm,
    train_ddpm,
)
from mlatlas.generative.distances import energy_distance, fitted_gaussian_samples
from mlatlas.generative.flow_matching import gaussian_velocity
from mlatlas.generative.toy_data import eight_gaussians
from mlatlas.verification import verifies

TOL64 = 1e-10  # float64 identities
SAME_MARGIN = 0.15  # energy distance between a trained model's ODE and ancestral samples (2,000 each);
# measured ≈ 0.07 (seeded, CPU): the ODE does not correct an imperfect ε the way fresh noise does
EXACT_FACTOR = 1.5  # exact ε: samples within 1.5× the data-vs-data energy distance
TIMES = torch.tensor([0.05, 0.3, 0.5, 0.8, 0.97], dtype=torch.float64)


def mixture_velocity(mixture, y, t):
    """The exact linear-path velocity of a mixture: each component's Gaussian velocity
    (flow_matching.gaussian_velocity) weighted by the component's posterior p(k | y) at time t."""
    var = (1 - t) ** 2 + t**2 * mixture.stds**2  # (K,) widths of y given component k
    d2 = ((y[:, None, :] - t * mixture.means[None]) ** 2).sum(-1)  # (B, K)
    r = torch.softmax(mixture.weights.log() - 0.5 * d2 / var - 0.5 * y.shape[1] * var.log(), dim=1)
    tt = torch.full((y.shape[0],), t, dtype=y.dtype)
    per_k = torch.stack(
        [
            gaussian_velocity(mixture.means[k], float(mixture.stds[k]))(y, tt)
            for k in range(len(mixture.weights))
        ],
        dim=1,
    )  # (B, K, F)
    return (r[:, :, None] * per_k).sum(1)


@verifies(
    "diffusion-and-flow-matching-connection",
    against="round-trip identities",
    tol=TOL64,
    note="float64: score→ε→score, ε→x̂→ε, ε→v→ε, v→x̂ vs ε→x̂, t→ᾱ→t and VP→linear→VP at five times",
)
def test_round_trips():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 2, generator=g, dtype=torch.float64)
    s = torch.randn(200, 2, generator=g, dtype=torch.float64)
    for t in TIMES.tolist():
        sigma, alpha = 1 - t, t
        torch.testing.assert_close(score_from_eps(eps_from_score(s, sigma), sigma), s, rtol=TOL64, atol=TOL64)
        eps = eps_from_score(s, sigma)
        d = denoised_from_eps(x, eps, alpha, sigma)
        torch.testing.assert_close(eps_from_denoised(x, d, alpha, sigma), eps, rtol=TOL64, atol=TOL64)
        v = velocity_from_eps(x, eps, t)
        torch.testing.assert_close(eps_from_velocity(x, v, t), eps, rtol=TOL64, atol=TOL64)
        torch.testing.assert_close(denoised_from_velocity(x, v, t), d, rtol=TOL64, atol=TOL64)  # v = x̂ - ε̂
        torch.testing.assert_close(velocity_from_score(x, s, t), v, rtol=TOL64, atol=TOL64)
    torch.testing.assert_close(linear_time(alpha_bar_of_linear_time(TIMES)), TIMES, rtol=TOL64, atol=TOL64)
    alpha_bar = alpha_bar_of_linear_time(TIMES)
    for t, ab in zip(TIMES, alpha_bar):
        torch.testing.assert_close(
            linear_to_vp(vp_to_linear(x, float(ab)), float(t)), x, rtol=TOL64, atol=TOL64
        )


@verifies(
    "diffusion-and-flow-matching-connection",
    against="VP path as a rescaled linear path",
    tol=TOL64,
    note="float64: x = √ᾱ x₀ + √(1-ᾱ) ε divided by √ᾱ + √(1-ᾱ) equals t x₀ + (1-t) ε at t = √ᾱ/(√ᾱ+√(1-ᾱ)), "
    "and the two marginal densities of a mixture agree with the Jacobian (√ᾱ+√(1-ᾱ))^F, at five times",
)
def test_vp_path_is_a_rescaled_linear_path():
    mixture = eight_gaussians(dtype=torch.float64)
    g = torch.Generator().manual_seed(1)
    x0 = mixture.sample(500, g)
    eps = torch.randn(500, 2, generator=g, dtype=torch.float64)
    for alpha_bar in alpha_bar_of_linear_time(TIMES).tolist():
        a, b = math.sqrt(alpha_bar), math.sqrt(1 - alpha_bar)
        t = a / (a + b)
        x = a * x0 + b * eps  # the VP point (DDPM's add_noise)
        torch.testing.assert_close(vp_to_linear(x, alpha_bar), t * x0 + (1 - t) * eps, rtol=TOL64, atol=TOL64)
        log_q_vp = mixture.scaled_and_noised(a, b).log_prob(x)
        log_q_linear = mixture.scaled_and_noised(t, 1 - t).log_prob(vp_to_linear(x, alpha_bar))
        torch.testing.assert_close(log_q_vp, log_q_linear - 2 * math.log(a + b), rtol=TOL64, atol=TOL64)


@verifies(
    "diffusion-and-flow-matching-connection",
    against="analytic velocity of a Gaussian mixture",
    tol=TOL64,
    note="float64, eight Gaussians: exact VP score → ε̂ → linear-path velocity equals Σ_k p(k | y) × "
    "flow_matching.gaussian_velocity of component k, at five times",
)
def test_exact_eps_gives_the_analytic_velocity():
    mixture = eight_gaussians(dtype=torch.float64)
    velocity = velocity_from_eps_model(mixture_eps(mixture))
    g = torch.Generator().manual_seed(2)
    for t in TIMES.tolist():
        y = mixture.scaled_and_noised(t, 1 - t).sample(400, g)  # points of the linear path at time t
        got = velocity(y, torch.full((400,), t, dtype=torch.float64))
        torch.testing.assert_close(got, mixture_velocity(mixture, y, t), rtol=TOL64, atol=TOL64)


@verifies(
    "diffusion-and-flow-matching-connection",
    against="DDIM sampler (ddpm.sample_ddim)",
    tol=TOL64,
    note="float64, exact ε of eight Gaussians: 20 DDIM steps (η = 0) from the same noise equal 20 Euler "
    "steps of the converted velocity on the matching linear-path times",
)
def test_ddim_is_euler_on_the_converted_velocity():
    mixture = eight_gaussians(dtype=torch.float64)
    schedule = linear_schedule(dtype=torch.float64)
    eps_of_alpha_bar = mixture_eps(mixture)
    ddim = sample_ddim(
        lambda x, t: eps_of_alpha_bar(x, schedule.alpha_bar[t]),
        schedule,
        (300, 2),
        20,
        torch.Generator().manual_seed(3),
        dtype=torch.float64,
    )
    times = ddim_grid(schedule, 20)
    x_start = torch.randn(300, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    y_start = vp_to_linear(
        x_start, alpha_bar_of_linear_time(times[0])
    )  # DDIM's start (step 950), on the line
    euler = euler_on_grid(velocity_from_eps_model(eps_of_alpha_bar), y_start, times)
    torch.testing.assert_close(euler, ddim, rtol=TOL64, atol=TOL64)  # at t = 1 the two coordinates agree


@verifies(
    "diffusion-and-flow-matching-connection",
    against="round-trip identities",
    tol=TOL64,
    note="float64: the flow-matching regression error of a velocity read off an ε-guess is the ε error "
    "divided by t², |v(ε̂) - (x₁ - ε)|² = |ε̂ - ε|² / t², at five times",
)
def test_velocity_loss_is_a_reweighted_noise_loss():
    g = torch.Generator().manual_seed(10)
    x1, eps, eps_hat = (torch.randn(300, 2, generator=g, dtype=torch.float64) for _ in range(3))
    for t in TIMES.tolist():
        y = t * x1 + (1 - t) * eps  # the linear path
        velocity_error = ((velocity_from_eps(y, eps_hat, t) - (x1 - eps)) ** 2).sum(-1)
        torch.testing.assert_close(
            velocity_error, ((eps_hat - eps) ** 2).sum(-1) / t**2, rtol=TOL64, atol=TOL64
        )


def test_fractional_step_inverts_the_schedule():
    schedule = linear_schedule(dtype=torch.float64)
    steps = torch.tensor([0, 1, 250, 998, 999])
    torch.testing.assert_close(fractional_step(schedule, schedule.alpha_bar[steps]), steps.double())
    between = fractional_step(schedule, (schedule.alpha_bar[10] * schedule.alpha_bar[11]).sqrt())
    assert 10 < float(between) < 11


@verifies(
    "diffusion-and-flow-matching-connection",
    against="DDPM ancestral sampling with the same ε-model",
    tol=EXACT_FACTOR,
    note="exact ε of eight Gaussians (float64) turned into a velocity, Heun with 50 uniform steps from "
    "DDPM's last noise level: energy distance to fresh mixture samples within 1.5× that between two "
    "samples of the mixture (2,000 each), and so is DDPM's ancestral sampler with the same ε",
)
def test_exact_eps_as_a_velocity_samples_the_mixture():
    mixture, schedule = eight_gaussians(dtype=torch.float64), linear_schedule(dtype=torch.float64)
    eps = mixture_eps(mixture)
    g = torch.Generator().manual_seed(8)
    ancestral = sample_ddpm(lambda x, t: eps(x, schedule.alpha_bar[t]), schedule, (2000, 2), g, torch.float64)
    times = torch.linspace(float(linear_time(schedule.alpha_bar[-1])), 1.0, 51, dtype=torch.float64)
    z = torch.randn(2000, 2, generator=g, dtype=torch.float64)
    flow = heun_on_grid(velocity_from_eps_model(eps), vp_to_linear(z, schedule.alpha_bar[-1]), times)
    truth, truth_2 = mixture.sample(2000, g), mixture.sample(2000, g)
    floor = energy_distance(truth, truth_2)
    assert energy_distance(flow, truth) < EXACT_FACTOR * floor
    assert energy_distance(ancestral, truth) < EXACT_FACTOR * floor


@verifies(
    "diffusion-and-flow-matching-connection",
    against="DDPM ancestral sampling with the same ε-model",
    tol=SAME_MARGIN,
    note="a 64-wide ε-model trained 1,500 steps by ddpm.train_ddpm on eight Gaussians, turned into a "
    "velocity and sampled by Heun (50 steps): energy distance to the same model's 1,000 ancestral steps "
    "< 0.15 (2,000 samples each; two samples of the data differ by ≈ 0.04, two ancestral runs by ≈ 0.05), "
    "and both samplers within 0.6× the fitted Gaussian's distance to the data",
)
def test_trained_eps_model_as_a_velocity_samples_the_same_distribution():
    mixture = eight_gaussians(dtype=torch.float32)
    g = torch.Generator().manual_seed(4)
    data = mixture.sample(8000, g)
    torch.manual_seed(0)
    model, schedule = train_ddpm(
        data, 1500, torch.Generator().manual_seed(5), hidden=64, lr=5e-3, batch_size=512
    )
    eps_model = eps_model_of_ddpm(model, schedule)
    ancestral = sample_ddpm(eps_model_from_network(model, schedule), schedule, (2000, 2), g)
    times = torch.linspace(float(linear_time(schedule.alpha_bar[-1].double())), 1.0, 51, dtype=torch.float64)
    z = torch.randn(2000, 2, generator=g, dtype=torch.float64)
    flow = heun_on_grid(velocity_from_eps_model(eps_model), vp_to_linear(z, schedule.alpha_bar[-1]), times)
    truth = mixture.sample(2000, g)
    baseline = energy_distance(fitted_gaussian_samples(data, 2000, g), truth)
    assert energy_distance(flow.float(), ancestral) < SAME_MARGIN
    assert energy_distance(flow.float(), truth) < 0.6 * baseline
    assert energy_distance(ancestral, truth) < 0.6 * baseline


def test_bad_grids_are_rejected():
    with pytest.raises(ValueError, match="increasing grid"):
        euler_on_grid(lambda y, t: y, torch.zeros(3, 2), torch.tensor([0.5, 0.2]))
    with pytest.raises(ValueError, match="increasing grid"):
        heun_on_grid(lambda y, t: y, torch.zeros(3, 2), torch.tensor([0.5]))
