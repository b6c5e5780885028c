"""Figure for the gpus-and-accelerators chapter: memory needed by 1B-70B models against what devices hold."""

from __future__ import annotations

import numpy as np

from mlatlas.hardware.memory import DEVICES, memory_table
from mlatlas.plotting import PALETTE, new_figure


def memory_by_model():
    """Total memory for 4-bit and bf16 inference (8k-token KV cache) and mixed-precision Adam training
    (one 4k-token sequence, activation checkpointing), log scale, with the capacity of each device."""
    rows = memory_table()
    fig, ax = new_figure(width=6.4, height=3.8)
    x = np.arange(len(rows))
    items = (("inference, 4-bit", "inference_int4"), ("inference, bf16", "inference_bf16"),
             ("training, Adam", "training"))  # fmt: skip
    w = 0.26
    for i, (label, field) in enumerate(items):
        ax.bar(
            x + (i - 1) * w, [getattr(r, field) / 1e9 for r in rows], width=w, color=PALETTE[i], label=label
        )
    for name, capacity in DEVICES:
        ax.axhline(capacity / 1e9, color="#94a3b8", linestyle="--", linewidth=1)
        ax.text(-0.45, capacity / 1e9 * 1.08, name, ha="left", va="bottom", fontsize=9)
    ax.set_yscale("log")
    ax.set_xticks(x, [r.model.replace("Llama ", "Llama\n") for r in rows])
    ax.set_ylabel("memory (GB)")
    ax.set_ylim(0.5, 3000)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, fontsize=9, frameon=False)
    return fig
