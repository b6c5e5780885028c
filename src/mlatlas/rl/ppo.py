"""Actor-critic and PPO: generalised advantage estimation and the clipped surrogate objective.

Papers: Schulman, Moritz, Levine, Jordan, Abbeel (2015), "High-Dimensional Continuous Control Using
Generalized Advantage Estimation", arXiv:1506.02438; Schulman, Wolski, Dhariwal, Radford, Klimov
(2017), "Proximal Policy Optimization Algorithms", arXiv:1707.06347.
A critic V(s) turns rewards into advantages by exponentially weighting TD errors (GAE); the actor
takes several gradient steps on each batch, clipped so that the new policy cannot stray far.

GAE (Schulman et al. 2015, eq. 16, and its recursive form)::

    delta_t = r_t + gamma V(s_{t+1}) - V(s_t)
    A_t     = sum_{l >= 0} (gamma lambda)^l delta_{t+l}  =  delta_t + gamma lambda A_{t+1}

PPO's clipped objective (Schulman et al. 2017, eq. 7), with ratio rho_t = pi(a_t|s_t) / pi_old(a_t|s_t)::

    L_clip = E_t[ min( rho_t A_t, clip(rho_t, 1 - eps, 1 + eps) A_t ) ]

and the full loss of eq. 9: -L_clip + c1 (1/2)(V - V_target)^2 - c2 entropy (c1 = 0.5, as in CleanRL).
Shapes: T steps, B parallel environments, F observation features, A actions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from mlatlas.foundations.optimizers import AdamState, adam_init, adam_step
from mlatlas.foundations.regularization import clip_grad_norm
from mlatlas.foundations.softmax import entropy, log_softmax, softmax


class Advantages(NamedTuple):
    advantages: Tensor  # (T, B)
    returns: Tensor  # (T, B) advantages + values: the critic's regression target


def gae(
    rewards: Tensor,
    values: Tensor,
    next_values: Tensor,
    terminated: Tensor,
    done: Tensor,
    gamma: float,
    lam: float,
) -> Advantages:
    """Generalised advantage estimates over a rollout of T steps in B environments, all (T, B).

    next_values[t] is V of the state reached at step t — the *final* state when the episode ended
    there, not the first state of the next episode. terminated[t] drops the bootstrap (no future);
    done[t] = terminated or truncated stops the sum at the episode boundary (A_{t+1} belongs to the
    next episode). A truncated step still bootstraps from V of its final state.
    """
    if not 0.0 <= lam <= 1.0 or not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma and lam must be in [0, 1], got gamma={gamma}, lam={lam}")
    if not rewards.shape == values.shape == next_values.shape == terminated.shape == done.shape:
        raise ValueError("rewards, values, next_values, terminated and done must all have shape (T, B)")
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[0])  # A_{t+1}, (B,)
    for t in reversed(range(rewards.shape[0])):
        delta = rewards[t] + gamma * next_values[t] * (1.0 - terminated[t]) - values[t]  # TD error
        running = delta + gamma * lam * (1.0 - done[t]) * running  # A_t = delta_t + gamma lambda A_{t+1}
        advantages[t] = running
    return Advantages(advantages, advantages + values)


def clipped_surrogate(log_prob: Tensor, old_log_prob: Tensor, advantages: Tensor, clip: float) -> Tensor:
    """L_clip (eq. 7), averaged: the pessimistic minimum of the unclipped and clipped objectives."""
    ratio = torch.exp(log_prob - old_log_prob)  # rho = pi / pi_old
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1.0 - clip, 1.0 + clip) * advantages
    return torch.minimum(unclipped, clipped).mean()


@dataclass
class PPOConfig:
    """Hyperparameters; the defaults follow CleanRL's CartPole settings except where noted."""

    env_id: str = "CartPole-v1"
    num_envs: int = 4
    num_steps: int = 128  # T per environment per rollout
    total_steps: int = 150_000
    lr: float = 2.5e-4
    gamma: float = 0.99
    lam: float = 0.95
    epochs: int = 4
    minibatches: int = 4
    clip: float = 0.2
    value_coef: float = 0.5
    entropy_coef: float = 0.01
    max_grad_norm: float = 0.5
    hidden: int = 64
    seed: int = 0
    target_return: float | None = 475.0  # stop once a greedy evaluation averages this (None: never)
    eval_every: int = 10  # updates between evaluations
    eval_episodes: int = 20
    max_updates: int | None = None  # stop after this many updates (the schedule still spans total_steps)


