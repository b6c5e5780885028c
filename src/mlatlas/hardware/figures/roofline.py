"""The roofline figure, drawn from the cached measurement in ``mlatlas/hardware/data/roofline.json``."""

from __future__ import annotations

import numpy as np

from mlatlas.hardware.roofline import attainable_flops, load_cached, ridge_point
from mlatlas.plotting import PALETTE, new_figure


def roofline_plot():
    """Measured float32 (and bfloat16) roofs of the machine that built the site, with kernels."""
    m = load_cached()
    bandwidth = m.stream_bandwidth
    intensities = np.geomspace(1 / 32, 1024, 200)
    fig, ax = new_figure(width=6.8, height=4.2)
    peaks = sorted(m.peak_flops.items(), key=lambda item: item[0] != "float32")  # float32 first
    for (name, peak), colour, style in zip(peaks, (PALETTE[0], PALETTE[4]), ("-", "--")):
        roof = [attainable_flops(i, peak, bandwidth) / 1e9 for i in intensities]
        ax.loglog(intensities, roof, style, color=colour, label=f"{name} roof: {peak / 1e9:.0f} GFLOP/s peak")
        knee = ridge_point(peak, bandwidth)
        ax.plot(knee, peak / 1e9, "o", color=colour, markersize=4)
        ax.annotate(f"ridge {knee:.1f} FLOP/B", (knee, peak / 1e9), textcoords="offset points",
                    xytext=(-8, 6), ha="right", fontsize=7, color=colour)  # fmt: skip
    ax.text(1 / 16, 1 / 16 * bandwidth / 1e9 * 1.6, f"{bandwidth / 1e9:.0f} GB/s", rotation=0, fontsize=8,
            color=PALETTE[0])  # fmt: skip
    for k, colour in zip(m.kernels, PALETTE[1:] * 2):
        ax.plot(k.intensity, k.achieved / 1e9, "D", color=colour, markersize=6)
        below = k.name.startswith(("attention", "vector"))  # keep neighbouring labels apart
        ax.annotate(k.name, (k.intensity, k.achieved / 1e9), textcoords="offset points",
                    xytext=(6, -11 if below else 4), fontsize=7)  # fmt: skip
    ax.set_xlabel("arithmetic intensity (FLOP per byte moved)")
    ax.set_ylabel("GFLOP/s")
    title = f"{m.description}, torch {m.torch_version.split('+')[0]}, measured {m.measured_at}"
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="major")
    ax.legend(fontsize=7, loc="lower right")
    return fig
