"""Temporal-difference learning: TD(0), SARSA and Q-learning, tabular.

Papers: Sutton (1988), "Learning to Predict by the Methods of Temporal Differences", Machine Learning
3:9-44 (TD(0)); Rummery, Niranjan (1994), "On-line Q-learning using connectionist systems" (SARSA);
Watkins (1989), "Learning from Delayed Rewards", PhD thesis (Q-learning), with the convergence proof in
Watkins, Dayan (1992), "Q-learning", Machine Learning 8:279-292.
Replace the expectation in the Bellman equation by one sampled transition and move the estimate a
step towards it; Q-learning's target takes the max, so it learns Q* while behaving exploratorily.

Updates (Sutton & Barto 2018, eqs. 6.2, 6.7, 6.8)::

    TD(0):      V(s)    += alpha [ r + gamma V(s')          - V(s)    ]
    SARSA:      Q(s, a) += alpha [ r + gamma Q(s', a')      - Q(s, a) ]
    Q-learning: Q(s, a) += alpha [ r + gamma max_b Q(s', b) - Q(s, a) ]

The bootstrap term is dropped when s' is terminal (the episode *ended*) and kept when the episode
was only cut off by a time limit (truncated): that state still had a future. Shapes: S states,
A actions. Environments follow gymnasium's API: reset(seed=) -> (s, info), step(a) -> (s', r,
terminated, truncated, info).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mlatlas.rl.markov_decision_processes import MDP


class MDPEnv:
    """A gymnasium-style environment that samples transitions from MDP arrays.

    It pays the expected reward R(s, a) of each step: the values and Q-values of every policy depend
    only on expected rewards, so they are those of the MDP.
    """

    def __init__(self, mdp: MDP, start: int | None = None, max_steps: int = 100):
        """start=None draws each episode's first state uniformly from the non-terminal ones."""
        self.mdp, self.start, self.max_steps = mdp, start, max_steps
        self.rng = np.random.default_rng(0)
        self.cdf = np.cumsum(mdp.P, axis=2)  # (S, A, S), for inverse-CDF sampling of s'
        self.starts = np.flatnonzero(~mdp.terminal) if start is None else np.array([start])
        self.state, self.t = int(self.starts[0]), 0

    def reset(self, seed: int | None = None) -> tuple[int, dict]:
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.state, self.t = int(self.starts[self.rng.integers(len(self.starts))]), 0
        return self.state, {}

    def step(self, action: int) -> tuple[int, float, bool, bool, dict]:
        s = self.state
        s_next = min(
            int(np.searchsorted(self.cdf[s, action], self.rng.random(), side="right")), len(self.cdf) - 1
        )
        self.state, self.t = s_next, self.t + 1
        return (
            s_next,
            float(self.mdp.R[s, action]),
            bool(self.mdp.terminal[s_next]),
            self.t >= self.max_steps,
            {},
        )


class TDResult(NamedTuple):
    table: np.ndarray  # V (S,) for TD(0), Q (S, A) for SARSA and Q-learning
    returns: np.ndarray  # (episodes,) undiscounted return of each training episode
    visits: np.ndarray  # how often each entry of the table was updated
    errors: np.ndarray  # (episodes,) max |table - reference| after each episode (empty without one)


def epsilon_greedy(q: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    """A random action with probability epsilon, else a greedy one (ties broken at random)."""
    if rng.random() < epsilon:
        return int(rng.integers(len(q)))
    best = np.flatnonzero(q == q.max())
    return int(best[0]) if len(best) == 1 else int(best[rng.integers(len(best))])


def _step_size(alpha: float, decay: float, n: float) -> float:
    """alpha / n^decay for the n-th update of an entry: decay in (0.5, 1] meets Robbins-Monro's conditions."""
    return alpha / n**decay


def _check(gamma: float, alpha: float, episodes: int) -> None:
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must be in [0, 1], got {gamma}")
    if alpha <= 0:
        raise ValueError(f"alpha must be positive, got {alpha}")
    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}")


