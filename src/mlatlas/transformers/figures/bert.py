"""Figure for the bert chapter, from the committed record of a tiny pretraining run."""

from __future__ import annotations

import json

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.bert import RUN_JSON


def mlm_curve():
    """Masked-token loss and accuracy on held-out sentences during the tiny pretraining run."""
    rec = json.loads(RUN_JSON.read_text())
    h = rec["history"]
    steps = [r["step"] for r in h]
    fig, ax = new_figure(width=6.4, height=3.3)
    ax.plot(steps, [r["test_loss"] for r in h], "o-", ms=3, color=PALETTE[0], label="masked-token loss")
    ax.set_xlabel(f"training step (batch {rec['batch_size']} sentences)")
    ax.set_ylabel("cross-entropy (nats)")
    ax2 = ax.twinx()
    ax2.plot(steps, [r["test_accuracy"] for r in h], "s-", ms=3, color=PALETTE[1], label="accuracy")
    ax2.set_ylabel("accuracy on masked tokens")
    ax2.set_ylim(0, 1)
    ax2.spines["right"].set_visible(True)
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], loc="center right")
    ax.set_title("tiny BERT: filling in masked words")
    return fig