class ActorCritic(nn.Module):
    """Two tanh MLPs: the actor gives logits over A actions, the critic a value, from (B, F) inputs."""

    def __init__(self, num_features: int, num_actions: int, hidden: int = 64):
        super().__init__()

        def mlp(out: int, gain: float) -> nn.Sequential:
            layers = [nn.Linear(num_features, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh()]
            layers.append(nn.Linear(hidden, out))
            for layer, g in zip(layers[0::2], (math.sqrt(2), math.sqrt(2), gain), strict=True):
                nn.init.orthogonal_(layer.weight, g)  # orthogonal init, as in the PPO paper's code
                nn.init.zeros_(layer.bias)
            return nn.Sequential(*layers)

        self.actor = mlp(num_actions, 0.01)  # near-uniform policy at the start
        self.critic = mlp(1, 1.0)

    def forward(self, obs: Tensor) -> tuple[Tensor, Tensor]:
        """obs (B, F) -> log pi(. | s) (B, A), V(s) (B,)."""
        return log_softmax(self.actor(obs), dim=-1), self.critic(obs)[:, 0]


class Rollout(NamedTuple):
    obs: Tensor  # (T, B, F)
    actions: Tensor  # (T, B)
    log_probs: Tensor  # (T, B)
    rewards: Tensor  # (T, B)
    values: Tensor  # (T, B)
    next_values: Tensor  # (T, B)
    terminated: Tensor  # (T, B)
    done: Tensor  # (T, B)


class PPOResult(NamedTuple):
    model: ActorCritic
    steps: int  # environment steps taken
    episode_returns: list[tuple[int, float]]  # (step at which it ended, return) of training episodes
    evaluations: list[tuple[int, float]]  # (step, mean greedy return over eval_episodes)


def _envs(config: PPOConfig, count: int, seed: int) -> list:
    import gymnasium as gym  # only training and evaluation need an environment

    envs = [gym.make(config.env_id) for _ in range(count)]
    for i, env in enumerate(envs):
        env.action_space.seed(seed + i)
    return envs


def evaluate(model: ActorCritic, config: PPOConfig, episodes: int, seed: int) -> np.ndarray:
    """Returns of `episodes` greedy (arg-max) episodes run side by side, seeded seed, seed + 1, ..."""
    envs = _envs(config, episodes, seed)
    obs = np.stack([env.reset(seed=seed + i)[0] for i, env in enumerate(envs)])
    returns, alive = np.zeros(episodes), np.ones(episodes, dtype=bool)
    with torch.no_grad():
        while alive.any():
            logp, _ = model(torch.as_tensor(obs, dtype=torch.float32))
            actions = logp.argmax(-1).numpy()
            for i in np.flatnonzero(alive):
                obs[i], r, terminated, truncated, _ = envs[i].step(int(actions[i]))
                returns[i] += r
                alive[i] = not (terminated or truncated)
    return returns


def collect(
    model: ActorCritic,
    envs: list,
    obs: np.ndarray,
    config: PPOConfig,
    generator: torch.Generator,
    episode: dict,
) -> tuple[Rollout, np.ndarray]:
    """Run T steps in every environment; episodes that end are reset, their final state kept for V."""
    T, B = config.num_steps, len(envs)
    buf = {k: [] for k in Rollout._fields}
    for _ in range(T):
        x = torch.as_tensor(obs, dtype=torch.float32)  # (B, F)
        with torch.no_grad():
            logp, value = model(x)
            action = torch.multinomial(logp.exp(), 1, generator=generator)[:, 0]  # a ~ pi(.|s), (B,)
        next_obs, final_obs = obs.copy(), obs.copy()
        reward, term, done = np.zeros(B), np.zeros(B), np.zeros(B)
        for i, env in enumerate(envs):
            o, r, terminated, truncated, _ = env.step(int(action[i]))
            reward[i], term[i], done[i] = r, terminated, terminated or truncated
            final_obs[i] = o  # the state this step reached, even if the episode ends here
            episode["return"][i] += r
            if done[i]:
                episode["log"].append((episode["steps"] + B * len(buf["obs"]) + i + 1, episode["return"][i]))
                episode["return"][i] = 0.0
                o, _ = env.reset()
            next_obs[i] = o
        with torch.no_grad():
            _, next_value = model(torch.as_tensor(final_obs, dtype=torch.float32))  # V(s_{t+1}), (B,)
        for k, v in zip(
            Rollout._fields,
            (
                x,
                action,
                logp.gather(1, action[:, None])[:, 0],
                torch.as_tensor(reward, dtype=torch.float32),
                value,
                next_value,
                torch.as_tensor(term, dtype=torch.float32),
                torch.as_tensor(done, dtype=torch.float32),
            ),
            strict=True,
        ):
            buf[k].append(v)
        obs = next_obs
    episode["steps"] += T * B
    return Rollout(*(torch.stack(buf[k]) for k in Rollout._fields)), obs


def ppo_loss(
    model: ActorCritic,
    obs: Tensor,
    actions: Tensor,
    old_log_probs: Tensor,
    advantages: Tensor,
    returns: Tensor,
    config: PPOConfig,
) -> tuple[Tensor, dict]:
    """-L_clip + c1 (1/2)(V - V_target)^2 - c2 H[pi] (eq. 9) on a minibatch of N = T B / minibatches."""
    logp, value = model(obs)  # (N, A), (N,)
    log_prob = logp.gather(1, actions[:, None])[:, 0]
    adv = (advantages - advantages.mean()) / (advantages.std() + 1e-8)  # per-minibatch normalisation
    policy = clipped_surrogate(log_prob, old_log_probs, adv, config.clip)
    value_loss = 0.5 * ((value - returns) ** 2).mean()
    ent = entropy(softmax(logp, dim=-1)).mean()
    loss = -policy + config.value_coef * value_loss - config.entropy_coef * ent
    stats = {
        "policy": policy.detach().item(),
        "value": value_loss.detach().item(),
        "entropy": ent.detach().item(),
    }
    return loss, stats


def train_ppo(config: PPOConfig | None = None) -> PPOResult:
    """PPO with GAE on a gymnasium environment (Schulman et al. 2017, Algorithm 1), seeded."""
    config = config or PPOConfig()
    torch.manual_seed(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    envs = _envs(config, config.num_envs, config.seed)
    obs = np.stack([env.reset(seed=config.seed + i)[0] for i, env in enumerate(envs)])
    model = ActorCritic(obs.shape[1], envs[0].action_space.n, config.hidden)
    params = list(model.parameters())
    states: list[AdamState] = [adam_init(p.detach()) for p in params]
    episode = {"return": np.zeros(config.num_envs), "log": [], "steps": 0}
    evaluations: list[tuple[int, float]] = []
    batch = config.num_steps * config.num_envs
    updates = config.total_steps // batch
    for update in range(updates if config.max_updates is None else min(updates, config.max_updates)):
        lr = config.lr * (1.0 - update / updates)  # linear annealing to zero
        rollout, obs = collect(model, envs, obs, config, generator, episode)
        adv = gae(
            rollout.rewards,
            rollout.values,
            rollout.next_values,
            rollout.terminated,
            rollout.done,
            config.gamma,
            config.lam,
        )
        flat = [
            t.flatten(0, 1)
            for t in (rollout.obs, rollout.actions, rollout.log_probs, adv.advantages, adv.returns)
        ]
        size = batch // config.minibatches
        for _ in range(config.epochs):
            order = torch.randperm(batch, generator=generator)
            for start in range(0, batch, size):
                idx = order[start : start + size]
                loss, _ = ppo_loss(model, *(t[idx] for t in flat), config)
                grads = torch.autograd.grad(loss, params)
                grads = clip_grad_norm(grads, config.max_grad_norm).grads
                with torch.no_grad():
                    for i, (p, g) in enumerate(zip(params, grads, strict=True)):
                        new, states[i] = adam_step(p.detach(), g, states[i], lr=lr, eps=1e-5)
                        p.copy_(new)
        if config.target_return is not None and (update + 1) % config.eval_every == 0:
            score = float(evaluate(model, config, config.eval_episodes, seed=10_000 + update).mean())
            evaluations.append((episode["steps"], score))
            if score >= config.target_return:
                break
    return PPOResult(model, episode["steps"], episode["log"], evaluations)


def demo() -> None:
    """Train PPO on CartPole-v1 until a greedy evaluation averages 475, then score 20 fresh episodes.

    `mlatlas run actor-critic-and-ppo`; seeded, a few seconds of CPU time on one thread.
    """
    import time

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a 64-unit MLP: extra threads only add overhead
    try:
        config = PPOConfig()
        start = time.process_time()
        result = train_ppo(config)
        cpu = time.process_time() - start
        for steps, score in result.evaluations:
            print(
                f"after {steps:6d} steps: mean greedy return {score:6.1f} ({config.eval_episodes} episodes)"
            )
        returns = evaluate(result.model, config, 20, seed=0)
        print(f"trained on {result.steps} environment steps in {cpu:.1f} s of CPU time")
        print(
            f"20 fresh episodes (seeds 0-19): mean return {returns.mean():.1f}, min {returns.min():.0f}, "
            f"max {returns.max():.0f}; solved (>= 475): {returns.mean() >= 475}"
        )
    finally:
        torch.set_num_threads(threads)
