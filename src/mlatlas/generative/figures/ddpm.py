"""Figures and quoted numbers for the ddpm chapter (one tiny seeded model, trained in seconds)."""

from __future__ import annotations

from functools import lru_cache

import torch

from mlatlas.generative.ddpm import add_noise, ddpm_step, eps_model_from_network, sample_ddim, train_ddpm
from mlatlas.generative.distances import quality
from mlatlas.generative.toy_data import two_moons
from mlatlas.plotting import PALETTE, new_figure

SHOWN_STEPS = (0, 99, 299, 999)  # x_t after 1, 100, 300 and 1000 noising steps
N_SHOWN = 1000


@lru_cache(maxsize=1)
def tiny_model():
    """A 64-wide DDPM trained 800 steps on two moons: (data, held_out, model, schedule, g_state), with
    g_state the data generator's state after drawing both sets. The connection chapter samples the
    same model; its figures import this, so the build trains it once for both pages."""
    torch.manual_seed(0)  # network initialisation
    g = torch.Generator().manual_seed(0)
    data, held_out = two_moons(2000, g), two_moons(N_SHOWN, g)
    model, schedule = train_ddpm(
        data, steps=800, generator=torch.Generator().manual_seed(1), hidden=64, lr=1e-2, batch_size=512
    )
    return data, held_out, model, schedule, g.get_state()


@lru_cache(maxsize=1)
def tiny_run():
    """The tiny model's forward snapshots, one ancestral run's snapshots, and a 50-step DDIM sample."""
    data, held_out, model, schedule, g_state = tiny_model()
    g = torch.Generator()
    g.set_state(g_state)
    eps_model = eps_model_from_network(model, schedule)
    x0 = data[:N_SHOWN]
    forward = {
        t: add_noise(schedule, x0, torch.randn(x0.shape, generator=g), torch.full((N_SHOWN,), t))
        for t in SHOWN_STEPS
    }
    reverse = {}
    with torch.no_grad():
        x = torch.randn(N_SHOWN, 2, generator=g)
        for t in range(schedule.num_steps - 1, -1, -1):
            if t in SHOWN_STEPS[1:]:
                reverse[t] = x.clone()  # the sample as it enters step t, i.e. x_t
            z = torch.randn(N_SHOWN, 2, generator=g) if t > 0 else None
            x = ddpm_step(schedule, eps_model(x, torch.full((N_SHOWN,), t)), t, x, z)
        reverse[0] = x  # the finished sample
    ddim = sample_ddim(eps_model, schedule, (N_SHOWN, 2), 50, torch.Generator().manual_seed(2))
    return data, held_out, forward, reverse, ddim


def sample_quality() -> dict[str, float]:
    """Energy distances to held-out moons: the tiny model (ancestral and 50-step DDIM) and a Gaussian."""
    data, held_out, _, reverse, ddim = tiny_run()
    g = torch.Generator().manual_seed(3)
    ancestral = quality(reverse[0], data, held_out, g, held_out_2=data[-N_SHOWN:])
    return {
        "ancestral": ancestral.model,
        "ddim": quality(ddim, data, held_out, g).model,
        "gaussian": ancestral.gaussian,
        "floor": ancestral.floor,
    }


def forward_and_reverse():
    """Top: two moons noised by q(x_t | x_0). Bottom: a tiny trained DDPM's samples at the same steps."""
    _, _, forward, reverse, _ = tiny_run()
    fig, axes = new_figure(2, 4, width=8.0, height=4.6, sharex=True, sharey=True)
    for col, t in enumerate(SHOWN_STEPS):
        for row, (points, colour) in enumerate([(forward[t], PALETTE[0]), (reverse[t], PALETTE[1])]):
            ax = axes[row, col]
            ax.scatter(
                points[:, 0], points[:, 1], s=3, color=colour, alpha=0.6, linewidths=0, rasterized=True
            )
            ax.set_xlim(-3.2, 3.2)
            ax.set_ylim(-3.2, 3.2)
            ax.set_aspect("equal")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[0, col].set_title(f"t = {t + 1}")
    axes[0, 0].set_ylabel("noising q")
    axes[1, 0].set_ylabel("sampling p")
    return fig


def schedule_numbers() -> dict[str, float]:
    """ᾱ at the last step of the linear schedule, and how much of x_0 is left in x_T (√ᾱ_T)."""
    from mlatlas.generative.ddpm import linear_schedule

    alpha_bar = linear_schedule(dtype=torch.float64).alpha_bar
    return {
        "alpha_bar_T": float(alpha_bar[-1]),
        "signal_T": float(alpha_bar[-1].sqrt()),
        "signal_mid": float(alpha_bar[499].sqrt()),
    }
