"""Figure for the recurrent-networks chapter: how far back the last state still feels an input."""

from __future__ import annotations

import numpy as np

from mlatlas.deep_learning.recurrent_networks import gradient_through_time
from mlatlas.plotting import PALETTE, new_figure


def gradient_through_time_figure():
    """||u^T d h_T / d x_t|| (random unit u) against steps back, for an RNN, and an LSTM and a GRU with
    and without an open gate."""
    fig, ax = new_figure(width=6.4, height=4.0)
    runs = [
        ("RNN", "rnn", 0.0, PALETTE[3], "-"),
        ("LSTM", "lstm", 0.0, PALETTE[0], "--"),
        ("GRU", "gru", 0.0, PALETTE[2], "--"),
        ("LSTM, forget gate biased +3", "lstm", 3.0, PALETTE[0], "-"),
        ("GRU, update gate biased +3", "gru", 3.0, PALETTE[2], "-"),
    ]
    for label, mode, bias, color, style in runs:
        norms = gradient_through_time(mode, keep_bias=bias)
        ax.semilogy(np.arange(len(norms)), norms, style, color=color, label=label)
    ax.set_xlabel("steps back, T − t")
    ax.set_ylabel("‖uᵀ ∂h_T / ∂x_t‖, random unit u")
    ax.set_title("Sensitivity of the last state to earlier inputs, at initialisation")
    ax.legend(fontsize=9, loc="lower left")
    ax.grid(True, which="major")
    return fig
