"""Figures for the looped-transformers chapter."""

from __future__ import annotations

import torch

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.looped_transformers import LoopedConfig, LoopedTransformer, block_parameters


def parameters_and_states():
    """Left: parameters vs depth, looped vs untied (C = 256). Right: how far each loop moves the state."""
    fig, (ax_p, ax_s) = new_figure(1, 2, width=8.0, height=3.3)
    depths = list(range(1, 25))
    per_block = block_parameters(256)
    ax_p.plot(depths, [d * per_block / 1e6 for d in depths], color=PALETTE[1], label="untied: L blocks")
    ax_p.plot(depths, [per_block / 1e6 for _ in depths], color=PALETTE[0], label="looped: 1 block")
    ax_p.set_xlabel("depth L (block applications)")
    ax_p.set_ylabel("parameters (millions)")
    ax_p.set_title("same compute, 1/L of the weights")
    ax_p.legend()
    torch.manual_seed(0)
    for i, injection in enumerate((False, True)):
        model = LoopedTransformer(
            LoopedConfig(width=32, num_heads=4, num_loops=24, input_injection=injection)
        )
        x = torch.randn(4, 16, 32, generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            _, states = model(x, return_all=True)
        steps = [(b - a).norm().item() / a.norm().item() for a, b in zip(states[:-1], states[1:])]
        ax_s.plot(
            range(1, len(steps) + 1),
            steps,
            color=PALETTE[2 + i],
            label="with input injection" if injection else "plain loop",
        )
    ax_s.set_xlabel("loop l")
    ax_s.set_ylabel(r"$\|h_{l}-h_{l-1}\| \,/\, \|h_{l-1}\|$")
    ax_s.set_title("an untrained loop: relative update size")
    ax_s.legend()
    return fig
