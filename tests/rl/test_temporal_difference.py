"""TD(0), SARSA and Q-learning against the values computed by dynamic programming."""

import numpy as np
import pytest

from mlatlas.rl.markov_decision_processes import (
    evaluate_policy,
    frozenlake,
    gridworld,
    q_values,
    value_iteration,
)
from mlatlas.rl.temporal_difference import MDPEnv, epsilon_greedy, frozenlake_env, q_learning, sarsa, td0
from mlatlas.verification import verifies

EXACT = 1e-10  # float64, for values computed by a linear solve
GRID_Q_MARGIN = 0.07  # seed 0 measures 0.045 after 1000 episodes; sampling noise, not a float tolerance
LAKE_Q_MARGIN = 0.12  # seed 0 measures 0.090 after 3000 gymnasium episodes


@pytest.fixture(scope="module")
def grid():
    mdp = gridworld()
    vi = value_iteration(mdp)
    return mdp, vi, q_values(mdp, vi.V), ~mdp.terminal


@verifies(
    "temporal-difference-learning",
    against="value iteration",
    tol=GRID_Q_MARGIN,
    note="max |Q - Q*| of Q-learning on the 4x3 gridworld, 1000 episodes, seed 0 (0.045); "
    "its greedy policy's exact value equals V* to 1e-10",
)
def test_q_learning_converges_to_q_star(grid):
    mdp, vi, q_star, live = grid
    result = q_learning(
        MDPEnv(mdp), 11, 4, gamma=0.9, episodes=1000, alpha=1.0, decay=0.8, epsilon=1.0, seed=0
    )
    error = np.abs(result.table - q_star)[live].max()
    assert error < GRID_Q_MARGIN
    assert round(error, 3) == 0.045  # the value the page quotes
    greedy_value = evaluate_policy(mdp, result.table.argmax(axis=1))
    np.testing.assert_allclose(greedy_value, vi.V, rtol=0, atol=EXACT)


@verifies(
    "temporal-difference-learning",
    against="exact Bellman linear solve",
    tol=0.05,
    note="max |V - v_pi| of TD(0) for the uniform random policy on the gridworld, 1000 episodes, seed 0",
)
def test_td0_evaluates_the_random_policy(grid):
    mdp, _, _, live = grid
    uniform = np.full(mdp.R.shape, 0.25)
    result = td0(MDPEnv(mdp), uniform, 11, gamma=0.9, episodes=1000, alpha=1.0, decay=0.8, seed=0)
    error = np.abs(result.table - evaluate_policy(mdp, uniform))[live].max()
    assert error < 0.05  # sampling noise margin; seed 0 measures about half of it


def test_sarsa_learns_the_value_of_the_policy_it_follows(grid):
    mdp, _, q_star, live = grid
    epsilon = 0.3
    result = sarsa(
        MDPEnv(mdp), 11, 4, gamma=0.9, episodes=1500, alpha=1.0, decay=0.8, epsilon=epsilon, seed=0
    )
    soft = np.full(mdp.R.shape, epsilon / 4)
    soft[np.arange(11), result.table.argmax(axis=1)] += 1 - epsilon  # its own epsilon-greedy policy
    q_soft = q_values(mdp, evaluate_policy(mdp, soft))
    assert np.abs(result.table - q_soft)[live].mean() < 0.07  # seed 0: 0.047
    assert round(np.abs(result.table - q_soft)[live].mean(), 3) == 0.047  # the value the page quotes
    assert round((q_star - result.table)[live].mean(), 3) == 0.176  # the value the page quotes
    assert (q_star - result.table)[
        live
    ].mean() > 0.1  # seed 0: 0.176 below Q*, as on-policy learning should be


@verifies(
    "temporal-difference-learning",
    against="gymnasium FrozenLake",
    tol=LAKE_Q_MARGIN,
    note="max |Q - Q*| of Q-learning on gymnasium's slippery FrozenLake-v1 4x4, 3000 episodes (0.090)",
)
def test_q_learning_on_gymnasium_frozenlake():
    lake = frozenlake()
    q_star = q_values(lake, value_iteration(lake).V)
    result = q_learning(
        frozenlake_env(), 16, 4, gamma=0.95, episodes=3000, alpha=1.0, decay=0.8, epsilon=1.0, seed=0
    )
    error = np.abs(result.table - q_star)[~lake.terminal].max()
    assert error < LAKE_Q_MARGIN
    assert round(error, 3) == 0.090  # the value the page quotes


class OneStep:
    """A single state 0 paying reward 1 per step and returning to itself; the episode ends (or is cut off)."""

    def __init__(self, terminated):
        self.terminated = terminated

    def reset(self, seed=None):
        return 0, {}

    def step(self, action):
        return 0, 1.0, self.terminated, not self.terminated, {}


def test_terminated_drops_the_bootstrap_but_truncated_keeps_it():
    policy = np.array([[1.0]])
    ended = td0(OneStep(terminated=True), policy, 1, gamma=0.5, episodes=2, alpha=0.5)
    np.testing.assert_allclose(ended.table, [0.75], rtol=0, atol=EXACT)  # 0.5 * 1, then 0.5 + 0.5 * (1 - 0.5)
    cut = td0(OneStep(terminated=False), policy, 1, gamma=0.5, episodes=2, alpha=0.5)
    np.testing.assert_allclose(
        cut.table, [0.875], rtol=0, atol=EXACT
    )  # 0.5, then 0.5 + 0.5 * (1 + 0.25 - 0.5)
    q = q_learning(OneStep(terminated=False), 1, 1, gamma=0.5, episodes=2, alpha=0.5, epsilon=0.0)
    np.testing.assert_allclose(q.table, [[0.875]], rtol=0, atol=EXACT)


def test_epsilon_greedy_breaks_ties_at_random_and_explores():
    rng = np.random.default_rng(0)
    q = np.array([1.0, 3.0, 3.0, 0.0])
    picks = np.array([epsilon_greedy(q, 0.0, rng) for _ in range(2000)])
    assert set(picks) == {1, 2} and abs((picks == 1).mean() - 0.5) < 0.05  # 4.5 sd of a fair coin
    explore = np.array([epsilon_greedy(q, 1.0, rng) for _ in range(4000)])
    np.testing.assert_allclose(np.bincount(explore, minlength=4) / 4000, 0.25, atol=0.03)  # ~4 sd


def test_bad_arguments_are_rejected(grid):
    env = MDPEnv(grid[0])
    with pytest.raises(ValueError, match="gamma must be in"):
        q_learning(env, 11, 4, gamma=1.5, episodes=1)
    with pytest.raises(ValueError, match="alpha must be positive"):
        sarsa(env, 11, 4, gamma=0.9, episodes=1, alpha=0.0)
    with pytest.raises(ValueError, match="episodes must be at least 1"):
        td0(env, np.full((11, 4), 0.25), 11, gamma=0.9, episodes=0)
