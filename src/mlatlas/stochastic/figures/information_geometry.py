"""Figures for the information-geometry chapter: Fisher–Rao balls and plain vs natural gradient paths."""

from __future__ import annotations

import numpy as np
import torch

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.stochastic.information_geometry import fisher_rao_distance, fit_gaussian, mean_nll

F64 = torch.float64


def fisher_rao_balls():
    """Balls of Fisher–Rao radius 0.5 drawn in the (mu, sigma) plane: equal in distribution space."""
    mu = torch.linspace(-3.2, 3.2, 321, dtype=F64)
    sigma = torch.linspace(0.05, 3.0, 296, dtype=F64)
    M, S = torch.meshgrid(mu, sigma, indexing="xy")  # (296, 321)
    grid = torch.stack([M, S], dim=-1)  # (296, 321, 2)
    fig, ax = new_figure(width=6.4, height=3.6)
    centres = [(-2.0, 0.3), (0.0, 0.3), (2.0, 0.3), (-1.5, 1.0), (1.5, 1.0), (0.0, 2.0)]
    for i, (m0, s0) in enumerate(centres):
        d = fisher_rao_distance(grid, torch.tensor([m0, s0], dtype=F64))  # (296, 321)
        ax.contour(M.numpy(), S.numpy(), d.numpy(), levels=[0.5], colors=[PALETTE[i]], linewidths=1.5)
        ax.plot([m0], [s0], "o", ms=3, color=PALETTE[i])
    ax.set_xlabel(r"mean $\mu$")
    ax.set_ylabel(r"standard deviation $\sigma$")
    ax.set_aspect("equal")
    ax.set_ylim(0, 3.0)
    ax.set_title("All Gaussians within Fisher–Rao distance 0.5 of each dot", fontsize=9)
    return fig


def _page_fit():
    gen = torch.Generator().manual_seed(1)
    x = 3.0 + 0.5 * torch.randn(200, generator=gen, dtype=F64)  # data: N(3, 0.5^2)
    start = torch.tensor([0.0, 2.0], dtype=F64)
    plain = fit_gaussian(x, start, lr=0.2, n_steps=80, natural=False)
    natural = fit_gaussian(x, start, lr=1.0, n_steps=12, natural=True)
    flow = fit_gaussian(x, start, lr=0.1, n_steps=80, natural=True)
    return x, plain, natural, flow


def gradient_paths():
    """Fitting N(mu, sigma^2) by plain gradient descent and by natural gradient descent."""
    x, plain, natural, flow = _page_fit()
    mu = torch.linspace(-0.3, 3.6, 200, dtype=F64)
    sigma = torch.linspace(0.3, 3.6, 200, dtype=F64)
    M, S = torch.meshgrid(mu, sigma, indexing="xy")
    # mean NLL on the grid, from the sample moments: log sigma + (s^2 + (m - mu)^2) / (2 sigma^2) + c
    m, v = x.mean(), x.var(unbiased=False)
    L = torch.log(S) + (v + (m - M) ** 2) / (2 * S**2) + 0.5 * np.log(2 * np.pi)
    best = mean_nll(x, natural.thetas[-1]).item()
    fig, (ax1, ax2) = new_figure(1, 2, width=7.6, height=3.4)
    ax1.contour(
        M.numpy(),
        S.numpy(),
        (L - best).numpy(),
        levels=np.geomspace(0.01, 5, 12),
        colors=PALETTE[7],
        linewidths=0.6,
        alpha=0.7,
    )
    paths = [
        (plain, PALETTE[1], "plain gradient, lr 0.2"),
        (flow, PALETTE[2], "natural gradient, lr 0.1"),
        (natural, PALETTE[0], "natural gradient, lr 1"),
    ]
    for path, color, label in paths:
        th = path.thetas.numpy()
        ax1.plot(th[:, 0], th[:, 1], ".-", color=color, ms=3, lw=1, label=label)
    ax1.plot(*natural.thetas[-1].numpy(), "*", color=PALETTE[3], ms=10)
    ax1.set_xlabel(r"$\mu$")
    ax1.set_ylabel(r"$\sigma$")
    ax1.legend(fontsize=7, loc="upper left")
    for path, color, label in paths:
        gap = (path.losses - best).clamp_min(1e-17).numpy()
        ax2.semilogy(np.arange(gap.size), gap, color=color, label=label)
    ax2.set_xlabel("step")
    ax2.set_ylabel("loss above the optimum")
    ax2.set_ylim(1e-16, 10)
    return fig
