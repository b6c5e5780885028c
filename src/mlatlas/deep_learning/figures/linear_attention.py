"""Figure for the linear-attention chapter: compute and decoding memory as the sequence grows."""

from __future__ import annotations

import numpy as np

from mlatlas.deep_learning.linear_attention import attention_costs
from mlatlas.plotting import PALETTE, new_figure

D = 64  # head width


def cost_and_state_by_length():
    """Top: multiply-adds per head against T. Bottom: numbers kept per head while decoding."""
    lengths = np.array([2**p for p in range(4, 17)])
    costs = [attention_costs(int(t), D) for t in lengths]
    fig, (top, bottom) = new_figure(2, 1, width=6.4, height=6.4)
    top.loglog(lengths, [c["softmax"] for c in costs], "o-", ms=3, color=PALETTE[3], label="softmax: 2T²D")
    top.loglog(lengths, [c["linear"] for c in costs], "o-", ms=3, color=PALETTE[0], label="linear: 2TD²")
    top.axvline(D, color=PALETTE[7], ls=":", lw=1)
    top.set_ylabel("multiply-adds per head")
    top.set_title(f"Attention over a whole sequence, D = {D}")
    top.legend()
    bottom.loglog(lengths, 2 * lengths * D, "o-", ms=3, color=PALETTE[3], label="KV cache: 2TD")
    bottom.loglog(
        lengths, np.full(len(lengths), D * D + D), "o-", ms=3, color=PALETTE[0], label="state (S, z): D² + D"
    )
    bottom.set_xlabel("sequence length T")
    bottom.set_ylabel("numbers stored per head")
    bottom.set_title("Generating token T + 1")
    bottom.legend()
    for ax in (top, bottom):
        ax.grid(True, which="major")
    return fig
