"""REINFORCE against the exact policy gradient computed by enumerating every trajectory."""

import numpy as np
import pytest
import torch

from mlatlas.foundations.softmax import log_softmax
from mlatlas.rl.policy_gradients import (
    enumerate_trajectories,
    estimator_moments,
    exact_gradient,
    expected_return,
    finite_horizon_values,
    optimal_return,
    reinforce,
    reinforce_estimate,
    reward_to_go,
    sample_trajectories,
    score,
    small_mdp,
)
from mlatlas.verification import verifies

TOL = 1e-12  # float64: sums of ~1300 terms of size <= 10
HORIZON = 4
MU0 = np.full(3, 1 / 3)


def setting(seed):
    mdp = small_mdp(seed)
    theta = torch.randn(3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    return mdp, theta, enumerate_trajectories(mdp, HORIZON, MU0)


@verifies(
    "policy-gradients",
    against="exact gradient by enumeration",
    tol=TOL,
    note="float64; the REINFORCE estimator's mean over all 1296 trajectories vs autograd of the "
    "enumerated J, with and without a baseline, 4 random MDPs",
)
@pytest.mark.parametrize("seed", range(4))
def test_reinforce_is_unbiased_with_and_without_a_baseline(seed):
    mdp, theta, every = setting(seed)
    exact = exact_gradient(theta, every, mdp.gamma)
    mean, _ = estimator_moments(theta, every, mdp.gamma)
    torch.testing.assert_close(mean, exact, rtol=0, atol=TOL)
    arbitrary = torch.randn(HORIZON, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(99))
    mean_b, _ = estimator_moments(theta, every, mdp.gamma, arbitrary)  # any b_t(s) leaves the mean alone
    torch.testing.assert_close(mean_b, exact, rtol=0, atol=TOL)


def test_dropping_the_discount_on_the_score_biases_the_estimate():
    mdp, theta, every = setting(0)
    exact = exact_gradient(theta, every, mdp.gamma)
    weight = every.dynamics_prob * torch.exp(
        log_softmax(theta, dim=-1)[every.states, every.actions].sum(-1)
    )  # p(tau)
    undiscounted = reinforce_estimate(theta, every, mdp.gamma, discount_score=False).per_trajectory
    biased = (weight[:, None, None] * undiscounted).sum(0)
    assert (biased - exact).abs().max() > 0.01


def test_the_enumeration_is_a_distribution_and_j_matches_the_values():
    mdp, theta, every = setting(1)
    p = every.dynamics_prob * torch.exp(log_softmax(theta, dim=-1)[every.states, every.actions].sum(-1))
    torch.testing.assert_close(p.sum(), torch.tensor(1.0, dtype=torch.float64), rtol=0, atol=TOL)
    V = finite_horizon_values(mdp, theta, HORIZON)
    J = expected_return(theta, every, mdp.gamma)
    torch.testing.assert_close(J, torch.as_tensor(MU0) @ V[0], rtol=0, atol=TOL)


def test_softmax_score_matches_autograd():
    _, theta, every = setting(2)
    states, actions = every.states[:5], every.actions[:5]
    ours = score(theta, states, actions)  # (5, H, S, A)
    for n in range(5):
        for t in range(HORIZON):
            th = theta.clone().requires_grad_(True)
            (g,) = torch.autograd.grad(log_softmax(th, dim=-1)[states[n, t], actions[n, t]], th)
            torch.testing.assert_close(ours[n, t], g, rtol=0, atol=TOL)


def test_reward_to_go_by_hand():
    G = reward_to_go(torch.tensor([[1.0, 0.0, 2.0]], dtype=torch.float64), 0.5)
    torch.testing.assert_close(G, torch.tensor([[1.5, 1.0, 2.0]], dtype=torch.float64), rtol=0, atol=TOL)


def test_sampled_mean_agrees_with_the_exact_gradient():
    mdp, theta, every = setting(0)
    exact = exact_gradient(theta, every, mdp.gamma)
    traj = sample_trajectories(mdp, theta, HORIZON, MU0, 20_000, torch.Generator().manual_seed(0))
    per = reinforce_estimate(theta, traj, mdp.gamma).per_trajectory  # (N, S, A)
    z = (per.mean(0) - exact) / (per.std(0) / per.shape[0] ** 0.5)
    assert z.abs().max() < 4.0  # 4 standard errors: a false alarm has probability ~4e-4 over 6 entries


def test_the_value_baseline_halves_the_variance():
    mdp, _, every = setting(3)  # the demo's setting: small_mdp() (seed 3), theta drawn with seed 0
    theta = torch.randn(3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    _, var = estimator_moments(theta, every, mdp.gamma)
    _, var_b = estimator_moments(theta, every, mdp.gamma, finite_horizon_values(mdp, theta, HORIZON))
    assert (round(float(var), 3), round(float(var_b), 3)) == (1.619, 0.823)  # quoted on the page
    assert var_b < 0.6 * var


def test_reinforce_approaches_the_optimal_return():
    mdp = small_mdp()
    best = optimal_return(mdp, HORIZON, MU0)
    result = reinforce(mdp, HORIZON, MU0, steps=120, batch=64, seed=0)
    assert result.objective[-1] > best - 0.03  # starts 1.95 below; seed 0 ends about 0.01 below
    assert result.objective[-1] <= best + TOL  # a stationary policy cannot beat backward induction


def test_bad_arguments_are_rejected():
    mdp = small_mdp()
    with pytest.raises(ValueError, match="horizon must be at least 1"):
        enumerate_trajectories(mdp, 0, MU0)
    with pytest.raises(ValueError, match="mu0 must be a distribution"):
        enumerate_trajectories(mdp, 2, np.ones(3))
