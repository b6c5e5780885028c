"""Figures for the softmax chapter."""

from __future__ import annotations

import numpy as np
import torch

from mlatlas.foundations.softmax import entropy, softmax
from mlatlas.plotting import PALETTE, new_figure

LOGITS = [2.0, 1.0, 0.5, 0.0, -1.0]


def temperature_sweep():
    """Softmax of five fixed logits at temperatures 0.25, 1 and 4 (bars) and for every T (curves)."""
    z = torch.tensor(LOGITS, dtype=torch.float64)
    fig, (ax_bar, ax_sweep) = new_figure(1, 2, width=8.0, height=3.4)

    temps = [0.25, 1.0, 4.0]
    width = 0.26
    idx = np.arange(len(LOGITS))
    for k, T in enumerate(temps):
        p = softmax(z, temperature=T).numpy()
        ax_bar.bar(idx + (k - 1) * width, p, width=width, color=PALETTE[k], label=f"T = {T:g}")
    ax_bar.axhline(1 / len(LOGITS), color=PALETTE[7], linestyle="--", linewidth=1)
    ax_bar.set_xticks(idx, [f"$z_{i + 1}$ = {v:g}" for i, v in enumerate(LOGITS)], fontsize=8)
    ax_bar.set(ylabel="probability $p_i$", title="same logits, three temperatures", ylim=(0, 1))
    ax_bar.legend(fontsize=8)

    Ts = np.geomspace(0.1, 10.0, 200)
    P = softmax(z.unsqueeze(0) / torch.tensor(Ts).unsqueeze(1)).numpy()  # (200, 5): row t is softmax(z / T_t)
    for i in range(len(LOGITS)):
        ax_sweep.plot(Ts, P[:, i], color=PALETTE[i], label=f"$p_{i + 1}$")
    ax_sweep.axhline(1 / len(LOGITS), color=PALETTE[7], linestyle="--", linewidth=1)
    ax_sweep.set_xscale("log")
    ax_sweep.set(xlabel="temperature T (log scale)", ylabel="probability", ylim=(0, 1),
                 title="from argmax (T → 0) to uniform (T → ∞)")
    ax_ent = ax_sweep.twinx()
    H = entropy(torch.from_numpy(P)).numpy() / np.log(len(LOGITS))
    ax_ent.plot(Ts, H, color=PALETTE[7], linestyle=":", label="entropy / log 5")
    ax_ent.set_ylim(0, 1)
    ax_ent.set_ylabel("normalised entropy")
    ax_ent.spines["right"].set_visible(True)
    lines = ax_sweep.get_lines()[:-1] + ax_ent.get_lines()
    ax_sweep.legend(lines, [ln.get_label() for ln in lines], fontsize=7, loc="center left")
    return fig
