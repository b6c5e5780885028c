"""Figure and quoted numbers for the normalizing-flows chapter: a tiny RealNVP on two moons, its exact
density, and how it bends the Gaussian's coordinate grid onto the data."""

from __future__ import annotations

from functools import lru_cache

import torch

from mlatlas.generative.distances import quality
from mlatlas.generative.normalizing_flows import gaussian_log_prob, train_flow
from mlatlas.generative.toy_data import two_moons
from mlatlas.plotting import PALETTE, new_figure

STEPS = 300  # training steps of each tiny flow (the figure must draw in under 5 s cold)
LAYERS, HIDDEN = 6, 64
N_HELD_OUT = 1000


@lru_cache(maxsize=2)
def tiny_flow(kind: str = "realnvp"):
    """A 6-layer, 64-wide flow fitted to 2,000 points of two moons for 300 steps (seeded)."""
    data = two_moons(2000, torch.Generator().manual_seed(0))
    torch.manual_seed(0)  # network initialisation
    model = train_flow(
        data, STEPS, torch.Generator().manual_seed(1), kind=kind, layers=LAYERS, hidden=HIDDEN, lr=7e-3
    )
    return data, model


def flow_numbers() -> dict[str, float]:
    """Held-out log-likelihood (nats per point) and energy distance to held-out moons of the tiny
    RealNVP and MAF, beside a fitted Gaussian's, and the floor between two held-out samples."""
    g = torch.Generator().manual_seed(10)
    held_out, held_out_2 = two_moons(N_HELD_OUT, g), two_moons(N_HELD_OUT, g)
    result: dict[str, float] = {"steps": STEPS, "layers": LAYERS, "hidden": HIDDEN}
    for kind in ("realnvp", "maf"):
        data, model = tiny_flow(kind)
        with torch.no_grad():
            result[f"{kind}_loglik"] = float(model.log_prob(held_out).mean())
        samples = model.sample(N_HELD_OUT, torch.Generator().manual_seed(11))
        q = quality(samples, data, held_out, torch.Generator().manual_seed(12), held_out_2)
        result[f"{kind}_energy"] = q.model
    result["gaussian_energy"], result["floor"] = q.gaussian, q.floor
    result["gaussian_loglik"] = float(gaussian_log_prob(data, held_out).mean())
    return result


def density_and_grid():
    """Top: the tiny RealNVP's density p(x) with its samples. Bottom: the lines of a square grid in
    z-space, pushed through f⁻¹ into data space."""
    data, model = tiny_flow("realnvp")
    fig, axes = new_figure(
        2, 1, width=4.6, height=8.6, sharex=True, sharey=True
    )  # stacked: legible on a phone
    lim, n = 3.0, 160
    c = torch.linspace(-lim, lim, n)
    xx, yy = torch.meshgrid(c, c, indexing="xy")
    with torch.no_grad():
        density = model.log_prob(torch.stack([xx.ravel(), yy.ravel()], 1)).exp().reshape(n, n)
    axes[0].imshow(
        density.numpy(),
        extent=(-lim, lim, -lim, lim),
        origin="lower",
        cmap="viridis",
        interpolation="bilinear",
    )
    samples = model.sample(300, torch.Generator().manual_seed(5))
    axes[0].scatter(samples[:, 0], samples[:, 1], s=3, color="white", alpha=0.8, linewidths=0)
    axes[0].set_title("density $p_X(x)$, samples (white)")

    axes[1].scatter(data[:800, 0], data[:800, 1], s=2, color=PALETTE[7], alpha=0.35, linewidths=0)
    levels = torch.linspace(-2.0, 2.0, 9)  # grid lines z_1 = const and z_2 = const
    along = torch.linspace(-2.5, 2.5, 200)
    with torch.no_grad():
        for level in levels:
            for column, colour in ((0, PALETTE[0]), (1, PALETTE[1])):
                z = torch.empty(200, 2)
                z[:, column], z[:, 1 - column] = level, along
                x = model.inverse(z)
                axes[1].plot(x[:, 0], x[:, 1], color=colour, lw=0.8, alpha=0.85)
    axes[1].set_title("grid of $z$ mapped by $f^{-1}$")
    for ax in axes:
        ax.set_aspect("equal")
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
    return fig
