"""Figures for the mcmc chapter."""

from __future__ import annotations

import numpy as np

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.probabilistic.mcmc import kinetic_energy, leapfrog, metropolis_hastings, nuts, random_walk
from mlatlas.probabilistic.targets import banana_target, correlated_gaussian_target

COV = np.array([[1.0, 0.95], [0.95, 1.0]])


def samplers_and_energy_error():
    """Top: 150 consecutive draws of random-walk Metropolis and of NUTS on a correlated Gaussian.
    Bottom: the leapfrog energy error against step size (slope 2 on log-log axes)."""
    target = correlated_gaussian_target(COV)
    rng = np.random.default_rng(0)
    mh = metropolis_hastings(lambda q: target(q)[0], np.array([-2.0, -2.0]), 150, random_walk(0.3), rng)
    res = nuts(target, np.array([-2.0, -2.0]), 200, 150, rng, num_chains=1)
    fig, (top, bottom) = new_figure(2, 1, width=6.4, height=7.0)
    t = np.linspace(0, 2 * np.pi, 200)
    ellipse = np.linalg.cholesky(COV) @ np.stack([np.cos(t), np.sin(t)])
    for k in (1, 2):
        top.plot(k * ellipse[0], k * ellipse[1], color=PALETTE[7], lw=0.8)
    top.plot(
        mh.samples[:, 0],
        mh.samples[:, 1],
        "-o",
        ms=2.5,
        lw=0.7,
        color=PALETTE[1],
        label=f"random-walk MH (accept {mh.accept_rate:.0%})",
    )
    top.plot(
        res.draws[0, :, 0],
        res.draws[0, :, 1],
        "-o",
        ms=2.5,
        lw=0.7,
        color=PALETTE[0],
        alpha=0.8,
        label=f"NUTS ({res.n_steps.mean():.1f} gradients per draw)",
    )
    top.set_aspect("equal")
    top.set_title("150 draws each from N(0, Σ), correlation 0.95")
    top.legend(loc="upper left", fontsize=8)

    banana = banana_target()
    q0, p0 = np.array([1.0, 0.5]), np.array([0.3, -0.8])
    logp0, g0 = banana(q0)
    h0 = -logp0 + kinetic_energy(p0, np.ones(2))
    steps = np.logspace(-2.5, -0.5, 12)
    errors = []
    for eps in steps:
        _, p, logp, _ = leapfrog(q0, p0, g0, banana, eps, int(round(1.0 / eps)), np.ones(2))
        errors.append(abs(-logp + kinetic_energy(p, np.ones(2)) - h0))
    bottom.loglog(steps, errors, "o-", color=PALETTE[0], label="|H(end) − H(start)| after time 1")
    bottom.loglog(steps, errors[0] * (steps / steps[0]) ** 2, "--", color=PALETTE[7], lw=1, label="slope 2")
    bottom.set_xlabel("leapfrog step size ε")
    bottom.set_ylabel("energy error")
    bottom.set_title("leapfrog on the banana: energy error ∝ ε²")
    bottom.legend(loc="upper left", fontsize=8)
    return fig
