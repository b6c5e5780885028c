"""Markov decision processes: value iteration and policy iteration on a gridworld.

Book: Sutton, Barto (2018), "Reinforcement Learning: An Introduction", 2nd ed., chapters 3-4
(no arXiv id). Value iteration is Bellman (1957); policy iteration is Howard (1960).
A finite MDP is three arrays, P[s, a, s'], R[s, a] and a discount gamma; the value of a policy
solves a linear system, and the optimal value is the fixed point of the Bellman optimality operator.

Bellman expectation equation (Sutton & Barto eq. 3.14), in matrix form for a policy pi::

    v_pi = r_pi + gamma P_pi v_pi   =>   v_pi = (I - gamma P_pi)^-1 r_pi

Bellman optimality equation (eq. 3.19) and value iteration (eq. 4.10)::

    v_{k+1}(s) = max_a [ R(s, a) + gamma sum_s' P(s' | s, a) v_k(s') ]

Shape legend for this book: S states, A actions.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

ACTIONS = ("left", "down", "right", "up")  # FrozenLake's numbering, so both worlds share it
MOVES = ((0, -1), (1, 0), (0, 1), (-1, 0))  # (row, column) step of each action

GRID = (
    "...+",
    ".#.-",
    "....",
)  # Russell & Norvig's 4x3 world: '+' pays +1, '-' pays -1 and both end the episode; '#' is a wall


class MDP(NamedTuple):
    """A finite MDP: transitions P (S, A, S), expected rewards R (S, A), discount, terminal mask (S,)."""

    P: np.ndarray
    R: np.ndarray
    gamma: float
    terminal: np.ndarray


class ValueIterationResult(NamedTuple):
    V: np.ndarray  # (S,) optimal state values
    policy: np.ndarray  # (S,) greedy action per state
    errors: np.ndarray  # (K,) sup-norm change ||v_{k+1} - v_k|| per sweep


class PolicyIterationResult(NamedTuple):
    V: np.ndarray  # (S,)
    policy: np.ndarray  # (S,)
    iterations: int  # number of policies evaluated; the last one was left unchanged by improvement


def check_mdp(mdp: MDP) -> None:
    """Raise a ValueError that says what is wrong when the arrays do not form a valid MDP."""
    P, R = mdp.P, mdp.R
    if P.ndim != 3 or P.shape[0] != P.shape[2]:
        raise ValueError(f"P must have shape (S, A, S), got {P.shape}")
    if R.shape != P.shape[:2]:
        raise ValueError(f"R must have shape (S, A) = {P.shape[:2]}, got {R.shape}")
    if np.any(P < 0) or not np.allclose(P.sum(axis=2), 1.0):
        raise ValueError("each P[s, a, :] must be a probability distribution over next states (sum to 1)")
    if not 0.0 <= mdp.gamma < 1.0:
        raise ValueError(f"gamma must be in [0, 1) so that the Bellman operator contracts, got {mdp.gamma}")


def gridworld(
    grid: tuple[str, ...] = GRID, slip: float = 0.2, gamma: float = 0.9, step_reward: float = 0.0
) -> MDP:
    """The gridworld MDP of a map of strings: '.' free, '#' wall, '+' / '-' terminal with reward +1 / -1.

    An action moves in its direction with probability 1 - slip and to each perpendicular side with
    probability slip / 2; bumping into a wall or the edge leaves the agent in place. Entering a
    terminal cell pays its reward; terminal cells are absorbing with zero reward afterwards.
    States number the non-wall cells row by row.
    """
    if not 0.0 <= slip <= 1.0:
        raise ValueError(f"slip must be a probability in [0, 1], got {slip}")
    cells = [(r, c) for r, row in enumerate(grid) for c, ch in enumerate(row) if ch != "#"]
    index = {cell: s for s, cell in enumerate(cells)}
    S, A = len(cells), len(ACTIONS)
    P = np.zeros((S, A, S))
    R = np.zeros((S, A))
    payoff = {"+": 1.0, "-": -1.0}
    terminal = np.array([grid[r][c] in payoff for r, c in cells])
    for s, (r, c) in enumerate(cells):
        if terminal[s]:
            P[s, :, s] = 1.0  # absorbing, reward 0 from now on
            continue
        for a, _ in enumerate(ACTIONS):
            for b, p in ((a, 1.0 - slip), ((a + 1) % 4, slip / 2), ((a + 3) % 4, slip / 2)):
                dr, dc = MOVES[b]
                s_next = index.get((r + dr, c + dc), s)  # walls and edges: stay put
                P[s, a, s_next] += p
                ch = grid[cells[s_next][0]][cells[s_next][1]]
                R[s, a] += p * (payoff.get(ch, 0.0) + step_reward)  # R(s, a) = E[r | s, a]
    return MDP(P, R, gamma, terminal)


def policy_matrices(mdp: MDP, policy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P_pi (S, S) and r_pi (S,) of a deterministic policy (S,) or a stochastic one (S, A)."""
    S, A = mdp.R.shape
    pi = np.eye(A)[policy] if policy.ndim == 1 else policy  # (S, A)
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)  # P_pi[s, s'] = sum_a pi(a|s) P(s'|s, a)
    r_pi = (pi * mdp.R).sum(axis=1)  # r_pi[s] = sum_a pi(a|s) R(s, a)
    return P_pi, r_pi