def td0(
    env,
    policy: np.ndarray,
    num_states: int,
    *,
    gamma: float,
    episodes: int,
    alpha: float = 0.5,
    decay: float = 0.0,
    seed: int = 0,
    reference: np.ndarray | None = None,
) -> TDResult:
    """TD(0) evaluation of a stochastic policy (S, A): V(s) += alpha [r + gamma V(s') - V(s)] (eq. 6.2)."""
    _check(gamma, alpha, episodes)
    rng = np.random.default_rng(seed)
    errors: list[float] = []
    V, visits, returns = np.zeros(num_states), np.zeros(num_states), np.zeros(episodes)
    cdf = np.cumsum(policy, axis=1)  # (S, A), inverse-CDF sampling of a ~ pi(.|s)
    for episode in range(episodes):
        s, _ = env.reset(seed=seed + episode)
        done = False
        while not done:
            a = min(int(np.searchsorted(cdf[s], rng.random(), side="right")), policy.shape[1] - 1)
            s_next, r, terminated, truncated, _ = env.step(a)
            target = r + (0.0 if terminated else gamma * V[s_next])  # no future after a terminal state
            visits[s] += 1
            V[s] += _step_size(alpha, decay, visits[s]) * (target - V[s])  # TD error delta = target - V(s)
            returns[episode] += r
            s, done = s_next, terminated or truncated
        errors.append(np.abs(V - reference).max() if reference is not None else np.nan)
    return TDResult(V, returns, visits, np.array(errors if reference is not None else []))


def sarsa(
    env,
    num_states: int,
    num_actions: int,
    *,
    gamma: float,
    episodes: int,
    alpha: float = 0.5,
    decay: float = 0.0,
    epsilon: float = 0.1,
    seed: int = 0,
    reference: np.ndarray | None = None,
) -> TDResult:
    """On-policy control: learn Q of the epsilon-greedy policy it follows (eq. 6.7)."""
    _check(gamma, alpha, episodes)
    rng = np.random.default_rng(seed)
    errors: list[float] = []
    Q, visits, returns = (
        np.zeros((num_states, num_actions)),
        np.zeros((num_states, num_actions)),
        np.zeros(episodes),
    )
    for episode in range(episodes):
        s, _ = env.reset(seed=seed + episode)
        a = epsilon_greedy(Q[s], epsilon, rng)
        done = False
        while not done:
            s_next, r, terminated, truncated, _ = env.step(a)
            a_next = epsilon_greedy(Q[s_next], epsilon, rng)  # the action it will actually take
            target = r + (0.0 if terminated else gamma * Q[s_next, a_next])
            visits[s, a] += 1
            Q[s, a] += _step_size(alpha, decay, visits[s, a]) * (target - Q[s, a])
            returns[episode] += r
            s, a, done = s_next, a_next, terminated or truncated
        errors.append(np.abs(Q - reference).max() if reference is not None else np.nan)
    return TDResult(Q, returns, visits, np.array(errors if reference is not None else []))


def q_learning(
    env,
    num_states: int,
    num_actions: int,
    *,
    gamma: float,
    episodes: int,
    alpha: float = 0.5,
    decay: float = 0.0,
    epsilon: float = 0.1,
    seed: int = 0,
    reference: np.ndarray | None = None,
) -> TDResult:
    """Off-policy control: behave epsilon-greedily, learn Q* through the max in the target (eq. 6.8)."""
    _check(gamma, alpha, episodes)
    rng = np.random.default_rng(seed)
    errors: list[float] = []
    Q, visits, returns = (
        np.zeros((num_states, num_actions)),
        np.zeros((num_states, num_actions)),
        np.zeros(episodes),
    )
    for episode in range(episodes):
        s, _ = env.reset(seed=seed + episode)
        done = False
        while not done:
            a = epsilon_greedy(Q[s], epsilon, rng)
            s_next, r, terminated, truncated, _ = env.step(a)
            target = r + (0.0 if terminated else gamma * Q[s_next].max())  # the greedy policy's value
            visits[s, a] += 1
            Q[s, a] += _step_size(alpha, decay, visits[s, a]) * (target - Q[s, a])
            returns[episode] += r
            s, done = s_next, terminated or truncated
        errors.append(np.abs(Q - reference).max() if reference is not None else np.nan)
    return TDResult(Q, returns, visits, np.array(errors if reference is not None else []))


