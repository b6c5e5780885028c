"""Figure and quoted numbers for the diffusion-and-flow-matching-connection chapter."""

from __future__ import annotations

from functools import lru_cache

import torch

from mlatlas.generative.conversions import (
    denoised_from_velocity,
    eps_from_velocity,
    eps_model_of_ddpm,
    heun_on_grid,
    linear_time,
    mixture_eps,
    velocity_from_eps_model,
    vp_to_linear,
)
from mlatlas.generative.ddpm import eps_model_from_network, sample_ddim, sample_ddpm
from mlatlas.generative.distances import quality
from mlatlas.generative.figures.ddpm import tiny_model
from mlatlas.generative.toy_data import eight_gaussians
from mlatlas.plotting import PALETTE, new_figure

T_SHOWN = 0.5  # the linear-path time of the top panel
N_SHOWN = 1000
HEUN_STEPS = 25
N_PATHS = 25  # paths drawn in the bottom panel


@lru_cache(maxsize=1)
def tiny_run():
    """The DDPM chapter's tiny ε-model (64 wide, 800 steps on two moons), sampled as a velocity field
    (Heun)."""
    data, held_out, model, schedule, _ = tiny_model()
    t_start = float(linear_time(schedule.alpha_bar[-1].double()))
    times = torch.linspace(t_start, 1.0, HEUN_STEPS + 1, dtype=torch.float64)
    z = torch.randn(N_SHOWN, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    velocity = velocity_from_eps_model(eps_model_of_ddpm(model, schedule))
    y, path = vp_to_linear(z, schedule.alpha_bar[-1]), []
    for k in range(HEUN_STEPS):  # one Heun step at a time, to keep the path for the figure
        path.append(y)
        y = heun_on_grid(velocity, y, times[k : k + 2])
    path.append(y)
    return data, held_out, model, schedule, torch.stack(path).float()  # path: (S + 1, B, F)


def sampler_quality() -> dict[str, float]:
    """Energy distances to held-out moons of one ε-model sampled three ways, beside a fitted Gaussian."""
    data, held_out, model, schedule, path = tiny_run()
    eps_model = eps_model_from_network(model, schedule)
    g = torch.Generator().manual_seed(3)
    ancestral = sample_ddpm(eps_model, schedule, (N_SHOWN, 2), torch.Generator().manual_seed(4))
    ddim = sample_ddim(eps_model, schedule, (N_SHOWN, 2), 50, torch.Generator().manual_seed(4))
    flow = quality(path[-1], data, held_out, g, held_out_2=data[-N_SHOWN:])
    return {
        "velocity": flow.model,
        "ancestral": quality(ancestral, data, held_out, g).model,
        "ddim": quality(ddim, data, held_out, g).model,
        "gaussian": flow.gaussian,
        "floor": flow.floor,
        "heun_steps": HEUN_STEPS,
    }


def three_views():
    """Top: at t = 0.5 each noisy point sits on the segment from its predicted noise ε̂ to its predicted
    data x̂, a fraction t along it; the velocity is the segment x̂ - ε̂ (exact, eight Gaussians).
    Bottom: a DDPM ε-model read as a velocity field carries noise to two moons."""
    mixture = eight_gaussians(dtype=torch.float64)
    g = torch.Generator().manual_seed(5)
    y = mixture.scaled_and_noised(T_SHOWN, 1 - T_SHOWN).sample(14, g)  # points of the linear path at t
    t = torch.full((y.shape[0],), T_SHOWN, dtype=torch.float64)
    v = velocity_from_eps_model(mixture_eps(mixture))(y, t)
    x_hat, eps_hat = denoised_from_velocity(y, v, T_SHOWN), eps_from_velocity(y, v, T_SHOWN)
    fig, (top, bottom) = new_figure(2, 1, width=4.6, height=9.2)
    cloud = mixture.scaled_and_noised(T_SHOWN, 1 - T_SHOWN).sample(1500, g)
    top.scatter(cloud[:, 0], cloud[:, 1], s=2, color=PALETTE[7], alpha=0.3, linewidths=0, rasterized=True)
    for i in range(y.shape[0]):
        top.plot([eps_hat[i, 0], x_hat[i, 0]], [eps_hat[i, 1], x_hat[i, 1]], color=PALETTE[7], lw=1)
    top.scatter(eps_hat[:, 0], eps_hat[:, 1], s=22, color=PALETTE[1], label="predicted noise ε̂", zorder=3)
    top.scatter(y[:, 0], y[:, 1], s=22, color=PALETTE[0], label=f"noisy point at t = {T_SHOWN}", zorder=3)
    top.scatter(x_hat[:, 0], x_hat[:, 1], s=22, color=PALETTE[2], label="predicted data x̂", zorder=3)
    top.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=1, fontsize=9, frameon=False)
    data, _, _, _, path = tiny_run()
    shown = data[:N_SHOWN]
    bottom.scatter(shown[:, 0], shown[:, 1], s=3, color=PALETTE[7], alpha=0.4, linewidths=0, rasterized=True)
    for i in range(N_PATHS):
        bottom.plot(path[:, i, 0], path[:, i, 1], color=PALETTE[0], lw=0.8, alpha=0.6)
    bottom.scatter(
        path[0, :N_PATHS, 0], path[0, :N_PATHS, 1], s=10, color=PALETTE[1], label="noise", zorder=3
    )
    bottom.scatter(
        path[-1, :, 0],
        path[-1, :, 1],
        s=3,
        color=PALETTE[2],
        linewidths=0,
        alpha=0.8,
        label="DDPM ε-model, as a velocity",
        rasterized=True,
    )
    bottom.legend(
        loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=1, fontsize=9, markerscale=2, frameon=False
    )
    for ax in (top, bottom):
        ax.set_aspect("equal")
    return fig


def path_numbers() -> dict[str, float]:
    """Where DDPM's 1,000 steps sit on the straight line: t at the noisiest and the cleanest step."""
    from mlatlas.generative.ddpm import linear_schedule

    schedule = linear_schedule(dtype=torch.float64)
    return {
        "t_noisiest": float(linear_time(schedule.alpha_bar[-1])),
        "t_cleanest": float(linear_time(schedule.alpha_bar[0])),
        "t_half": float(linear_time(schedule.alpha_bar[499])),
    }
