"""Value and policy iteration against the exact linear solve of the Bellman equation."""

import itertools

import numpy as np
import pytest
import scipy.linalg

from mlatlas.rl.markov_decision_processes import (
    MDP,
    evaluate_policy,
    frozenlake,
    gridworld,
    policy_iteration,
    q_values,
    value_iteration,
)
from mlatlas.verification import verifies

TOL = 1e-10  # float64; value iteration stops at a change of 1e-12, error <= 1e-12 gamma / (1 - gamma)


def exact_values(mdp, policy):
    """v_pi = (I - gamma P_pi)^-1 r_pi, with P_pi and r_pi assembled by explicit loops, solved by SciPy."""
    S = len(policy)
    P_pi = np.zeros((S, S))
    r_pi = np.zeros(S)
    for s in range(S):
        for s_next in range(S):
            P_pi[s, s_next] = mdp.P[s, policy[s], s_next]
        r_pi[s] = mdp.R[s, policy[s]]
    return scipy.linalg.solve(np.eye(S) - mdp.gamma * P_pi, r_pi)


def random_mdp(seed, S=4, A=2, gamma=0.8):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(S), size=(S, A))
    R = rng.normal(size=(S, A))
    return MDP(P, R, gamma, np.zeros(S, dtype=bool))


@verifies(
    "markov-decision-processes",
    against="exact Bellman linear solve",
    tol=TOL,
    note="float64; value and policy iteration on the 4x3 gridworld and FrozenLake 4x4 vs scipy.linalg.solve",
)
@pytest.mark.parametrize("make", [gridworld, frozenlake])
def test_value_and_policy_iteration_match_the_linear_solve(make):
    mdp = make()
    vi = value_iteration(mdp)
    pi = policy_iteration(mdp)
    np.testing.assert_allclose(vi.V, exact_values(mdp, vi.policy), rtol=0, atol=TOL)
    np.testing.assert_allclose(pi.V, exact_values(mdp, pi.policy), rtol=0, atol=TOL)
    np.testing.assert_allclose(vi.V, pi.V, rtol=0, atol=TOL)
    # V* is a fixed point of the Bellman optimality operator
    np.testing.assert_allclose(q_values(mdp, vi.V).max(axis=1), vi.V, rtol=0, atol=TOL)


@pytest.mark.parametrize("seed", range(5))
def test_optimal_value_is_the_best_of_all_deterministic_policies(seed):
    mdp = random_mdp(seed)
    S, A = mdp.R.shape
    every = np.array([exact_values(mdp, np.array(p)) for p in itertools.product(range(A), repeat=S)])
    best = every.max(axis=0)  # one policy attains the maximum in every state at once
    np.testing.assert_allclose(value_iteration(mdp).V, best, rtol=0, atol=TOL)
    assert np.any(np.all(np.abs(every - best) < TOL, axis=1))


def test_stochastic_policy_evaluation_matches_the_series():
    mdp = gridworld()
    S, A = mdp.R.shape
    uniform = np.full((S, A), 1 / A)
    P_pi = np.einsum("sa,sat->st", uniform, mdp.P)
    r_pi = (uniform * mdp.R).sum(1)
    series = sum(np.linalg.matrix_power(mdp.gamma * P_pi, k) @ r_pi for k in range(400))  # sum_k (gP)^k r
    np.testing.assert_allclose(evaluate_policy(mdp, uniform), series, rtol=0, atol=TOL)


@pytest.mark.parametrize("make", [gridworld, frozenlake])
def test_value_iteration_error_shrinks_geometrically(make):
    mdp = make()
    errors = value_iteration(mdp).errors
    ratios = errors[1:] / errors[:-1]
    assert np.all(ratios <= mdp.gamma + 1e-9)  # the Bellman operator is a gamma-contraction in sup-norm


def test_gridworld_and_frozenlake_are_valid_mdps():
    for mdp in (gridworld(), frozenlake()):
        np.testing.assert_allclose(mdp.P.sum(axis=2), 1.0, rtol=0, atol=1e-12)
    g = gridworld()
    assert g.P.shape == (11, 4, 11) and g.terminal.sum() == 2
    lake = frozenlake()
    assert lake.P.shape == (16, 4, 16) and lake.terminal.sum() == 5  # 4 holes and the goal
    # from the cell left of the goal, "right" reaches it with probability 1/3 on the slippery lake
    np.testing.assert_allclose(lake.R[14, 2], 1 / 3, rtol=0, atol=1e-12)


def test_bad_mdps_are_rejected():
    mdp = random_mdp(0)
    with pytest.raises(ValueError, match="gamma must be in"):
        value_iteration(mdp._replace(gamma=1.0))
    with pytest.raises(ValueError, match="probability distribution"):
        value_iteration(mdp._replace(P=mdp.P * 2))
    with pytest.raises(ValueError, match="R must have shape"):
        policy_iteration(mdp._replace(R=mdp.R[:, :1]))
    with pytest.raises(ValueError, match="slip must be"):
        gridworld(slip=1.5)


def test_numbers_quoted_on_the_page():
    mdp = gridworld()
    vi = value_iteration(mdp)
    start = 7  # bottom-left cell: states number the 11 non-wall cells row by row
    assert round(vi.V[start], 2) == 0.55
    assert round(vi.V[2], 2) == 0.94  # next to the +1 exit (figure's alt text)
    assert vi.policy[5] == 3 and vi.policy[10] == 0  # left of -1: up; bottom right: left, away from -1
    assert len(vi.errors) == 39  # sweeps to a change below 1e-12
    assert policy_iteration(mdp).iterations == 7  # policies evaluated, the last one unchanged
    lake = frozenlake()
    assert round(value_iteration(lake).V[0], 2) == 0.18  # FrozenLake's start, gamma = 0.95
    assert len(value_iteration(lake).errors) == 297