def frozenlake_env(seed: int = 0):
    """gymnasium's slippery FrozenLake 4x4 (time limit 100 steps), seeded."""
    import gymnasium as gym  # only the environment needs gymnasium

    env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=True)
    env.reset(seed=seed)
    return env


def success_rate(env, policy: np.ndarray, episodes: int, seed: int = 0) -> float:
    """Fraction of episodes of a deterministic policy (S,) that end with a positive reward."""
    wins = 0
    for episode in range(episodes):
        s, _ = env.reset(seed=seed + episode)
        done, reward = False, 0.0
        while not done:
            s, reward, terminated, truncated, _ = env.step(int(policy[s]))
            done = terminated or truncated
        wins += reward > 0
    return wins / episodes


def demo(lake_episodes: int = 20_000) -> None:
    """TD(0), SARSA and Q-learning vs dynamic programming (`mlatlas run temporal-difference-learning`)."""
    from mlatlas.rl.markov_decision_processes import (
        evaluate_policy,
        frozenlake,
        gridworld,
        q_values,
        value_iteration,
    )

    grid = gridworld()
    vi = value_iteration(grid)
    q_star, env, live = q_values(grid, vi.V), MDPEnv(grid), ~grid.terminal
    uniform = np.full(grid.R.shape, 0.25)
    td = td0(env, uniform, 11, gamma=0.9, episodes=2000, alpha=1.0, decay=0.8)
    print(
        f"gridworld TD(0), uniform policy, 2000 episodes: max |V - v_pi| = "
        f"{np.abs(td.table - evaluate_policy(grid, uniform))[live].max():.3f}"
    )
    ql = q_learning(env, 11, 4, gamma=0.9, episodes=2000, alpha=1.0, decay=0.8, epsilon=1.0)
    gap = np.abs(evaluate_policy(grid, ql.table.argmax(1)) - vi.V).max()
    print(
        f"gridworld Q-learning, 2000 episodes: max |Q - Q*| = {np.abs(ql.table - q_star)[live].max():.3f}, "
        f"greedy policy's value vs V*: {gap:.1e}"
    )
    sa = sarsa(env, 11, 4, gamma=0.9, episodes=2000, alpha=1.0, decay=0.8, epsilon=0.3)
    soft = np.full(grid.R.shape, 0.3 / 4)
    soft[np.arange(11), sa.table.argmax(1)] += 0.7  # the epsilon-greedy policy SARSA follows
    q_soft = q_values(grid, evaluate_policy(grid, soft))
    print(
        f"gridworld SARSA (epsilon 0.3): mean |Q - Q_eps-greedy| = "
        f"{np.abs(sa.table - q_soft)[live].mean():.3f}, "
        f"mean Q* - Q = {(q_star - sa.table)[live].mean():.3f}"
    )
    lake = frozenlake()
    lake_vi = value_iteration(lake)
    ql = q_learning(
        frozenlake_env(), 16, 4, gamma=0.95, episodes=lake_episodes, alpha=1.0, decay=0.8, epsilon=1.0
    )
    live = ~lake.terminal
    print(
        f"FrozenLake (gymnasium) Q-learning, {lake_episodes} episodes: max |Q - Q*| = "
        f"{np.abs(ql.table - q_values(lake, lake_vi.V))[live].max():.3f}, greedy policy's value vs V*: "
        f"{np.abs(evaluate_policy(lake, ql.table.argmax(1)) - lake_vi.V).max():.1e}"
    )
    rate = success_rate(frozenlake_env(), ql.table.argmax(1), 1000, seed=10_000)
    best = success_rate(frozenlake_env(), lake_vi.policy, 1000, seed=10_000)
    print(f"  reaches the goal in {rate:.1%} of 1000 episodes (value iteration's policy: {best:.1%})")
