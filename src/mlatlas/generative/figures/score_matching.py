"""Figure and quoted numbers for the score-matching chapter (one small seeded model, trained in seconds)."""

from __future__ import annotations

from functools import lru_cache

import torch

from mlatlas.generative.distances import quality
from mlatlas.generative.score_matching import annealed_langevin, relative_score_error, score_of, train_score
from mlatlas.generative.toy_data import eight_gaussians
from mlatlas.plotting import PALETTE, new_figure

STEPS = 800
ARROW_SIGMA = 0.3  # the noise level whose learned score the arrows show
N_SHOWN = 1000


@lru_cache(maxsize=1)
def tiny_score_model():
    """A 64-wide score network trained for 800 steps on eight Gaussians; 1,000 samples by Algorithm 1
    with T = 50 steps per level (half the paper's, to keep the figure fast)."""
    mixture = eight_gaussians(dtype=torch.float32)
    g = torch.Generator().manual_seed(0)
    data, held_out = mixture.sample(4000, g), mixture.sample(N_SHOWN, g)
    torch.manual_seed(0)  # network initialisation
    model, sigmas = train_score(
        data, STEPS, torch.Generator().manual_seed(1), hidden=64, lr=1e-2, batch_size=512
    )
    x0 = sigmas[0] * torch.randn(N_SHOWN, 2, generator=g)
    samples = annealed_langevin(score_of(model, sigmas), sigmas, x0, g, steps_per_level=50)
    return mixture, data, held_out, model, sigmas, samples


def langevin_quality() -> dict[str, float]:
    """Energy distance of the Langevin samples to held-out data, beside a fitted Gaussian and the floor,
    and the relative score error at the largest, the arrows' and the smallest noise level."""
    mixture, data, held_out, model, sigmas, samples = tiny_score_model()
    q = quality(samples, data, held_out, torch.Generator().manual_seed(2), held_out_2=data[:N_SHOWN])
    score, g = score_of(model, sigmas), torch.Generator().manual_seed(3)
    return {
        "model": q.model,
        "gaussian": q.gaussian,
        "floor": q.floor,
        "steps": STEPS,
        "error_max": relative_score_error(score, mixture, float(sigmas[0]), 2000, g),
        "error_arrows": relative_score_error(score, mixture, ARROW_SIGMA, 2000, g),
        "error_min": relative_score_error(score, mixture, float(sigmas[-1]), 2000, g),
        "sigma_max": float(sigmas[0]),
        "sigma_min": float(sigmas[-1]),
    }


def score_field_and_samples():
    """Top: learned score directions at σ = 0.3 against the exact ones. Bottom: annealed Langevin samples."""
    mixture, data, _, model, sigmas, samples = tiny_score_model()
    grid = torch.linspace(-3.0, 3.0, 13)
    gx, gy = torch.meshgrid(grid, grid, indexing="xy")
    points = torch.stack([gx.ravel(), gy.ravel()], dim=1)  # (169, 2)
    with torch.no_grad():
        learned = score_of(model, sigmas)(points, torch.full((points.shape[0],), ARROW_SIGMA))
    exact = mixture.scaled_and_noised(1.0, ARROW_SIGMA).score(points)
    fig, (top, bottom) = new_figure(2, 1, width=4.6, height=9.0, sharex=True)
    shown = data[:N_SHOWN]
    top.scatter(shown[:, 0], shown[:, 1], s=2, color=PALETTE[7], alpha=0.4, linewidths=0, rasterized=True)
    for field, colour, label in [(exact, PALETTE[1], "exact score"), (learned, PALETTE[0], "learned score")]:
        unit = field / field.norm(dim=1, keepdim=True).clamp_min(1e-6)  # directions only
        top.quiver(
            points[:, 0],
            points[:, 1],
            unit[:, 0],
            unit[:, 1],
            color=colour,
            scale=20,
            width=0.006,
            alpha=0.85,
            label=label,
        )
    top.legend(
        title=f"score directions at σ = {ARROW_SIGMA}",
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=2,
        fontsize=9,
        frameon=False,
    )
    bottom.scatter(
        shown[:, 0],
        shown[:, 1],
        s=3,
        color=PALETTE[7],
        alpha=0.4,
        linewidths=0,
        label="data",
        rasterized=True,
    )
    bottom.scatter(
        samples[:, 0],
        samples[:, 1],
        s=3,
        color=PALETTE[2],
        alpha=0.7,
        linewidths=0,
        label="annealed Langevin",
        rasterized=True,
    )
    bottom.legend(
        title="samples",
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=2,
        fontsize=9,
        markerscale=3,
        frameon=False,
    )
    for ax in (top, bottom):
        ax.set_aspect("equal")
        ax.set_xlim(-3.3, 3.3)
        ax.set_ylim(-3.3, 3.3)
    return fig
