"""Decision Transformer: reinforcement learning as sequence modelling, conditioned on the return to go.

Paper: Lili Chen, Kevin Lu, Aravind Rajeswaran, Kimin Lee, Aditya Grover, Michael Laskin, Pieter Abbeel,
Aravind Srinivas, Igor Mordatch (2021), "Decision Transformer: Reinforcement Learning via Sequence
Modeling", NeurIPS 2021, arXiv:2106.01345.
A trajectory is written as tokens (Rhat_1, s_1, a_1, Rhat_2, s_2, a_2, ...) where Rhat_t = Σ_{t' ≥ t} r_t'
is the return still to collect; a causal GPT reads the last K steps and predicts a_t from the s_t token.
Trained by regression on logged trajectories (no value function, no policy gradient); at test time one
asks for a return by choosing Rhat_1 and subtracts each reward as it arrives.

The backbone is the Transformers book's GPT ``Block`` (pre-LN, causal) with the MLP's activation set to
ReLU, as in the paper's Gym code (its Atari code uses GELU) and transformers' ``DecisionTransformerModel``
(whose defaults we follow); there is no token table and no position table: each step's timestep embedding
is added to its three tokens instead. The toy environment, ``AltitudeTask``, is written here: its return is
whatever altitude the agent chooses to fly at, so several returns are reachable and the asked one can be
checked.
Shapes: B batch, T steps in the context (3T tokens), C width, S state size, A action size.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from mlatlas.transformers.gpt import GPT, Block, Dropout, GPTConfig


@dataclass
class DecisionTransformerConfig:
    state_dim: int  # S
    act_dim: int  # A
    n_embd: int = 32  # C
    n_layer: int = 2
    n_head: int = 2
    max_ep_len: int = 64  # rows of the timestep table: episodes may last this many steps
    context: int = 10  # K, the steps the model sees (3K tokens)
    action_tanh: bool = True  # squash actions into [-1, 1] (continuous control)
    activation: str = "relu"  # the MLP's nonlinearity: "relu" (paper's Gym code) or "gelu" (GPT-2's tanh)
    dropout: float = 0.0
    layer_norm_eps: float = 1e-5

    def __post_init__(self) -> None:
        if self.activation not in ("relu", "gelu"):
            raise ValueError(f"activation must be 'relu' or 'gelu'; got {self.activation!r}")
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd={self.n_embd} must be divisible by n_head={self.n_head}")


class DTOutput(NamedTuple):
    state_preds: Tensor  # (B, T, S) next state, read from the a_t token
    action_preds: Tensor  # (B, T, A) a_t, read from the s_t token
    return_preds: Tensor  # (B, T, 1) next return to go, read from the a_t token


def returns_to_go(rewards: Tensor) -> Tensor:
    """Rhat_t = Σ_{t'=t}^{T} r_t' (undiscounted, as in the paper, sec. 3): (B, T) -> (B, T)."""
    return rewards.flip(-1).cumsum(-1).flip(-1)


def interleave(r: Tensor, s: Tensor, a: Tensor) -> Tensor:
    """Three (B, T, C) token streams -> (B, 3T, C) in the order Rhat_1, s_1, a_1, Rhat_2, s_2, a_2, ..."""
    B, T, C = s.shape
    return torch.stack((r, s, a), dim=2).reshape(B, 3 * T, C)  # (B, T, 3, C) -> (B, 3T, C)


class DecisionTransformer(nn.Module):
    """Embed Rhat, s, a per modality, add the timestep embedding, interleave, run causal GPT blocks, read
    the action from each state token."""

    def __init__(self, cfg: DecisionTransformerConfig):
        super().__init__()
        self.cfg = cfg
        C = cfg.n_embd
        gpt = GPTConfig(
            vocab_size=1,  # unused: tokens are linear embeddings, not ids
            block_size=3 * cfg.context,
            n_layer=cfg.n_layer,
            n_head=cfg.n_head,
            n_embd=C,
            dropout=cfg.dropout,
            layer_norm_eps=cfg.layer_norm_eps,
        )
        self.embed_timestep = nn.Embedding(cfg.max_ep_len, C)  # one vector per step, shared by 3 tokens
        self.embed_return = nn.Linear(1, C)
        self.embed_state = nn.Linear(cfg.state_dim, C)
        self.embed_action = nn.Linear(cfg.act_dim, C)
        self.embed_ln = nn.LayerNorm(C, eps=cfg.layer_norm_eps)
        self.drop = Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(gpt) for _ in range(cfg.n_layer))
        if cfg.activation == "relu":
            for block in self.blocks:
                block.mlp.gelu = nn.ReLU()
        self.ln_f = nn.LayerNorm(C, eps=cfg.layer_norm_eps)
        self.predict_state = nn.Linear(C, cfg.state_dim)
        self.predict_action = nn.Sequential(
            nn.Linear(C, cfg.act_dim), nn.Tanh() if cfg.action_tanh else nn.Identity()
        )
        self.predict_return = nn.Linear(C, 1)
        self.apply(GPT._init_weights)  # GPT-2's initialisation, residual projections scaled down
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight") or name.endswith("out_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / (2 * cfg.n_layer) ** 0.5)

    def forward(self, states: Tensor, actions: Tensor, returns_to_go: Tensor, timesteps: Tensor) -> DTOutput:
        """states (B, T, S), actions (B, T, A), returns_to_go (B, T, 1), timesteps (B, T) -> DTOutput.

        a_t's own token cannot influence the prediction of a_t (it comes later in the causal order), so
        at test time the current step's action may be any placeholder, e.g. zeros.
        """
        B, T, _ = states.shape
        if actions.shape[:2] != (B, T) or returns_to_go.shape != (B, T, 1) or timesteps.shape != (B, T):
            raise ValueError(
                f"expected states (B, T, S), actions (B, T, A), returns_to_go (B, T, 1), timesteps (B, T) "
                f"with one (B, T); got {tuple(states.shape)}, {tuple(actions.shape)}, "
                f"{tuple(returns_to_go.shape)}, {tuple(timesteps.shape)}"
            )
        if int(timesteps.max()) >= self.cfg.max_ep_len:
            raise ValueError(
                f"timestep {int(timesteps.max())} is beyond max_ep_len={self.cfg.max_ep_len}; "
                "raise max_ep_len to the longest episode"
            )
        time = self.embed_timestep(timesteps)  # (B, T, C)  plays the role of the position embedding
        r = self.embed_return(returns_to_go) + time  # (B, T, C)
        s = self.embed_state(states) + time  # (B, T, C)
        a = self.embed_action(actions) + time  # (B, T, C)
        x = self.drop(self.embed_ln(interleave(r, s, a)))  # (B, 3T, C)
        for block in self.blocks:
            x = block(x)  # causal: a token sees itself and the tokens before it
        x = self.ln_f(x).reshape(B, T, 3, -1)  # (B, T, 3, C): [:, :, 0] Rhat tokens, 1 states, 2 actions
        return DTOutput(
            state_preds=self.predict_state(x[:, :, 2]),  # (B, T, S)
            action_preds=self.predict_action(x[:, :, 1]),  # (B, T, A)  a_t from (..., Rhat_t, s_t)
            return_preds=self.predict_return(x[:, :, 2]),  # (B, T, 1)
        )


# ---------------------------------------------------------------------------------------------------
# A toy environment with a tunable return: hold an altitude


@dataclass(frozen=True)
class AltitudeTask:
    """x ∈ [0, 1], starting at 0; action a ∈ [-1, 1]; x' = clip(x + climb·a + noise·ε, 0, 1); reward x'.

    The return is the area under the altitude path: any value from 0 to the full-throttle maximum can be
    earned by climbing to a level and holding it, so the asked return is a real choice."""

    horizon: int = 20
    climb: float = 0.25  # the most altitude one step can gain or lose
    noise: float = 0.02  # std of the altitude's random drift per step

    def step(self, x: np.ndarray, a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Vectorised over episodes: x (B,), a (B,) -> x' (B,) (the reward is x')."""
        a = np.clip(a, -1.0, 1.0)
        return np.clip(x + self.climb * a + self.noise * rng.standard_normal(x.shape), 0.0, 1.0)

    def max_return(self) -> float:
        """Full throttle from x = 0, ignoring the noise: Σ_t min(climb·(t+1), 1)."""
        return float(sum(min(self.climb * (t + 1), 1.0) for t in range(self.horizon)))


class Trajectories(NamedTuple):
    states: np.ndarray  # (B, T, 1) altitude before each action
    actions: np.ndarray  # (B, T, 1)
    rewards: np.ndarray  # (B, T)


def behaviour_data(task: AltitudeTask, episodes: int, rng: np.random.Generator) -> Trajectories:
    """Logged episodes of noisy proportional controllers, each aiming at a random level (half of them
    switch to a second level once, at a random step), so the returns spread over the reachable range."""
    T, B = task.horizon, episodes
    level = rng.uniform(0.0, 1.0, B)
    second = rng.uniform(0.0, 1.0, B)
    switch = np.where(rng.random(B) < 0.5, rng.integers(1, T, B), T)  # T = never switches
    gain = rng.uniform(0.4, 1.0, B)
    jitter = rng.uniform(0.0, 0.4, B)
    x = np.zeros(B)
    states, actions, rewards = np.zeros((B, T, 1)), np.zeros((B, T, 1)), np.zeros((B, T))
    for t in range(T):
        target = np.where(t < switch, level, second)
        a = np.clip(gain * (target - x) / task.climb + jitter * rng.standard_normal(B), -1.0, 1.0)
        states[:, t, 0], actions[:, t, 0] = x, a
        x = task.step(x, a, rng)
        rewards[:, t] = x
    return Trajectories(states, actions, rewards)


def train(
    model: DecisionTransformer,
    data: Trajectories,
    steps: int,
    generator: torch.Generator,
    return_scale: float,
    batch_size: int = 64,
    lr: float = 1e-3,
) -> list[float]:
    """Paper, Algorithm 1: sample K-step windows, predict every a_t, minimise the mean squared error.
    Returns to go enter the model divided by return_scale, as in the paper's code, to keep them O(1)."""
    K, T = model.cfg.context, data.states.shape[1]
    if K > T:
        raise ValueError(f"context K={K} is longer than the episodes ({T} steps); lower context")
    s = torch.as_tensor(data.states, dtype=torch.float32)  # (N, T, 1)
    a = torch.as_tensor(data.actions, dtype=torch.float32)  # (N, T, 1)
    rtg = returns_to_go(torch.as_tensor(data.rewards, dtype=torch.float32))[..., None] / return_scale
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    losses = []
    model.train()
    for _ in range(steps):
        ep = torch.randint(0, len(s), (batch_size,), generator=generator)  # (B,)
        start = torch.randint(0, T - K + 1, (batch_size,), generator=generator)  # (B,)
        idx = start[:, None] + torch.arange(K)  # (B, K) the window's timesteps
        rows = ep[:, None]
        pred = model(s[rows, idx], a[rows, idx], rtg[rows, idx], idx).action_preds  # (B, K, A)
        loss = ((pred - a[rows, idx]) ** 2).mean()  # Algorithm 1: mean((a_preds - a)**2)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    return losses


class Rollout(NamedTuple):
    returns: np.ndarray  # (B,) achieved return of each episode
    altitudes: np.ndarray  # (B, T) the altitude after each step (= the rewards)


@torch.no_grad()
def rollout(
    model: DecisionTransformer,
    task: AltitudeTask,
    target_return: float,
    episodes: int,
    rng: np.random.Generator,
    return_scale: float,
) -> Rollout:
    """Ask for target_return: Rhat_1 = target, then Rhat_{t+1} = Rhat_t − r_t after every step, the
    context being the last K steps (paper, sec. 3). The episodes run side by side."""
    K, B = model.cfg.context, episodes
    x = np.zeros(B)
    states = torch.zeros(B, 0, 1)
    actions = torch.zeros(B, 0, model.cfg.act_dim)
    rtg = torch.zeros(B, 0, 1)
    r_hat = torch.full((B, 1, 1), target_return / return_scale)
    altitudes = np.zeros((B, task.horizon))
    for t in range(task.horizon):
        states = torch.cat([states, torch.as_tensor(x, dtype=torch.float32).reshape(B, 1, 1)], 1)
        actions = torch.cat([actions, torch.zeros(B, 1, model.cfg.act_dim)], 1)  # placeholder for a_t
        rtg = torch.cat([rtg, r_hat], 1)
        steps = torch.arange(max(0, t + 1 - K), t + 1).expand(B, -1)  # (B, ≤K) timesteps in context
        a_t = model(states[:, -K:], actions[:, -K:], rtg[:, -K:], steps).action_preds[:, -1]  # (B, A)
        actions[:, -1] = a_t
        x = task.step(x, a_t[:, 0].numpy().astype(np.float64), rng)
        altitudes[:, t] = x  # the reward r_t
        r_hat = r_hat - torch.as_tensor(x, dtype=torch.float32).reshape(B, 1, 1) / return_scale  # Rhat − r
    return Rollout(altitudes.sum(1), altitudes)


class AltitudeRun(NamedTuple):
    model: DecisionTransformer
    data_returns: np.ndarray  # (N,) returns of the logged episodes
    asked: list[float]
    rollouts: list[Rollout]  # one per asked return
    losses: list[float]

    def achieved(self) -> np.ndarray:
        """Mean achieved return for each asked return."""
        return np.array([r.returns.mean() for r in self.rollouts])


ASKED = (2.0, 5.0, 8.0, 11.0, 14.0, 17.0, 24.0)  # the last is out of reach (max_return() = 18.5)


def train_and_ask(
    asked: tuple[float, ...] = ASKED,
    steps: int = 1000,
    episodes: int = 2000,
    eval_episodes: int = 20,
    batch_size: int = 64,
    seed: int = 0,
) -> AltitudeRun:
    """Log behaviour episodes, train a tiny Decision Transformer on them, then ask it for each return."""
    task = AltitudeTask()
    rng = np.random.default_rng(seed)
    data = behaviour_data(task, episodes, rng)
    torch.manual_seed(seed)
    model = DecisionTransformer(DecisionTransformerConfig(state_dim=1, act_dim=1, max_ep_len=task.horizon))
    scale = float(task.horizon)  # returns to go enter the model divided by this
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: extra threads only spin-wait on a busy machine
    try:
        losses = train(model, data, steps, torch.Generator().manual_seed(seed), scale, batch_size)
        rollouts = [rollout(model, task, g, eval_episodes, rng, scale) for g in asked]
    finally:
        torch.set_num_threads(threads)
    return AltitudeRun(model, data.rewards.sum(1), list(asked), rollouts, losses)


@lru_cache(maxsize=1)  # the figure, the table and the test share one run per process
def small_run() -> AltitudeRun:
    """The page's figure and table and the test: 150 steps of batch 32 on 500 logged episodes."""
    return train_and_ask(steps=150, episodes=500, eval_episodes=8, batch_size=32)


def small_run_table() -> dict:
    """{value} source for the page: asked and achieved returns of small_run(), and the data's range."""
    run = small_run()
    table = {f"achieved_{g:g}": float(m) for g, m in zip(run.asked, run.achieved())}
    table["data_max"] = float(run.data_returns.max())
    table["max_return"] = AltitudeTask().max_return()
    table["worst_in_range_gap"] = float(
        max(abs(m - g) for g, m in zip(run.asked, run.achieved()) if g <= AltitudeTask().max_return())
    )
    return table


def demo() -> None:
    """`mlatlas run decision-transformer`: asked vs achieved returns of a tiny Decision Transformer."""
    task = AltitudeTask()
    run = train_and_ask()
    lo, hi = np.percentile(run.data_returns, [5, 95])
    print(
        f"task: hold an altitude for {task.horizon} steps; full throttle earns {task.max_return():.1f} "
        "(noise aside)"
    )
    print(f"logged returns: 5th-95th percentile {lo:.1f}-{hi:.1f}, max {run.data_returns.max():.1f}")
    print(
        f"training MSE of the actions: first 100 steps {np.mean(run.losses[:100]):.4f}, "
        f"last 100 {np.mean(run.losses[-100:]):.4f}"
    )
    print(f"asked   achieved (mean ± std over {len(run.rollouts[0].returns)} episodes)")
    for g, r in zip(run.asked, run.rollouts):
        print(f"{g:5.1f}   {r.returns.mean():6.2f} ± {r.returns.std():.2f}")
