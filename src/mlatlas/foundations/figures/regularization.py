"""Figures for the regularization chapter: L2 against decoupled decay, and the geometry of clipping."""

from __future__ import annotations

import numpy as np
import torch

from mlatlas.foundations.regularization import clip_grad_norm, clip_grad_value, compare_weight_decay
from mlatlas.plotting import PALETTE, new_figure


def weight_decay_paths():
    """Adam + L2 against AdamW on f = ½ Σ s_i (w_i − 1)², s = (10, 0.1), λ = 0.5."""
    c = compare_weight_decay(num_steps=3000)
    steps = np.arange(c.adam_l2.shape[0])
    fig, ax = new_figure(width=6.4, height=3.4)
    coordinates = [("steep coordinate, s = 10", "-"), ("flat coordinate, s = 0.1", "--")]
    for i, (label, style) in enumerate(coordinates):
        ax.plot(steps, c.adam_l2[:, i].numpy(), style, color=PALETTE[0], label=f"Adam + L2: {label}")
        ax.plot(steps, c.adamw[:, i].numpy(), style, color=PALETTE[1], label=f"AdamW: {label}")
        ax.axhline(c.l2_fixed_point[i].item(), color=PALETTE[7], linewidth=0.8, linestyle=":")
    ax.text(3000, c.l2_fixed_point[1].item() + 0.02, "L2 minimiser  s/(s+λ)", ha="right", fontsize=8)
    ax.set_xlabel("step")
    ax.set_ylabel("weight")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7, loc="center right")
    return fig


def clipping_geometry():
    """A gradient, its norm-clipped version (same direction) and its value-clipped version (turned)."""
    fig, ax = new_figure(width=4.6, height=4.0)
    g = torch.tensor([3.0, 0.8], dtype=torch.float64)
    by_norm = clip_grad_norm([g], 1.0).grads[0].numpy()
    by_value = clip_grad_value([g], 1.0)[0].numpy()
    theta = np.linspace(0, 2 * np.pi, 200)
    ax.plot(np.cos(theta), np.sin(theta), color=PALETTE[0], linewidth=1, label="norm ≤ 1")
    ax.plot([-1, 1, 1, -1, -1], [-1, -1, 1, 1, -1], color=PALETTE[1], linewidth=1, label="|each value| ≤ 1")
    for vec, colour, label in [(g.numpy(), PALETTE[7], "raw gradient"), (by_norm, PALETTE[0], "clip by norm"),
                               (by_value, PALETTE[1], "clip by value")]:  # fmt: skip
        ax.annotate("", xy=vec, xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": colour, "lw": 2})
        ax.plot([], [], color=colour, linewidth=2, label=label)
    ax.set_aspect("equal")
    ax.set_xlim(-1.3, 3.3)
    ax.set_ylim(-1.3, 1.6)
    ax.grid(True)
    ax.legend(fontsize=7, loc="lower right")
    return fig
