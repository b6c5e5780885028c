"""Figures for the markov-decision-processes chapter."""

from __future__ import annotations

import numpy as np

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.rl.markov_decision_processes import GRID, MOVES, frozenlake, gridworld, value_iteration


def gridworld_values_and_convergence():
    """Top: V* and greedy actions on the 4x3 gridworld. Bottom: value iteration's error per sweep."""
    mdp = gridworld()
    vi = value_iteration(mdp)
    fig, (top, bottom) = new_figure(2, 1, width=6.0, height=7.0, gridspec_kw={"height_ratios": [1.1, 1]})
    cells = [(r, c) for r, row in enumerate(GRID) for c, ch in enumerate(row) if ch != "#"]
    values = np.full((len(GRID), len(GRID[0])), np.nan)
    for s, (r, c) in enumerate(cells):
        values[r, c] = vi.V[s]
    top.imshow(values, cmap="RdBu", vmin=-1, vmax=1)
    for s, (r, c) in enumerate(cells):
        label = f"{vi.V[s]:+.2f}" if not mdp.terminal[s] else ("+1" if GRID[r][c] == "+" else "−1")
        ink = "white" if abs(vi.V[s]) > 0.7 else "black"
        top.text(c, r + 0.28, label, ha="center", va="center", fontsize=11, color=ink)
        if not mdp.terminal[s]:
            dr, dc = MOVES[vi.policy[s]]
            top.annotate(
                "",
                xy=(c + 0.3 * dc, r - 0.1 + 0.3 * dr),
                xytext=(c - 0.3 * dc, r - 0.1 - 0.3 * dr),
                arrowprops={"arrowstyle": "->", "lw": 2, "color": ink},
            )
    top.text(1, 1, "wall", ha="center", va="center", fontsize=11)
    top.set_xticks([])
    top.set_yticks([])
    top.set_title("4x3 gridworld: V* and the greedy policy (γ = 0.9, slip 0.2)")
    for name, m, colour in (
        ("gridworld, γ = 0.9", mdp, PALETTE[0]),
        ("FrozenLake 4x4, γ = 0.95", frozenlake(), PALETTE[1]),
    ):
        errors = value_iteration(m).errors
        k = np.arange(1, len(errors) + 1)
        bottom.semilogy(k, errors, color=colour, label=name)
        bottom.semilogy(k, errors[0] * m.gamma ** (k - 1), ls="--", lw=1, color=colour)
    bottom.set_xlabel("sweep k")
    bottom.set_ylabel("max |v_k − v_{k−1}|")
    bottom.set_title("value iteration (solid) and the γ^(k−1) bound (dashed)")
    bottom.legend()
    return fig
