"""Figures for the temporal-difference-learning chapter."""

from __future__ import annotations

import numpy as np

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.rl.markov_decision_processes import (
    evaluate_policy,
    frozenlake,
    gridworld,
    q_values,
    value_iteration,
)
from mlatlas.rl.temporal_difference import MDPEnv, frozenlake_env, q_learning, sarsa, td0


def errors_against_dynamic_programming():
    """Largest error of TD(0), SARSA and Q-learning against the exact values, episode by episode."""
    grid = gridworld()
    q_star = q_values(grid, value_iteration(grid).V)
    q_star[grid.terminal] = 0.0
    uniform = np.full(grid.R.shape, 0.25)
    v_pi = evaluate_policy(grid, uniform)
    lake = frozenlake()
    lake_q = q_values(lake, value_iteration(lake).V)
    env, n = MDPEnv(grid), 800
    kw = {"alpha": 1.0, "decay": 0.8, "seed": 0}
    curves = [
        ("TD(0), random policy, vs v_π", td0(env, uniform, 11, gamma=0.9, episodes=n, reference=v_pi, **kw)),
        (
            "Q-learning vs Q*",
            q_learning(env, 11, 4, gamma=0.9, episodes=n, epsilon=1.0, reference=q_star, **kw),
        ),
        (
            "SARSA (ε = 0.3) vs Q*",
            sarsa(env, 11, 4, gamma=0.9, episodes=n, epsilon=0.3, reference=q_star, **kw),
        ),
        (
            "Q-learning on FrozenLake (gymnasium) vs Q*",
            q_learning(frozenlake_env(), 16, 4, gamma=0.95, episodes=n, epsilon=1.0, reference=lake_q, **kw),
        ),
    ]
    fig, ax = new_figure(width=6.4, height=4.2)
    for (label, result), colour in zip(curves, PALETTE, strict=False):
        ax.semilogy(np.arange(1, n + 1), result.errors, color=colour, label=label)
    ax.set_xlabel("episode")
    ax.set_ylabel("largest error over states (and actions)")
    ax.set_title("gridworld unless stated; step size 1 / n^0.8 per entry")
    ax.legend(fontsize=9)
    return fig
