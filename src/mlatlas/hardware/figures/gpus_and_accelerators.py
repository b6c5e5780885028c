"""Figure for the gpus-and-accelerators chapter: compute against memory bandwidth, machine by machine."""

from __future__ import annotations

import numpy as np

from mlatlas.hardware.roofline import load_cached
from mlatlas.plotting import PALETTE, new_figure

# Vendor datasheet peaks (dense, no sparsity): (name, 16-bit tensor FLOP/s, memory bytes/s).
# NVIDIA A100 SXM4 80 GB datasheet: BF16 312 TFLOP/s, HBM2e 2,039 GB/s.
# NVIDIA H100 SXM5 datasheet: BF16 989 TFLOP/s dense (1,979 is the 2:4-sparsity figure), HBM3 3.35 TB/s.
DATASHEETS = [
    ("A100 SXM (datasheet)", 312e12, 2.039e12),
    ("H100 SXM (datasheet)", 989e12, 3.35e12),
]


def compute_vs_bandwidth():
    """Peak 16-bit FLOP/s against memory bandwidth: the measured CPU that built this site and two
    data-centre GPUs. Diagonals are constant ridge points (FLOP a kernel must do per byte)."""
    m = load_cached()
    cpu_peak = m.peak_flops.get("bfloat16", m.peak)
    points = [(f"this site's CPU (measured, {'bf16' if 'bfloat16' in m.peak_flops else 'fp32'})",
               cpu_peak, m.stream_bandwidth)] + DATASHEETS  # fmt: skip
    fig, ax = new_figure(width=6.4, height=3.8)
    bandwidths = np.geomspace(1e9, 1e13, 50)
    for ridge in (1, 10, 100, 1000):
        ax.loglog(bandwidths / 1e9, ridge * bandwidths / 1e12, color="#94a3b8", linewidth=0.8, linestyle=":")
        x = max(1.5, 15.0 / ridge)  # GB/s where the label sits (lower left, away from the machines)
        ax.text(x, ridge * x / 1e3 * 1.4, f"{ridge} FLOP/B", fontsize=7, color="#94a3b8")
    for i, ((name, flops, bandwidth), colour) in enumerate(zip(points, PALETTE)):
        ax.loglog(bandwidth / 1e9, flops / 1e12, "o", color=colour, markersize=8)
        left = i > 0  # GPU labels go to the left of their dots
        ax.annotate(f"{name}\nridge ≈ {flops / bandwidth:.0f} FLOP/B", (bandwidth / 1e9, flops / 1e12),
                    textcoords="offset points", xytext=(-8 if left else 8, -4), fontsize=7,
                    ha="right" if left else "left")  # fmt: skip
    ax.set_xlim(1, 2e4)
    ax.set_ylim(1e-2, 5e3)
    ax.set_xlabel("memory bandwidth (GB/s)")
    ax.set_ylabel("peak 16-bit TFLOP/s")
    ax.grid(True, which="major")
    return fig
