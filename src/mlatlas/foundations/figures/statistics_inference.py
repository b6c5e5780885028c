"""Figures for the statistics-inference chapter: the CLT at work, and a t test's rejection region."""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from mlatlas.foundations.statistics_inference import exponential_sample_means, t_test_one_sample
from mlatlas.plotting import PALETTE, new_figure

SAMPLE_SIZES = (1, 4, 32)


def _normal_pdf(z):
    return np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def _t_pdf(t, df):
    log_c = special.gammaln((df + 1) / 2) - special.gammaln(df / 2) - 0.5 * math.log(df * math.pi)
    return np.exp(log_c - (df + 1) / 2 * np.log1p(t * t / df))


def clt_sampling_distributions():
    """Standardised means of Exponential(1) samples of size 1, 4 and 32 against N(0, 1)."""
    rng = np.random.default_rng(0)
    fig, axes = new_figure(1, len(SAMPLE_SIZES), width=9.0, height=2.9, sharey=True)
    grid = np.linspace(-3.5, 4.5, 300)
    for ax, n, colour in zip(axes, SAMPLE_SIZES, PALETTE):
        z = exponential_sample_means(n, 20_000, rng).standardized
        ax.hist(z, bins=np.linspace(-3.5, 4.5, 65), density=True, color=colour, alpha=0.55)
        ax.plot(grid, _normal_pdf(grid), color=PALETTE[7], linewidth=1.2, label="N(0, 1)")
        ax.set_title(f"n = {n}")
        ax.set_xlabel("(x̄ − μ) / (σ/√n)")
    axes[0].set_ylabel("density")
    axes[0].legend(fontsize=8)
    return fig


def rejection_region():
    """A one-sample t test (n = 15): the t(14) null density, the α = 0.05 rejection region, and the
    observed statistic with its two-sided p-value as shaded area."""
    df, alpha = 14, 0.05
    sample = np.random.default_rng(6).normal(0.45, 1.0, size=df + 1)
    result = t_test_one_sample(sample, 0.0)
    critical = float(special.stdtrit(df, 1 - alpha / 2))
    grid = np.linspace(-4.5, 4.5, 600)
    density = _t_pdf(grid, df)
    fig, ax = new_figure(width=6.4, height=3.2)
    ax.plot(grid, density, color=PALETTE[0], label=f"null distribution t({df})")
    for side in (-1, 1):
        tail = side * grid >= critical
        ax.fill_between(grid[tail], density[tail], color=PALETTE[3], alpha=0.35,
                        label="rejection region, α = 0.05" if side == 1 else None)  # fmt: skip
        beyond = side * grid >= abs(result.statistic)
        ax.fill_between(grid[beyond], density[beyond], color=PALETTE[5], alpha=0.8,
                        label=f"p-value = {result.pvalue:.3f}" if side == 1 else None)  # fmt: skip
    ax.axvline(result.statistic, color=PALETTE[5], linestyle="--", linewidth=1.2)
    ax.text(result.statistic, density.max() * 0.75, f" observed t = {result.statistic:.2f}", fontsize=8)
    ax.axvline(critical, color=PALETTE[3], linewidth=0.8)
    ax.axvline(-critical, color=PALETTE[3], linewidth=0.8)
    ax.set_xlabel("t")
    ax.set_ylabel("density")
    ax.set_ylim(0, density.max() * 1.1)
    ax.legend(fontsize=8, loc="upper left")
    return fig
