"""Figures for the flash-attention chapter (drawn from the committed measurement)."""

from __future__ import annotations

import json

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.flash_attention import MEMORY_JSON


def peak_memory_vs_length():
    """Measured peak extra memory of naive, tiled and torch attention as T grows (log-log)."""
    data = json.loads(MEMORY_JSON.read_text())
    t = [r["T"] for r in data["rows"]]
    fig, ax = new_figure(width=6.4, height=3.4)
    for key, label, color in (
        ("naive", "naive (scores materialised)", PALETTE[3]),
        ("tiled", f"tiled, {data['block']}×{data['block']} blocks (ours)", PALETTE[0]),
        ("torch_sdpa", "torch SDPA (fused C++ kernel)", PALETTE[7]),
    ):
        ax.plot(t, [r[key] / 2**20 for r in data["rows"]], "o-", color=color, label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("peak extra memory (MiB)")
    ax.set_title(
        f"B={data['batch']}, H={data['heads']}, D={data['head_dim']}, float32; output included", fontsize=9
    )
    ax.legend(fontsize=8)
    ax.grid(True, which="both")
    return fig
