"""Memory per device under ZeRO's stages, from the paper's formula (section 5.1)."""

from __future__ import annotations

import numpy as np

from mlatlas.distributed.zero_sharding import mixed_precision_memory
from mlatlas.plotting import PALETTE, new_figure

PSI = 7.5e9  # the paper's Figure 1 example: a 7.5-billion-parameter model


def memory_per_device():
    """GB per device for a 7.5B-parameter model trained with mixed-precision Adam, vs data-parallel size."""
    worlds = np.unique(np.geomspace(1, 1024, 60).round().astype(int))
    fig, ax = new_figure(width=5.6, height=3.8)
    names = [
        "no sharding (DDP)",
        "ZeRO-1: optimizer state",
        "ZeRO-2: + gradients",
        "ZeRO-3 / FSDP: + parameters",
    ]
    for stage, (name, colour) in enumerate(zip(names, PALETTE)):
        gb = [mixed_precision_memory(PSI, int(n), stage) / 1e9 for n in worlds]
        ax.loglog(worlds, gb, color=colour, label=name)
        at64 = mixed_precision_memory(PSI, 64, stage) / 1e9
        ax.plot(64, at64, "o", color=colour, markersize=5)
        ax.annotate(f"{at64:.1f} GB", (64, at64), textcoords="offset points", xytext=(6, 3), fontsize=8)
    ax.axhline(80, color="#94a3b8", ls="--", lw=1)
    ax.text(900, 62, "80 GB accelerator", ha="right", fontsize=8, color="#64748b")
    ax.set_xlabel("data-parallel devices $N_d$")
    ax.set_ylabel("GB per device (model states)")
    ax.grid(True, which="major")
    ax.legend(fontsize=8, loc="lower left")
    return fig
