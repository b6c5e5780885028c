"""The grid of tiny GPT runs and the fitted L(N, D), from ``mlatlas/distributed/data/scaling_runs.json``
(written by `mlatlas run scaling-laws --rerun --save`)."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import NullFormatter

from mlatlas.distributed.scaling_laws import fit_cached, load_runs
from mlatlas.plotting import PALETTE, new_figure


def loss_vs_data():
    """Held-out loss against training tokens, one colour per model size, with the fitted law."""
    runs = load_runs()
    fit = fit_cached()
    fig, ax = new_figure(width=5.6, height=4.0)
    sizes = sorted({r["N"] for r in runs})
    d_grid = np.geomspace(min(r["D"] for r in runs) * 0.8, max(r["D"] for r in runs) * 1.25, 60)
    for n, colour in zip(sizes, PALETTE):
        points = sorted((r["D"], r["loss"]) for r in runs if r["N"] == n)
        ax.loglog(*zip(*points), "o", color=colour, label=f"N = {n:,}")
        ax.loglog(d_grid, fit.loss(n, d_grid), "-", color=colour, lw=1.2)
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks([0.5, 1, 2, 3], ["0.5", "1", "2", "3"])
    ax.set_xlabel("training tokens D (characters)")
    ax.set_ylabel("held-out loss (nats/char)")
    ax.set_title(f"fit: L = E + A/N^{fit.alpha:.2f} + B/D^{fit.beta:.2f}, E = {fit.E:.2f}", fontsize=9)
    ax.legend(fontsize=8, title="non-embedding parameters", title_fontsize=8, loc="lower left")
    ax.grid(True, which="both")
    return fig
