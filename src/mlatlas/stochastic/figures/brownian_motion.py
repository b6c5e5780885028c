"""Figures for the brownian-motion chapter (seeded, drawn at build time)."""

from __future__ import annotations

import numpy as np

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.stochastic.brownian_motion import (
    brownian_motion,
    euler_maruyama,
    quadratic_variation,
    scaled_random_walk,
)


def sample_paths():
    """Left: 30 Brownian paths with the ±2 sqrt(t) band. Right: W_1 over 5 000 paths vs N(0, 1)."""
    fig, (ax, hist) = new_figure(1, 2, width=7.2, height=3.2, gridspec_kw={"width_ratios": [2, 1]})
    paths = brownian_motion(np.random.default_rng(0), 5000, 250, t_max=1.0)
    for p in range(30):
        ax.plot(paths.t, paths.x[p], lw=0.8, alpha=0.6, color=PALETTE[p % 5])
    band = 2 * np.sqrt(paths.t)
    ax.plot(paths.t, band, color=PALETTE[3], lw=1.6, ls="--", label=r"$\pm 2\sqrt{t}$")
    ax.plot(paths.t, -band, color=PALETTE[3], lw=1.6, ls="--")
    ax.set(xlabel="t", ylabel=r"$W_t$", title="30 sample paths")
    ax.legend(loc="upper left")
    end = paths.x[:, -1]
    hist.hist(end, bins=40, density=True, orientation="horizontal", color=PALETTE[0], alpha=0.6)
    grid = np.linspace(-4, 4, 200)
    hist.plot(np.exp(-(grid**2) / 2) / np.sqrt(2 * np.pi), grid, color=PALETTE[1], label="N(0, 1)")
    hist.set(xlabel="density", title=r"$W_1$, 5 000 paths", ylim=ax.get_ylim())
    hist.legend(loc="upper right")
    return fig


def random_walk_limit():
    """Three scaled random walks: more, smaller steps look rougher but stay O(1) in size."""
    fig, ax = new_figure(width=6.4, height=3.0)
    for color, steps in zip(PALETTE, (10, 100, 10_000)):
        walk = scaled_random_walk(np.random.default_rng(steps), 1, steps, t_max=1.0)
        ax.step(walk.t, walk.x[0], where="post", lw=1.0, color=color, label=f"{steps} steps of ±1/√{steps}")
    ax.set(xlabel="t", ylabel="position", title="Scaled random walks: steps ±√dt")
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.45 * (high - low))
    ax.legend(loc="upper center", ncols=3, fontsize=8)
    return fig


def quadratic_variation_convergence():
    """Left: [W]_t on one path at several step counts vs the line t. Right: |[W]_1 - 1| shrinks like
    S^(-1/2), while a smooth path's quadratic variation shrinks like 1/S."""
    fig, (ax, err) = new_figure(1, 2, width=7.2, height=3.2)
    fine = brownian_motion(np.random.default_rng(1), 1, 2**16, t_max=1.0)
    counts = 2 ** np.arange(4, 15, 2)
    for color, steps in zip(PALETTE, (16, 256, 2**16)):
        stride = 2**16 // steps
        w = fine.w[0, ::stride]  # the same path seen on a coarser grid
        ax.plot(fine.t[::stride], quadratic_variation(w), color=color, lw=1.2, label=f"S = {steps}")
    ax.plot([0, 1], [0, 1], color=PALETTE[7], ls="--", label="t")
    ax.set(xlabel="t", ylabel=r"$[W]_t=\sum (\Delta W)^2$", title="Quadratic variation of one path")
    ax.legend(loc="upper left")
    many = brownian_motion(np.random.default_rng(2), 100, 2**14, t_max=1.0).w
    gaps = [np.mean(np.abs(quadratic_variation(many[:, :: 2**14 // s])[:, -1] - 1.0)) for s in counts]
    smooth = [quadratic_variation(np.sin(3 * np.linspace(0, 1, s + 1)))[-1] for s in counts]
    err.loglog(counts, gaps, "o-", color=PALETTE[0], label=r"Brownian: $E|[W]_1 - 1|$")
    err.loglog(counts, np.sqrt(4 / np.pi) / np.sqrt(counts), ls="--", color=PALETTE[0], alpha=0.6,
               label=r"$\sqrt{4/(\pi S)}$")
    err.loglog(counts, smooth, "s-", color=PALETTE[1], label=r"smooth $\sin 3t$: $[f]_1$")
    err.set(xlabel="steps S", title="Roughness does not go away")
    err.legend(loc="lower left", fontsize=8)
    return fig


def ito_correction():
    """GBM: Euler–Maruyama and the exact solution on the same noise, and the 'chain rule' curve
    S_0 exp(μt + σW) without the -σ²/2 term, which drifts away."""
    mu, sigma, s0 = 0.1, 0.6, 1.0
    fig, (ax, mean_ax) = new_figure(1, 2, width=7.2, height=3.2)
    rng = np.random.default_rng(3)
    em = euler_maruyama(lambda x, t: mu * x, lambda x, t: sigma * x, s0, rng, 4000, 500, t_max=2.0)
    exact = s0 * np.exp((mu - sigma**2 / 2) * em.t + sigma * em.w)  # Itô's lemma
    naive = s0 * np.exp(mu * em.t + sigma * em.w)  # ordinary calculus
    ax.plot(em.t, em.x[0], color=PALETTE[0], lw=1.4, label="Euler–Maruyama")
    ax.plot(em.t, exact[0], color=PALETTE[2], lw=1.0, ls="--", label=r"exact, with $-\sigma^2/2$")
    ax.plot(em.t, naive[0], color=PALETTE[3], lw=1.0, label=r"without $-\sigma^2/2$")
    ax.set(xlabel="t", ylabel=r"$S_t$", title="One path, three answers")
    ax.legend(loc="upper left", fontsize=8)
    mean_ax.plot(em.t, em.x.mean(axis=0), color=PALETTE[0], label="EM sample mean (4 000 paths)")
    mean_ax.plot(em.t, s0 * np.exp(mu * em.t), color=PALETTE[2], ls="--", label=r"$S_0 e^{\mu t}$")
    mean_ax.plot(em.t, naive.mean(axis=0), color=PALETTE[3], label="mean without correction")
    mean_ax.set(xlabel="t", title="Means")
    mean_ax.legend(loc="upper left", fontsize=8)
    return fig
