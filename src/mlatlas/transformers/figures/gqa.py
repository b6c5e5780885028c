"""Figures for the grouped-query attention chapter."""

from __future__ import annotations

from mlatlas.plotting import PALETTE, new_figure


def kv_cache_per_token():
    """KV-cache bytes per token for a Llama-2-70B-shaped model (80 layers, 64 query heads, D = 128, bf16)."""
    layers, head_dim, bytes_per = 80, 128, 2  # the 64 query heads do not enter the cache
    kv_heads = [64, 32, 16, 8, 4, 1]
    mib = [2 * layers * h * head_dim * bytes_per / 2**20 for h in kv_heads]  # K and V
    labels = ["64 (MHA)", "32", "16", "8 (Llama-2-70B)", "4", "1 (MQA)"]
    fig, ax = new_figure(width=6.4, height=3.0)
    bars = ax.bar(labels, mib, color=[PALETTE[7]] + [PALETTE[0]] * 2 + [PALETTE[1]] + [PALETTE[0]] * 2)
    for bar, m in zip(bars, mib):
        ax.text(
            bar.get_x() + bar.get_width() / 2,
            m,
            f"{m * 1024:.0f} KiB" if m < 1 else f"{m:.2f} MiB",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xlabel("key/value heads H_kv")
    ax.set_ylabel("cache per token (MiB)")
    return fig
