"""Figures for the KV-cache chapter (drawn from the committed measurement)."""

from __future__ import annotations

import json

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.kv_cache import SPEEDUP_JSON


def speedup_vs_length():
    """Greedy generation time with and without the cache, and their ratio, as measured on our machine."""
    data = json.loads(SPEEDUP_JSON.read_text())
    n = [r["new_tokens"] for r in data["rows"]]
    fig, (a, b) = new_figure(1, 2, width=8.4, height=3.0)
    a.plot(n, [r["uncached_s"] for r in data["rows"]], "o-", color=PALETTE[1], label="no cache")
    a.plot(n, [r["cached_s"] for r in data["rows"]], "o-", color=PALETTE[0], label="KV cache")
    a.set_xscale("log", base=2)
    a.set_yscale("log")
    a.set_xlabel("tokens generated")
    a.set_ylabel("seconds (1 thread)")
    a.legend()
    a.grid(True)
    b.plot(n, [r["speedup"] for r in data["rows"]], "o-", color=PALETTE[2])
    for x, r in zip(n, data["rows"]):
        b.text(x, r["speedup"], f" {r['speedup']:.1f}×", fontsize=8, va="bottom")
    b.set_xscale("log", base=2)
    b.set_xlabel("tokens generated")
    b.set_ylabel("speed-up")
    b.grid(True)
    return fig
