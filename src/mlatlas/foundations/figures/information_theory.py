"""Figures for the information-theory chapter."""

from __future__ import annotations

import numpy as np

from mlatlas.foundations import information_theory as it
from mlatlas.plotting import PALETTE, new_figure


def entropy_and_channel():
    """Left: binary entropy and the two directions of KL to Bernoulli(0.25). Right: mutual information of
    a binary symmetric channel against its flip probability, exact and estimated from samples."""
    fig, (ax_h, ax_mi) = new_figure(1, 2, width=8.0, height=3.4)
    p = np.linspace(0.0, 1.0, 401)
    ax_h.plot(p, it.binary_entropy(p), color=PALETTE[0], label="entropy $H_b(p)$")
    q0 = 0.25
    fwd = [it.kl_divergence([1 - v, v], [1 - q0, q0], base=2) for v in p]
    inner = p[1:-1]  # KL(q || p) is infinite at p = 0 and p = 1
    rev = [it.kl_divergence([1 - q0, q0], [1 - v, v], base=2) for v in inner]
    ax_h.plot(p, fwd, color=PALETTE[1], label="KL(Bern(p) ‖ Bern(0.25))")
    ax_h.plot(inner, rev, color=PALETTE[2], linestyle="--", label="KL(Bern(0.25) ‖ Bern(p))")
    ax_h.set(xlabel="p", ylabel="bits", ylim=(0, 2.0), title="entropy and the two directions of KL")
    ax_h.legend(fontsize=7, loc="upper center")

    flips = np.linspace(0.0, 0.5, 101)
    exact = [it.mutual_information(it.binary_symmetric_channel(f), base=2) for f in flips]
    ax_mi.plot(flips, exact, color=PALETTE[0], label="exact: $1 - H_b(\\mathrm{flip})$")
    rng = np.random.default_rng(0)
    grid = np.linspace(0.0, 0.5, 11)
    for k, n in enumerate([30, 1000]):
        means = []
        for f in grid:
            est = []
            for _ in range(20):
                x = rng.integers(0, 2, n)
                y = np.where(rng.random(n) < f, 1 - x, x)
                est.append(it.mutual_information_from_labels(x, y, base=2))
            means.append(np.mean(est))
        ax_mi.plot(grid, means, "o", color=PALETTE[k + 1], markersize=4,
                   label=f"plug-in estimate, n = {n} (mean of 20)")
    ax_mi.set(xlabel="flip probability", ylabel="I(X; Y) in bits", ylim=(0, 1.05),
              title="binary symmetric channel")
    ax_mi.legend(fontsize=7)
    return fig
