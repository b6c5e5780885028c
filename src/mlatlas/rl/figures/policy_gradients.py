"""Figures for the policy-gradients chapter."""

from __future__ import annotations

import numpy as np
import torch

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.rl.policy_gradients import (
    enumerate_trajectories,
    exact_gradient,
    finite_horizon_values,
    log_policy,
    optimal_return,
    reinforce,
    reinforce_estimate,
    small_mdp,
)


def estimator_error_and_training():
    """Top: exact distribution of one REINFORCE component, with and without a baseline. Bottom: J."""
    mdp, horizon, mu0 = small_mdp(), 4, np.full(3, 1 / 3)
    theta = torch.randn(3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    every = enumerate_trajectories(mdp, horizon, mu0)
    exact = exact_gradient(theta, every, mdp.gamma)
    weight = (every.dynamics_prob * log_policy(theta, every.states, every.actions).sum(-1).exp()).numpy()
    fig, (top, bottom) = new_figure(2, 1, width=6.0, height=7.0)
    bins = np.linspace(-2.5, 3.5, 49)
    for label, baseline, colour in (
        ("no baseline", None, PALETTE[1]),
        ("baseline b_t(s) = V_t(s)", finite_horizon_values(mdp, theta, horizon), PALETTE[0]),
    ):
        g = reinforce_estimate(theta, every, mdp.gamma, baseline).per_trajectory[:, 2, 0].numpy()  # (N,)
        top.hist(g, bins=bins, weights=weight, histtype="step", lw=2, color=colour, label=label)
    top.axvline(float(exact[2, 0]), color=PALETTE[3], ls="--", lw=1.5, label="exact ∂J/∂θ[2, 0]")
    top.set_xlabel("one episode's estimate of ∂J/∂θ[2, 0]")
    top.set_ylabel("probability")
    top.set_title("the estimator's exact distribution (all 1296 episodes)")
    top.legend(fontsize=9)
    best = optimal_return(mdp, horizon, mu0)
    for use, colour in ((False, PALETTE[1]), (True, PALETTE[0])):
        result = reinforce(mdp, horizon, mu0, steps=80, batch=64, use_baseline=use, seed=0)
        bottom.plot(best - result.objective, color=colour, label="with baseline" if use else "no baseline")
    bottom.set_yscale("log")
    bottom.set_xlabel("update (64 episodes each)")
    bottom.set_ylabel("optimal J − J(θ)")
    bottom.set_title("training the softmax policy with Adam")
    bottom.legend()
    return fig
