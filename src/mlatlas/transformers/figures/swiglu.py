"""Figures for the SwiGLU chapter."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.swiglu import silu


def activations_and_gate():
    """SiLU next to ReLU and GELU, and the gated product SiLU(a)·b that SwiGLU computes per feature."""
    x = torch.linspace(-4, 4, 401, dtype=torch.float64)
    fig, (a, b) = new_figure(1, 2, width=8.4, height=3.2)
    a.plot(x, F.relu(x), color=PALETTE[7], label="ReLU")
    a.plot(x, F.gelu(x), color=PALETTE[1], linestyle="--", label="GELU")
    a.plot(x, silu(x), color=PALETTE[0], label="SiLU = x·σ(x)")
    a.set_xlabel("pre-activation")
    a.legend()
    a.grid(True)
    a.set_title("the gate's nonlinearity")
    grid = torch.linspace(-3, 3, 121, dtype=torch.float64)
    gate, up = torch.meshgrid(grid, grid, indexing="ij")
    im = b.imshow((silu(gate) * up).numpy(), origin="lower", extent=(-3, 3, -3, 3), cmap="coolwarm")
    b.set_xlabel("up  x·V")
    b.set_ylabel("gate  x·W")
    b.set_title("SiLU(x·W) · (x·V)")
    fig.colorbar(im, ax=b, shrink=0.8)
    return fig
