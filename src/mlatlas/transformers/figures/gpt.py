"""Figures for the gpt chapter: the loss curve of the committed demo run, and what the sampling rules do."""

from __future__ import annotations

import json

import numpy as np
import torch

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.gpt import next_token_distribution
from mlatlas.transformers.gpt_and_in_context_learning import RUN_JSON


def loss_curve():
    """Training and validation cross-entropy (nats per character) of the run recorded in gpt_run.json."""
    rec = json.loads(RUN_JSON.read_text())
    h = rec["history"]
    steps = [r["step"] for r in h]
    fig, ax = new_figure(width=6.4, height=3.4)
    ax.plot(
        steps, [r["train_loss"] for r in h], color=PALETTE[0], label="train (mean over the last 100 steps)"
    )
    ax.plot(steps, [r["val_loss"] for r in h], "o", ms=3, color=PALETTE[1], label="validation")
    ax.axhline(
        np.log(rec["model"]["vocab_size"]),
        color=PALETTE[7],
        ls="--",
        lw=1,
        label=f"uniform guess, log {rec['model']['vocab_size']}",
    )
    ax.set_xlabel("training step (batch 16 × 64 characters)")
    ax.set_ylabel("cross-entropy (nats / char)")
    ax.set_ylim(0, None)
    ax.set_title(f"{rec['parameters'] / 1e6:.2f} M-parameter GPT, {rec['steps_done']} steps")
    ax.legend()
    return fig


SAMPLING_LOGITS = (3.0, 2.4, 2.0, 1.2, 0.8, 0.5, 0.1, -0.3, -0.8, -1.5)  # ten candidates, sorted


def sampling_rules():
    """One next-token distribution under temperature, top-k and top-p."""
    logits = torch.tensor(SAMPLING_LOGITS, dtype=torch.float64)
    rules = [
        ("τ = 1", {}),
        ("τ = 0.5", {"temperature": 0.5}),
        ("τ = 2", {"temperature": 2.0}),
        ("top-k = 3", {"top_k": 3}),
        ("top-p = 0.8", {"top_p": 0.8}),
    ]
    fig, ax = new_figure(width=7.0, height=3.2)
    x = np.arange(len(logits))
    w = 0.16
    for i, (name, kw) in enumerate(rules):
        p = next_token_distribution(logits, **kw).numpy()
        ax.bar(x + (i - 2) * w, p, width=w, color=PALETTE[i], label=name)
    ax.set_xticks(x, [f"t{i}" for i in x])
    ax.set_xlabel("candidate next token (sorted by logit)")
    ax.set_ylabel("probability")
    ax.legend(ncols=5, fontsize=8)
    return fig
