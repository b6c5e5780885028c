"""Figures for the actor-critic-and-ppo chapter."""

from __future__ import annotations

import numpy as np
import torch

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.rl.ppo import clipped_surrogate, gae


def clipped_objective_and_gae_weights():
    """Top: PPO's clipped objective for one sample against the ratio. Bottom: GAE's weights."""
    fig, (top, bottom) = new_figure(2, 1, width=6.0, height=7.0)
    ratio = torch.linspace(0.01, 2.0, 200, dtype=torch.float64)
    old = torch.zeros(200, dtype=torch.float64)
    for adv, colour in ((1.0, PALETTE[0]), (-1.0, PALETTE[1])):
        a = torch.full((200,), adv, dtype=torch.float64)
        # clipped_surrogate averages over samples; one sample at a time gives the curve
        values = [
            float(clipped_surrogate(ratio.log()[i : i + 1], old[:1], a[:1], clip=0.2)) for i in range(200)
        ]
        top.plot(ratio, values, color=colour, label=f"A = {adv:+.0f}")
        top.plot(ratio, ratio * adv, color=colour, ls=":", lw=1)
    for x in (0.8, 1.0, 1.2):
        top.axvline(x, color=PALETTE[7], lw=0.8, ls="--")
    top.set_xlabel("ratio ρ = π(a|s) / π_old(a|s)")
    top.set_ylabel("min(ρA, clip(ρ, 0.8, 1.2) A)")
    top.set_title("PPO's clipped objective, ε = 0.2 (dotted: ρA)")
    top.legend()
    T, gamma = 40, 0.99
    zeros = torch.zeros(T, 1, dtype=torch.float64)
    for lam, colour in ((0.0, PALETTE[3]), (0.5, PALETTE[2]), (0.95, PALETTE[0]), (1.0, PALETTE[4])):
        weights = []
        for k in range(T):  # with V = 0, delta_t = r_t: a unit TD error at step k gives its weight in A_0
            rewards = zeros.clone()
            rewards[k] = 1.0
            weights.append(float(gae(rewards, zeros, zeros, zeros, zeros, gamma, lam).advantages[0, 0]))
        bottom.plot(np.arange(T), weights, marker="o", ms=3, color=colour, label=f"λ = {lam}")
    bottom.set_xlabel("l, steps ahead")
    bottom.set_ylabel("weight of δ_{t+l} in A_t")
    bottom.set_title("GAE weights (γλ)^l, γ = 0.99")
    bottom.legend()
    return fig
