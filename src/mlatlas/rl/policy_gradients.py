"""Policy gradients: the policy-gradient theorem checked by enumeration, and REINFORCE with a baseline.

Papers: Williams (1992), "Simple Statistical Gradient-Following Algorithms for Connectionist
Reinforcement Learning", Machine Learning 8:229-256 (REINFORCE); Sutton, McAllester, Singh, Mansour
(2000), "Policy Gradient Methods for Reinforcement Learning with Function Approximation", NeurIPS 12.
Differentiate the expected return with respect to the policy's parameters without differentiating
the environment: the gradient is an expectation of score x return, estimable from sampled episodes.

Finite-horizon objective and its gradient (Sutton & Barto 2018, sections 13.2-13.4, with the
gamma^t factor of their REINFORCE pseudocode kept)::

    J(theta) = E_tau [ sum_{t<H} gamma^t r_t ]
    grad J   = E_tau [ sum_{t<H} gamma^t (G_t - b(s_t)) grad log pi_theta(a_t | s_t) ]
    G_t      = sum_{k=t}^{H-1} gamma^(k-t) r_k          (the reward-to-go)

Any baseline b(s_t) that does not depend on a_t leaves the mean unchanged, because
E_a[grad log pi(a|s)] = grad sum_a pi(a|s) = grad 1 = 0; a good one shrinks the variance.
The policy is tabular softmax, pi(a|s) = softmax(theta[s])_a, theta of shape (S, A); N trajectories,
H steps.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from mlatlas.foundations.optimizers import adam_init, adam_step
from mlatlas.foundations.softmax import log_softmax, softmax
from mlatlas.rl.markov_decision_processes import MDP


class Trajectories(NamedTuple):
    states: Tensor  # (N, H) long
    actions: Tensor  # (N, H) long
    rewards: Tensor  # (N, H) expected reward R(s_t, a_t)
    dynamics_prob: Tensor  # (N,) prod_t P(s_{t+1} | s_t, a_t) mu0(s_0), the part the policy does not set


class GradientEstimate(NamedTuple):
    mean: Tensor  # (S, A) average of the per-trajectory estimates
    per_trajectory: Tensor  # (N, S, A)


class ReinforceResult(NamedTuple):
    theta: Tensor  # (S, A) final parameters
    objective: np.ndarray  # (steps,) exact J(theta) after each update, by enumeration


def _check(mdp: MDP, horizon: int, mu0: np.ndarray) -> None:
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1, got {horizon}")
    if mu0.shape != (mdp.P.shape[0],) or not np.isclose(mu0.sum(), 1.0):
        raise ValueError(f"mu0 must be a distribution over the {mdp.P.shape[0]} states")


def reward_to_go(rewards: Tensor, gamma: float) -> Tensor:
    """G_t = sum_{k >= t} gamma^(k - t) r_k along the last axis, by G_t = r_t + gamma G_{t+1}."""
    G = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[..., 0])
    for t in reversed(range(rewards.shape[-1])):
        running = rewards[..., t] + gamma * running
        G[..., t] = running
    return G


def enumerate_trajectories(mdp: MDP, horizon: int, mu0: np.ndarray) -> Trajectories:
    """Every sequence (s_0, a_0, ..., s_{H-1}, a_{H-1}), (S A)^H of them, with its dynamics probability."""
    _check(mdp, horizon, mu0)
    S, A = mdp.R.shape
    rows = list(itertools.product(range(S), range(A), repeat=horizon))  # (s_0, a_0, s_1, a_1, ...)
    seq = torch.tensor(rows)  # (N, 2H)
    states, actions = seq[:, 0::2], seq[:, 1::2]  # (N, H) each
    P = torch.as_tensor(mdp.P)
    prob = torch.as_tensor(mu0)[states[:, 0]]  # mu0(s_0)
    for t in range(1, horizon):
        prob = prob * P[states[:, t - 1], actions[:, t - 1], states[:, t]]  # P(s_t | s_{t-1}, a_{t-1})
    rewards = torch.as_tensor(mdp.R)[states, actions]  # (N, H)
    return Trajectories(states, actions, rewards, prob)


def log_policy(theta: Tensor, states: Tensor, actions: Tensor) -> Tensor:
    """log pi_theta(a_t | s_t) for every step, (N, H)."""
    return log_softmax(theta, dim=-1)[states, actions]


def expected_return(theta: Tensor, traj: Trajectories, gamma: float) -> Tensor:
    """J(theta) = sum_tau p(tau; theta) sum_t gamma^t r_t over *all* trajectories: exact, differentiable."""
    p_tau = traj.dynamics_prob * log_policy(theta, traj.states, traj.actions).sum(-1).exp()  # (N,)
    discounts = gamma ** torch.arange(traj.rewards.shape[-1], dtype=traj.rewards.dtype)  # (H,)
    return (p_tau * (traj.rewards * discounts).sum(-1)).sum()


def exact_gradient(theta: Tensor, traj: Trajectories, gamma: float) -> Tensor:
    """grad J by automatic differentiation of the enumerated sum, (S, A): the answer to check against."""
    theta = theta.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(expected_return(theta, traj, gamma), theta)
    return grad


def score(theta: Tensor, states: Tensor, actions: Tensor) -> Tensor:
    """grad_theta log pi(a|s) = e_s (onehot(a) - pi(.|s))^T for the softmax policy, (N, H, S, A)."""
    S, A = theta.shape
    pi = softmax(theta, dim=-1)  # (S, A)
    d_logits = torch.nn.functional.one_hot(actions, A).to(theta.dtype) - pi[states]  # (N, H, A)
    return torch.nn.functional.one_hot(states, S).to(theta.dtype)[..., None] * d_logits[..., None, :]


def reinforce_estimate(
    theta: Tensor,
    traj: Trajectories,
    gamma: float,
    baseline: Tensor | None = None,
    discount_score: bool = True,
) -> GradientEstimate:
    """REINFORCE: g(tau) = sum_t gamma^t (G_t - b_t(s_t)) grad log pi(a_t|s_t), one per trajectory.

    baseline: (H, S) values b_t(s), or None. discount_score=False drops the gamma^t in front, as many
    implementations do; the result is then not the gradient of J (the tests show by how much).
    """
    H = traj.states.shape[1]
    G = reward_to_go(traj.rewards, gamma)  # (N, H)
    if baseline is not None:
        G = G - baseline[torch.arange(H), traj.states]  # G_t - b_t(s_t)
    if discount_score:
        G = G * gamma ** torch.arange(H, dtype=G.dtype)  # gamma^t
    per = (G[..., None, None] * score(theta, traj.states, traj.actions)).sum(1)  # (N, S, A)
    return GradientEstimate(per.mean(0), per)


def sample_trajectories(
    mdp: MDP, theta: Tensor, horizon: int, mu0: np.ndarray, n: int, generator: torch.Generator
) -> Trajectories:
    """Draw N episodes of H steps under pi_theta; dynamics_prob is set to 1 / N (equal weights)."""
    _check(mdp, horizon, mu0)
    P, R = torch.as_tensor(mdp.P), torch.as_tensor(mdp.R)
    pi = softmax(theta.detach(), dim=-1)  # (S, A)
    s = torch.multinomial(torch.as_tensor(mu0).expand(n, -1), 1, generator=generator)[:, 0]  # (N,)
    states, actions = [], []
    for _ in range(horizon):
        a = torch.multinomial(pi[s], 1, generator=generator)[:, 0]  # a_t ~ pi(.|s_t)
        states.append(s)
        actions.append(a)
        s = torch.multinomial(P[s, a], 1, generator=generator)[:, 0]  # s_{t+1} ~ P(.|s_t, a_t)
    states, actions = torch.stack(states, 1), torch.stack(actions, 1)  # (N, H)
    return Trajectories(states, actions, R[states, actions], torch.full((n,), 1.0 / n, dtype=torch.float64))


def optimal_return(mdp: MDP, horizon: int, mu0: np.ndarray) -> float:
    """max over policies of J by backward induction (the best policy may depend on t; ours cannot)."""
    V = np.zeros(mdp.P.shape[0])
    for _ in range(horizon):
        V = (mdp.R + mdp.gamma * mdp.P @ V).max(axis=1)  # V_t = max_a [R + gamma P V_{t+1}]
    return float(mu0 @ V)


def reinforce(
    mdp: MDP,
    horizon: int,
    mu0: np.ndarray,
    *,
    steps: int,
    batch: int,
    lr: float = 0.1,
    use_baseline: bool = True,
    baseline_rate: float = 0.2,
    seed: int = 0,
) -> ReinforceResult:
    """Train the softmax policy by REINFORCE with Adam, tracking the exact J after each step.

    The baseline b_t(s) is a running average of the reward-to-go seen at (t, s) in *earlier* batches,
    so it never depends on the episode it is subtracted from and the estimate stays unbiased.
    """
    generator = torch.Generator().manual_seed(seed)
    S, A = mdp.R.shape
    theta = torch.zeros(S, A, dtype=torch.float64)
    baseline = torch.zeros(horizon, S, dtype=torch.float64)
    state = adam_init(theta)
    every = enumerate_trajectories(mdp, horizon, mu0)
    objective = []
    for _ in range(steps):
        traj = sample_trajectories(mdp, theta, horizon, mu0, batch, generator)
        grad = reinforce_estimate(theta, traj, mdp.gamma, baseline if use_baseline else None).mean
        theta, state = adam_step(theta, -grad, state, lr=lr)  # ascend J: step along +grad
        G = reward_to_go(traj.rewards, mdp.gamma)  # (N, H)
        for t in range(horizon):  # b_t(s) <- b_t(s) + rate * (mean G_t at s - b_t(s))
            seen = torch.bincount(traj.states[:, t], minlength=S)
            total = torch.bincount(traj.states[:, t], weights=G[:, t], minlength=S)
            hit = seen > 0
            baseline[t, hit] += baseline_rate * (total[hit] / seen[hit] - baseline[t, hit])
        objective.append(float(expected_return(theta, every, mdp.gamma)))
    return ReinforceResult(theta, np.array(objective))


def small_mdp(seed: int = 3, states: int = 3, actions: int = 2, gamma: float = 0.9) -> MDP:
    """A random MDP small enough to enumerate: Dirichlet transitions, standard-normal rewards."""
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(states), size=(states, actions))
    R = rng.normal(size=(states, actions))
    return MDP(P, R, gamma, np.zeros(states, dtype=bool))


def finite_horizon_values(mdp: MDP, theta: Tensor, horizon: int) -> Tensor:
    """V_t(s) = E[G_t | s_t = s] under pi_theta, by backward recursion, (H, S): the ideal baseline."""
    P, R = torch.as_tensor(mdp.P), torch.as_tensor(mdp.R)
    pi = softmax(theta.detach(), dim=-1)  # (S, A)
    V = torch.zeros(horizon + 1, R.shape[0], dtype=R.dtype)
    for t in reversed(range(horizon)):
        V[t] = (pi * (R + mdp.gamma * P @ V[t + 1])).sum(-1)  # V_t = sum_a pi (R + gamma P V_{t+1})
    return V[:horizon]


def estimator_moments(
    theta: Tensor, traj: Trajectories, gamma: float, baseline: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Exact mean (S, A) and total variance E||g - E g||^2 of the REINFORCE estimate, by enumeration."""
    weight = traj.dynamics_prob * log_policy(theta, traj.states, traj.actions).sum(-1).exp()  # p(tau), (N,)
    per = reinforce_estimate(theta, traj, gamma, baseline).per_trajectory  # (N, S, A)
    mean = (weight[:, None, None] * per).sum(0)
    return mean, (weight * ((per - mean) ** 2).sum((1, 2))).sum()


