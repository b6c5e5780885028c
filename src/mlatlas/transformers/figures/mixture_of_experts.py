"""Figures for the mixture-of-experts chapter."""

from __future__ import annotations

import numpy as np
import torch

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.mixture_of_experts import train_toy_router


def expert_usage_with_and_without_balancing():
    """Share of routing slots per expert after training a toy MoE, without and with the balancing loss."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is faster and steadier
    try:
        runs = {coef: train_toy_router(coef, steps=120) for coef in (0.0, 0.05)}
    finally:
        torch.set_num_threads(threads)
    fig, ax = new_figure(width=6.4, height=3.0)
    e = np.arange(8)
    for offset, (coef, color, label) in zip(
        (-0.2, 0.2), ((0.0, PALETTE[1], "task loss only"), (0.05, PALETTE[0], "+ 0.05 × balancing loss"))
    ):
        ax.bar(e + offset, runs[coef].usage.numpy(), width=0.4, color=color, label=label)
    ax.axhline(1 / 8, color=PALETTE[7], linestyle="--", linewidth=1)
    ax.text(7.6, 1 / 8, "uniform", fontsize=8, va="bottom", ha="right")
    ax.set_xticks(e)
    ax.set_xlabel("expert")
    ax.set_ylabel("share of routing slots")
    ax.legend(fontsize=8)
    return fig
