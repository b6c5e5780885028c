"""Figures for the attention-is-all-you-need chapter, drawn from the committed record of a real run.

The record is written by ``python -m mlatlas.transformers.attention_is_all_you_need PATH``.
"""

from __future__ import annotations

import json

import numpy as np

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.attention_is_all_you_need import RUN_JSON


def training_and_attention():
    """Left: accuracy during training. Right: cross-attention of the trained model on one example."""
    rec = json.loads(RUN_JSON.read_text())
    h = rec["history"]
    steps = [r["step"] for r in h]
    fig, (ax_a, ax_w) = new_figure(1, 2, width=8.4, height=3.5, gridspec_kw={"width_ratios": [1.3, 1]})
    ax_a.plot(steps, [r["token_accuracy"] for r in h], "o-", ms=3, color=PALETTE[0], label="per-token")
    ax_a.plot(
        steps, [r["sequence_accuracy"] for r in h], "o-", ms=3, color=PALETTE[1], label="whole string exact"
    )
    ax_a.set_xlabel("training step (batch of 64)")
    ax_a.set_ylabel("greedy accuracy, 500 fresh strings")
    ax_a.set_ylim(0, 1.03)
    ax_a.set_title(f"learning to {rec['train']['task']} {rec['train']['length']} digits")
    ax_a.legend(loc="lower right")
    ex = rec["example"]
    w = np.array(ex["cross_attention"])  # (T, S): target position (BOS + answer) × source position
    ax_w.imshow(w, cmap="Blues", vmin=0, aspect="auto")
    ax_w.set_xticks(range(len(ex["src"])), [str(d) for d in ex["src"]])
    ax_w.set_yticks(range(w.shape[0]), ["<s>"] + [str(d) for d in ex["prediction"]])
    ax_w.set_xlabel("source digit")
    ax_w.set_ylabel("decoder input")
    ax_w.set_title("last-layer cross-attention (head mean)")
    return fig
