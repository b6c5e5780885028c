"""Figures for the boltzmann-distribution chapter."""

from __future__ import annotations

import numpy as np

from mlatlas.foundations import boltzmann_distribution as bz
from mlatlas.plotting import PALETTE, new_figure

LEVELS = np.array([0.0, 0.3, 0.7, 1.0, 1.6, 2.5])
N_SAMPLES = 2000


def levels_and_samples():
    """Probabilities of six energy levels at three temperatures (bars) and frequencies of 2000 samples."""
    fig, ax = new_figure(width=6.4, height=3.4)
    rng = np.random.default_rng(0)
    width = 0.26
    idx = np.arange(len(LEVELS))
    for k, T in enumerate([0.25, 1.0, 4.0]):
        p = bz.boltzmann_probs(LEVELS, T)
        freq = np.bincount(bz.sample(LEVELS, T, N_SAMPLES, rng), minlength=len(LEVELS)) / N_SAMPLES
        x = idx + (k - 1) * width
        ax.bar(x, p, width=width, color=PALETTE[k], alpha=0.75, label=f"kT = {T:g}")
        ax.plot(x, freq, "o", color=PALETTE[k], markersize=4, markeredgecolor=PALETTE[7], markeredgewidth=0.6)
    ax.plot([], [], "o", color=PALETTE[7], markersize=4, label=f"frequency in {N_SAMPLES} samples")
    ax.set_xticks(idx, [f"E = {e:g}" for e in LEVELS])
    ax.set(ylabel="probability", title="Boltzmann probabilities and sampled frequencies")
    ax.legend(fontsize=8)
    return fig


def two_level_heat_capacity():
    """Two states 0 and 1: excited-state probability, mean energy and heat capacity against temperature."""
    Ts = np.geomspace(0.05, 20.0, 300)
    rows = [bz.thermodynamics(np.array([0.0, 1.0]), T) for T in Ts]
    fig, ax = new_figure(width=6.4, height=3.2)
    ax.plot(Ts, [r.probs[1] for r in rows], color=PALETTE[0], label="$p_1$ (excited)")
    ax.plot(Ts, [r.heat_capacity for r in rows], color=PALETTE[1], label="heat capacity C / k")
    ax.plot(Ts, [r.entropy / np.log(2) for r in rows], color=PALETTE[2], label="entropy S / (k log 2)")
    ax.axhline(0.5, color=PALETTE[7], linestyle="--", linewidth=1)
    t_peak = Ts[int(np.argmax([r.heat_capacity for r in rows]))]
    ax.axvline(t_peak, color=PALETTE[1], linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set(xlabel="kT / gap (log scale)", ylabel="value", ylim=(0, 1.02),
           title=f"two-level system: C peaks near kT = {t_peak:.2f} × gap")
    ax.legend(fontsize=8, loc="upper left")
    return fig
