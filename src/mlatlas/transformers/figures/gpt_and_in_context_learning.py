"""Figure for the gpt-and-in-context-learning chapter, from the committed demo run."""

from __future__ import annotations

import json

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.gpt_and_in_context_learning import RUN_JSON


def in_context_accuracy():
    """Accuracy on a lookup value by how many times its key already appeared in the same line."""
    rec = json.loads(RUN_JSON.read_text())
    acc = rec["in_context_accuracy"]
    labels = {"0": "first time\n(no context)", "1": "seen once", "2": "seen twice", "3": "seen 3+ times"}
    keys = sorted(acc)
    fig, ax = new_figure(width=6.0, height=3.3)
    ax.bar(range(len(keys)), [acc[k] for k in keys], color=[PALETTE[7]] + [PALETTE[0]] * (len(keys) - 1))
    for i, k in enumerate(keys):
        ax.text(i, acc[k] + 0.02, f"{acc[k]:.2f}", ha="center")
    ax.axhline(1 / 26, color=PALETTE[3], ls="--", lw=1, label="chance, 1/26")
    ax.set_xticks(range(len(keys)), [labels[k] for k in keys])
    ax.set_ylabel("greedy accuracy on the value")
    ax.set_ylim(0, 1.08)
    ax.set_title("the same weights, more context: in-context learning")
    ax.legend(loc="upper left")
    return fig
