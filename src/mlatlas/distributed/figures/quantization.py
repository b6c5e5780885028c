"""Perplexity of the small GPT with its weights quantised, from the cached run of
`mlatlas run quantization --save` (``mlatlas/distributed/data/quantization_perplexity.json``)."""

from __future__ import annotations

import json

from mlatlas.distributed.quantization import RESULTS, SCHEMES
from mlatlas.plotting import PALETTE, new_figure


def perplexity_by_scheme():
    """Held-out perplexity per character under each weight-only scheme, relative to float32 weights."""
    data = json.loads(RESULTS.read_text())
    reference = data["float32"]
    changes = [100 * (data[s] / reference - 1) for s in SCHEMES]  # % above float32
    fig, ax = new_figure(width=5.6, height=3.4)
    colours = [PALETTE[0], PALETTE[0], PALETTE[1], PALETTE[1], PALETTE[2]]
    bars = ax.barh(range(len(SCHEMES)), changes, color=colours)
    for bar, scheme, change in zip(bars, SCHEMES, changes):
        label = f" +{change:.2f}%  (perplexity {data[scheme]:.3f})"
        ax.text(change, bar.get_y() + bar.get_height() / 2, label, va="center", fontsize=8)
    ax.set_yticks(range(len(SCHEMES)), SCHEMES)
    ax.invert_yaxis()
    ax.set_xlim(0, max(changes) * 1.9)
    ax.set_xlabel(f"perplexity increase over float32 weights (%), float32: {reference:.3f}")
    return fig