def demo() -> None:
    """The policy-gradient theorem by enumeration, then REINFORCE (`mlatlas run policy-gradients`)."""
    mdp, horizon, mu0 = small_mdp(), 4, np.full(3, 1 / 3)
    every = enumerate_trajectories(mdp, horizon, mu0)
    theta = torch.randn(3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    exact = exact_gradient(theta, every, mdp.gamma)
    mean, var = estimator_moments(theta, every, mdp.gamma)
    _, var_b = estimator_moments(theta, every, mdp.gamma, finite_horizon_values(mdp, theta, horizon))
    print(f"{len(every.states)} trajectories of {horizon} steps enumerated")
    print(f"max |E[REINFORCE] - grad J| = {(mean - exact).abs().max():.1e}")
    print(f"variance of the estimate: {var:.3f} without a baseline, {var_b:.3f} with b_t(s) = V_t(s)")
    print(f"optimal return (backward induction): {optimal_return(mdp, horizon, mu0):.4f}")
    for use in (False, True):
        result = reinforce(mdp, horizon, mu0, steps=300, batch=64, use_baseline=use)
        print(
            f"REINFORCE {'with' if use else 'without'} baseline, 300 steps of 64 episodes: "
            f"J = {result.objective[0]:.4f} -> {result.objective[-1]:.4f}"
        )