def evaluate_policy(mdp: MDP, policy: np.ndarray) -> np.ndarray:
    """v_pi by solving (I - gamma P_pi) v = r_pi (eq. 3.14 in matrix form): the exact answer, (S,)."""
    check_mdp(mdp)
    P_pi, r_pi = policy_matrices(mdp, policy)
    return np.linalg.solve(np.eye(len(r_pi)) - mdp.gamma * P_pi, r_pi)


def q_values(mdp: MDP, V: np.ndarray) -> np.ndarray:
    """Q(s, a) = R(s, a) + gamma sum_s' P(s'|s, a) V(s'), the one-step look-ahead, (S, A)."""
    return mdp.R + mdp.gamma * mdp.P @ V


def value_iteration(mdp: MDP, tol: float = 1e-12, max_iters: int = 10_000) -> ValueIterationResult:
    """Iterate the Bellman optimality operator (eq. 4.10) until the sup-norm change is below tol.

    The operator is a gamma-contraction, so ||v_k - v*|| <= gamma^k ||v_0 - v*||; stopping when the
    change is below tol leaves an error of at most tol * gamma / (1 - gamma).
    """
    check_mdp(mdp)
    V = np.zeros(mdp.R.shape[0])
    errors = []
    for _ in range(max_iters):
        V_new = q_values(mdp, V).max(axis=1)  # v_{k+1}(s) = max_a [R + gamma P v_k]
        errors.append(np.abs(V_new - V).max())
        V = V_new
        if errors[-1] < tol:
            break
    else:
        raise RuntimeError(f"value iteration did not reach tol={tol} in {max_iters} sweeps; raise max_iters")
    return ValueIterationResult(V, q_values(mdp, V).argmax(axis=1), np.array(errors))


def policy_iteration(mdp: MDP, max_iters: int = 1_000) -> PolicyIterationResult:
    """Alternate exact evaluation (a linear solve) and greedy improvement until the policy is stable.

    Policy improvement (Sutton & Barto section 4.2): pi'(s) = argmax_a Q_pi(s, a) is at least as good
    as pi in every state, and a finite MDP has finitely many deterministic policies, so this stops.
    Ties keep the current action, so the loop cannot cycle between equally good actions.
    """
    check_mdp(mdp)
    policy = np.zeros(mdp.R.shape[0], dtype=int)
    for it in range(1, max_iters + 1):
        V = evaluate_policy(mdp, policy)  # policy evaluation, exact
        Q = q_values(mdp, V)  # (S, A)
        best = Q.max(axis=1)
        keep = Q[np.arange(len(policy)), policy] >= best - 1e-12  # current action is (near-)optimal
        new_policy = np.where(keep, policy, Q.argmax(axis=1))  # policy improvement
        if np.array_equal(new_policy, policy):
            return PolicyIterationResult(V, policy, it)
        policy = new_policy
    raise RuntimeError(f"policy iteration did not stabilise in {max_iters} iterations")


def frozenlake(map_name: str = "4x4", is_slippery: bool = True, gamma: float = 0.95) -> MDP:
    """gymnasium's FrozenLake as arrays, read from the environment's own transition table ``env.P``.

    Reward 1 for reaching the goal; holes and the goal are terminal (absorbing, reward 0 afterwards).
    """
    import gymnasium as gym  # only this function needs an environment

    env = gym.make("FrozenLake-v1", map_name=map_name, is_slippery=is_slippery)
    table = env.unwrapped.P  # {s: {a: [(prob, s_next, reward, terminated), ...]}}
    S, A = env.observation_space.n, env.action_space.n
    P = np.zeros((S, A, S))
    R = np.zeros((S, A))
    terminal = np.zeros(S, dtype=bool)
    desc = env.unwrapped.desc.astype(str).ravel()
    terminal[np.isin(desc, ["H", "G"])] = True
    for s in range(S):
        for a in range(A):
            if terminal[s]:
                P[s, a, s] = 1.0  # the environment would reset; as an MDP the episode is over
                continue
            for prob, s_next, reward, _ in table[s][a]:
                P[s, a, s_next] += prob
                R[s, a] += prob * reward
    env.close()
    return MDP(P, R, gamma, terminal)


def demo() -> None:
    """Solve the 4x3 gridworld and FrozenLake 4x4 by value and policy iteration (`mlatlas run`)."""
    arrows = "<v>^"
    for name, mdp, width in (("gridworld 4x3", gridworld(), 4), ("FrozenLake 4x4", frozenlake(), 4)):
        vi = value_iteration(mdp)
        pi = policy_iteration(mdp)
        exact = evaluate_policy(mdp, vi.policy)
        print(f"{name}: value iteration {len(vi.errors)} sweeps, policy iteration {pi.iterations} policies")
        print(f"  max |V_vi - V_exact(pi_vi)| = {np.abs(vi.V - exact).max():.1e}")
        print(f"  max |V_vi - V_pi|           = {np.abs(vi.V - pi.V).max():.1e}")
        print("  greedy policy (terminal states shown as *):")
        symbols = ["*" if t else arrows[a] for a, t in zip(vi.policy, mdp.terminal, strict=True)]
        if name.startswith("grid"):
            symbols.insert(5, "#")  # the wall cell has no state
        for row in range(0, len(symbols), width):
            print("   ", " ".join(symbols[row : row + width]))
