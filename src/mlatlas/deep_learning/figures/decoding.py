"""Figure for the decoding chapter: how many tokens a speculative round yields as the draft improves."""

from __future__ import annotations

import numpy as np

from mlatlas.deep_learning.decoding import expected_tokens_per_round
from mlatlas.plotting import PALETTE, new_figure


def tokens_per_round_vs_acceptance():
    """Expected tokens per target pass, (1 − α^(k+1)) / (1 − α), against the acceptance rate α."""
    alphas = np.linspace(0.0, 0.99, 100)
    fig, ax = new_figure(1, 1, width=6.4, height=4.2)
    for colour, k in zip(PALETTE, (1, 2, 4, 8)):
        ax.plot(
            alphas, [expected_tokens_per_round(float(a), k) for a in alphas], color=colour, label=f"k = {k}"
        )
    ax.set_xlabel("acceptance rate α = Σ min(p, q)")
    ax.set_ylabel("tokens per target pass")
    ax.set_title("Speculative sampling: tokens per round")
    ax.grid(True)
    ax.legend()
    return fig
