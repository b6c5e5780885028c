"""Figures for the bayesian-neural-networks chapter."""

from __future__ import annotations

import torch

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.probabilistic.bayesian_neural_networks import fit_all, gap_regression_data, predictive_regression


def gap_regression_bands():
    """Predictive mean and ±2 sd of Bayes by backprop, MC dropout and a deep ensemble on data with a gap."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        x, y = gap_regression_data(0)
        models = fit_all(x, y, "regression", seed=0)
        grid = torch.linspace(-5, 5, 200)[:, None]
        plain = predictive_regression(models["plain network"], grid, 0.1)
        fig, axes = new_figure(3, 1, width=6.4, height=8.0, sharex=True)
        for ax, name, colour in zip(
            axes,
            ["Bayes by backprop", "MC dropout", "deep ensemble"],
            [PALETTE[0], PALETTE[2], PALETTE[4]],
            strict=True,
        ):
            pred = predictive_regression(models[name], grid, 0.1)
            g = grid[:, 0].numpy()
            ax.fill_between(
                g, pred.mean - 2 * pred.sd, pred.mean + 2 * pred.sd, color=colour, alpha=0.25, lw=0
            )
            ax.plot(g, pred.mean, color=colour, label=f"{name}: mean ± 2 sd")
            ax.plot(g, plain.mean, color=PALETTE[7], ls="--", lw=1, label="plain network")
            ax.scatter(x[:, 0], y, s=10, color=PALETTE[1], zorder=3)
            ax.axvspan(-1.5, 1.5, color=PALETTE[7], alpha=0.08, lw=0)
            ax.set_ylim(-3, 3)
            ax.legend(loc="upper left", fontsize=8)
        axes[-1].set_xlabel("x (no training data in the shaded gap)")
        return fig
    finally:
        torch.set_num_threads(threads)
