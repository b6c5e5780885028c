"""Figures for the nonlinear-dynamics chapter: cobwebs, bifurcation diagram with Lyapunov exponent, Lorenz."""

from __future__ import annotations

import numpy as np

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.stochastic.nonlinear_dynamics import (
    integrate_rk4,
    logistic_attractor,
    logistic_lyapunov,
    logistic_orbit,
    lorenz_rhs,
    lorenz_trajectory,
)

R_INF = 3.5699456  # accumulation point of the period-doubling cascade (Feigenbaum 1978)
LORENZ_LAMBDA = 0.9056


def lyapunov_at_four() -> float:
    """lambda(4) from 1e5 iterates started at 0.3, as the tests check against ln 2 (the page quotes it)."""
    return float(logistic_lyapunov(4.0, x0=0.3, n=100_000)[0])


def cobwebs():
    """Cobweb plots of x -> r x (1 - x) at r = 2.8 (fixed point), 3.3 (2-cycle) and 3.9 (chaos)."""
    fig, axes = new_figure(1, 3, width=7.4, height=2.7, sharey=True)
    grid = np.linspace(0, 1, 200)
    for ax, r, title in zip(axes, (2.8, 3.3, 3.9), ("fixed point", "period 2", "chaos")):
        orbit = logistic_orbit(r, 0.1, 60)
        ax.plot(grid, r * grid * (1 - grid), color=PALETTE[0])
        ax.plot([0, 1], [0, 1], color=PALETTE[7], lw=1)
        # the staircase: (x_t, x_t) -> (x_t, x_{t+1}) -> (x_{t+1}, x_{t+1})
        steps = np.repeat(orbit, 2)  # x0 x0 x1 x1 x2 x2 ...
        ax.plot(steps[:-1], steps[1:], color=PALETTE[1], lw=0.8)
        ax.set_title(f"r = {r}: {title}", fontsize=9)
        ax.set_xlabel("$x_t$")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("$x_{t+1}$")
    return fig


def bifurcation_and_lyapunov():
    """Bifurcation diagram of the logistic map over r in [2.8, 4] and its Lyapunov exponent below."""
    r = np.linspace(2.8, 4.0, 1200)
    pts = logistic_attractor(r, n_transient=600, n_keep=120)  # (R, 120)
    lam = logistic_lyapunov(r, n_transient=600, n=3000)  # (R,)
    fig, (ax1, ax2) = new_figure(2, 1, width=7.0, height=5.0, sharex=True, height_ratios=[3, 2])
    ax1.plot(np.repeat(r, pts.shape[1]), pts.ravel(), ",", color=PALETTE[0], alpha=0.5, rasterized=True)
    ax1.set_ylabel("long-run $x$")
    ax1.axvline(R_INF, color=PALETTE[3], lw=0.8, ls="--")
    ax1.text(R_INF - 0.01, 0.02, r"$r_\infty \approx 3.5699$", ha="right", fontsize=8, color=PALETTE[3])
    lam = np.maximum(lam, -2.0)  # superstable points go to -inf; clip for display
    ax2.plot(r, lam, color=PALETTE[1], lw=0.8)
    ax2.fill_between(r, 0, lam, where=lam > 0, color=PALETTE[3], alpha=0.3, lw=0)
    ax2.axhline(0, color=PALETTE[7], lw=0.8)
    ax2.axhline(np.log(2), color=PALETTE[2], lw=0.8, ls=":")
    ax2.text(2.82, np.log(2) + 0.05, r"$\ln 2$", fontsize=8, color=PALETTE[2])
    ax2.axvline(R_INF, color=PALETTE[3], lw=0.8, ls="--")
    ax2.set_ylabel(r"Lyapunov exponent $\lambda$")
    ax2.set_xlabel("$r$")
    ax2.set_ylim(-2.0, 1.0)
    return fig


def lorenz_butterfly():
    """The Lorenz attractor (x–z projection) and the separation of two trajectories started 1e-9 apart."""
    dt, n = 0.01, 4000
    traj = lorenz_trajectory((1.0, 1.0, 1.0), dt=dt, n_steps=n)
    start = traj.y[1000]  # already on the attractor
    a = integrate_rk4(lorenz_rhs, start, dt, 3000)
    b = integrate_rk4(lorenz_rhs, start + np.array([1e-9, 0, 0]), dt, 3000)
    sep = np.linalg.norm(a.y - b.y, axis=1)
    fig, (ax1, ax2) = new_figure(1, 2, width=7.6, height=3.2)
    ax1.plot(traj.y[200:, 0], traj.y[200:, 2], color=PALETTE[0], lw=0.4, rasterized=True)
    ax1.set_xlabel("$x$")
    ax1.set_ylabel("$z$")
    ax1.set_title("Lorenz attractor (RK4, dt = 0.01)", fontsize=9)
    ax2.semilogy(a.t, sep, color=PALETTE[1], lw=1)
    ax2.semilogy(
        a.t,
        1e-9 * np.exp(LORENZ_LAMBDA * a.t),
        color=PALETTE[7],
        lw=1,
        ls="--",
        label=r"$10^{-9} e^{0.906\,t}$",
    )
    ax2.set_xlabel("time")
    ax2.set_ylabel("distance between the two runs")
    ax2.set_title("Two starts 1e-9 apart", fontsize=9)
    ax2.legend(fontsize=8, loc="lower right")
    return fig
