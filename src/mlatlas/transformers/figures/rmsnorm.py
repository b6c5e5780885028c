"""Figures for the RMSNorm chapter."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.rmsnorm import rms_norm


def scale_and_shift():
    """Both norms ignore a rescaling of the input; only LayerNorm also ignores a shift."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, generator=g, dtype=torch.float64)
    ref_rms, ref_ln = rms_norm(x), F.layer_norm(x, (16,))
    factors = torch.logspace(-2, 2, 41, dtype=torch.float64)
    shifts = torch.linspace(-3, 3, 41, dtype=torch.float64)
    fig, (a, b) = new_figure(1, 2, width=8.4, height=3.0)
    a.plot(
        factors,
        [(rms_norm(s * x) - ref_rms).norm().item() for s in factors],
        color=PALETTE[0],
        label="RMSNorm",
    )
    a.plot(
        factors,
        [(F.layer_norm(s * x, (16,)) - ref_ln).norm().item() for s in factors],
        color=PALETTE[1],
        linestyle="--",
        label="LayerNorm",
    )
    a.set_xscale("log")
    a.set_ylim(-0.1, 2)
    a.set_xlabel("scale s in s·x")
    a.set_ylabel("change in output (L2)")
    a.set_title("rescaling: both unchanged")
    a.legend()
    b.plot(
        shifts, [(rms_norm(x + s) - ref_rms).norm().item() for s in shifts], color=PALETTE[0], label="RMSNorm"
    )
    b.plot(
        shifts,
        [(F.layer_norm(x + s, (16,)) - ref_ln).norm().item() for s in shifts],
        color=PALETTE[1],
        linestyle="--",
        label="LayerNorm",
    )
    b.set_xlabel("shift c in x + c")
    b.set_title("shifting: only LayerNorm unchanged")
    b.legend()
    return fig
