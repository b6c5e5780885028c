"""Figures for the probability chapter."""

from __future__ import annotations

import numpy as np

from mlatlas.foundations import probability as pr
from mlatlas.plotting import PALETTE, new_figure


def base_rates():
    """P(disease | positive) against prevalence for two tests, exact curves and simulated points;
    and the posterior after one, two and three positive results."""
    fig, (ax_prev, ax_seq) = new_figure(1, 2, width=8.0, height=3.4)
    prevalences = np.geomspace(1e-4, 0.5, 200)
    rng = np.random.default_rng(0)
    for k, spec in enumerate([0.95, 0.999]):
        ppv = [pr.positive_predictive_value(pr.DiagnosticTest(p, 0.99, spec)) for p in prevalences]
        ax_prev.plot(prevalences, ppv, color=PALETTE[k], label=f"sensitivity 0.99, specificity {spec:g}")
        for p in (1e-3, 1e-2, 1e-1):
            est = pr.simulate_positive_predictive_value(pr.DiagnosticTest(p, 0.99, spec), 100_000, rng)
            ax_prev.errorbar([p], [est.value], yerr=[2 * est.std_error], fmt="o", color=PALETTE[k],
                             markersize=4, capsize=2)
    ax_prev.set_xscale("log")
    ax_prev.set(xlabel="prevalence P(D) (log scale)", ylabel="P(D | positive)", ylim=(0, 1.02),
                title="a positive test means less when D is rare")
    ax_prev.legend(fontsize=7, loc="upper left")

    test = pr.DiagnosticTest(0.01, 0.99, 0.95)
    history = pr.sequential_bayes([test.prevalence, 1 - test.prevalence],
                                  np.tile([test.sensitivity, 1 - test.specificity], (3, 1)))
    ax_seq.bar(np.arange(4), history[:, 0], color=PALETTE[0], width=0.6)
    for t, v in enumerate(history[:, 0]):
        ax_seq.text(t, v + 0.02, f"{v:.3f}", ha="center", fontsize=8)
    ax_seq.set_xticks(np.arange(4), ["prior", "1 positive", "2 positives", "3 positives"])
    ax_seq.set(ylabel="P(D | results)", ylim=(0, 1.05), title="yesterday's posterior is today's prior")
    return fig
