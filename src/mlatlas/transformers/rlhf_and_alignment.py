"""RLHF and alignment: supervised fine-tuning, a Bradley–Terry reward model, PPO with a KL penalty, DPO.

Papers: Long Ouyang et al. (2022), "Training language models to follow instructions with human
feedback", arXiv:2203.02155; John Schulman et al. (2017), "Proximal Policy Optimization Algorithms",
arXiv:1707.06347; Rafael Rafailov et al. (2023), "Direct Preference Optimization: Your Language Model
is Secretly a Reward Model", arXiv:2305.18290; R. A. Bradley and M. E. Terry (1952).

A reward model learns r(x, y) from pairwise human preferences through P(y_w ≻ y_l) = σ(r_w − r_l); a
policy then maximises E[r] − β·KL(π ‖ π_ref), either by PPO (sample, score, clip) or by DPO, which
uses the closed-form optimum to write the reward as β·log(π/π_ref) + const and fits the policy to the
preferences by gradient descent on the resulting loss.

To run everything end to end on a CPU we use a *bandit* stand-in for a language model: one prompt, K
candidate responses, each described by a feature vector; a policy is a softmax over the K responses.
All the losses below are the ones used on real models (with per-sequence log-probabilities in place of
our per-response log-probabilities), and the KL-regularised optimum π* ∝ π_ref·exp(r/β) is known
exactly, so we can check that PPO and DPO both reach it.

Shapes: N pairs (or samples), K responses, F features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F_
from torch import nn

# ---------------------------------------------------------------------------------------------------
# Sequence log-probabilities (what the losses consume on a real language model)


def sequence_log_probs(logits: torch.Tensor, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Sum of log π(token_t | prefix) over the response tokens: (B,) from logits (B, T, V).

    ``logits[:, t]`` predicts ``tokens[:, t]`` (shift them before calling); ``mask`` (B, T) is 1 on
    response tokens and 0 on prompt and padding, so only the response is scored.
    """
    if logits.shape[:2] != tokens.shape or tokens.shape != mask.shape:
        raise ValueError(
            f"logits {tuple(logits.shape)}, tokens {tuple(tokens.shape)} and mask {tuple(mask.shape)} "
            "must agree on (B, T)"
        )
    log_p = torch.log_softmax(logits, dim=-1).gather(-1, tokens[..., None])[..., 0]  # (B, T)
    return (log_p * mask).sum(-1)  # (B,)


# ---------------------------------------------------------------------------------------------------
# Reward modelling


def bradley_terry_loss(reward_chosen: torch.Tensor, reward_rejected: torch.Tensor) -> torch.Tensor:
    """Negative log-likelihood of the preferences: mean over pairs of −log σ(r_w − r_l)."""
    if reward_chosen.shape != reward_rejected.shape:
        raise ValueError("reward_chosen and reward_rejected must have the same shape (one per pair)")
    return -F_.logsigmoid(reward_chosen - reward_rejected).mean()


class LinearRewardModel(nn.Module):
    """r(y) = wᵀ φ(y): a reward head on fixed features (a language model's last hidden state in practice)."""

    def __init__(self, num_features: int):
        super().__init__()
        self.head = nn.Linear(num_features, 1, bias=False)  # a bias cancels in r_w − r_l

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)[..., 0]  # (...,) one scalar reward per response


class PreferenceData(NamedTuple):
    chosen: torch.Tensor  # (N,) index of the preferred response of each pair
    rejected: torch.Tensor  # (N,) index of the other one


def sample_preferences(
    true_reward: torch.Tensor, policy_probs: torch.Tensor, num_pairs: int, generator: torch.Generator
) -> PreferenceData:
    """Draw two responses from π_ref, and let a Bradley–Terry "labeller" pick one: P(a ≻ b) = σ(r_a − r_b)."""
    a = torch.multinomial(policy_probs, num_pairs, replacement=True, generator=generator)  # (N,)
    b = torch.multinomial(policy_probs, num_pairs, replacement=True, generator=generator)  # (N,)
    a_wins = torch.rand(num_pairs, generator=generator, dtype=true_reward.dtype) < torch.sigmoid(
        true_reward[a] - true_reward[b]
    )
    return PreferenceData(torch.where(a_wins, a, b), torch.where(a_wins, b, a))


def fit_reward_model(
    features: torch.Tensor, data: PreferenceData, *, steps: int = 200, weight_decay: float = 0.0
) -> LinearRewardModel:
    """Maximum-likelihood Bradley–Terry fit with L-BFGS (the problem is convex for a linear head)."""
    model = LinearRewardModel(features.shape[-1]).to(features.dtype)
    nn.init.zeros_(model.head.weight)
    opt = torch.optim.LBFGS(
        model.parameters(),
        max_iter=steps,
        line_search_fn="strong_wolfe",
        tolerance_grad=1e-12,
        tolerance_change=1e-14,
    )

    def closure() -> torch.Tensor:
        opt.zero_grad()
        r = model(features)  # (K,)
        loss = bradley_terry_loss(r[data.chosen], r[data.rejected])
        loss = loss + 0.5 * weight_decay * model.head.weight.square().sum()
        loss.backward()
        return loss

    opt.step(closure)
    return model


# ---------------------------------------------------------------------------------------------------
# The KL-regularised objective and its closed-form optimum


def kl_regularised_optimum(ref_log_probs: torch.Tensor, reward: torch.Tensor, beta: float) -> torch.Tensor:
    """π*(y) = π_ref(y)·exp(r(y)/β) / Z, the maximiser of E_π[r] − β·KL(π ‖ π_ref) (DPO paper, eq. 4)."""
    if beta <= 0:
        raise ValueError(f"beta must be positive (it weighs the KL penalty); got {beta}")
    return torch.softmax(ref_log_probs + reward / beta, dim=-1)


def kl_divergence(log_p: torch.Tensor, log_q: torch.Tensor) -> torch.Tensor:
    """KL(p ‖ q) = Σ p (log p − log q) for two distributions over the K responses."""
    return (log_p.exp() * (log_p - log_q)).sum(-1)


# ---------------------------------------------------------------------------------------------------
# DPO


class DPOOutput(NamedTuple):
    loss: torch.Tensor  # scalar
    chosen_rewards: torch.Tensor  # (N,) implicit reward β·log(π/π_ref) of y_w
    rejected_rewards: torch.Tensor  # (N,) implicit reward of y_l
    accuracy: torch.Tensor  # scalar, fraction of pairs where the implicit reward ranks y_w first


def dpo_loss(
    policy_chosen_logps: torch.Tensor,
    policy_rejected_logps: torch.Tensor,
    ref_chosen_logps: torch.Tensor,
    ref_rejected_logps: torch.Tensor,
    beta: float,
) -> DPOOutput:
    """DPO (eq. 7): −log σ(β[(log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l))]).

    All inputs are (N,) sequence log-probabilities (see :func:`sequence_log_probs`).
    """
    if beta <= 0:
        raise ValueError(f"beta must be positive; got {beta}")
    shapes = {
        t.shape for t in (policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    }
    if len(shapes) != 1:
        raise ValueError(f"all four log-prob tensors must have the same shape (N,); got {sorted(shapes)}")
    chosen_rewards = beta * (policy_chosen_logps - ref_chosen_logps)  # β log π/π_ref (y_w)
    rejected_rewards = beta * (policy_rejected_logps - ref_rejected_logps)  # β log π/π_ref (y_l)
    loss = -F_.logsigmoid(chosen_rewards - rejected_rewards).mean()  # eq. 7
    accuracy = (chosen_rewards > rejected_rewards).to(chosen_rewards.dtype).mean()
    return DPOOutput(loss, chosen_rewards.detach(), rejected_rewards.detach(), accuracy)


# ---------------------------------------------------------------------------------------------------
# PPO with a KL penalty (the InstructGPT recipe, on the bandit)


def ppo_clip_loss(
    log_probs: torch.Tensor, old_log_probs: torch.Tensor, advantages: torch.Tensor, clip: float = 0.2
) -> torch.Tensor:
    """PPO's clipped surrogate (eq. 7 of Schulman et al.), negated for minimisation.

    L = −E[min(ρ·A, clip(ρ, 1−ε, 1+ε)·A)], ρ = π(y)/π_old(y) = exp(log π − log π_old).
    """
    ratio = torch.exp(log_probs - old_log_probs)  # ρ
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1 - clip, 1 + clip) * advantages
    return -torch.minimum(unclipped, clipped).mean()


def kl_penalised_reward(
    reward: torch.Tensor, log_probs: torch.Tensor, ref_log_probs: torch.Tensor, beta: float
) -> torch.Tensor:
    """InstructGPT's shaped reward R(y) = r(y) − β·(log π(y) − log π_ref(y)); its mean is the objective."""
    return reward - beta * (log_probs - ref_log_probs)


@dataclass
class BanditConfig:
    """The toy alignment problem: one prompt, K candidate responses described by F features."""

    num_responses: int = 12  # K
    num_features: int = 4  # F
    beta: float = 1.0  # KL weight
    num_pairs: int = 4000  # preference pairs for the reward model and DPO
    sft_demos: int = 400  # demonstrations for supervised fine-tuning
    ppo_iterations: int = 300
    ppo_batch: int = 256
    dpo_steps: int = 600
    seed: int = 0


class AlignmentRun(NamedTuple):
    beta: float
    true_reward: torch.Tensor  # (K,)
    ref_probs: torch.Tensor  # (K,) SFT policy π_ref
    learned_reward: torch.Tensor  # (K,) Bradley–Terry reward model (centred)
    optimum: torch.Tensor  # (K,) π* ∝ π_ref exp(r/β) under the true reward
    ppo_probs: torch.Tensor  # (K,) policy after PPO against the learned reward
    dpo_probs: torch.Tensor  # (K,) policy after DPO on the preference pairs
    reward_model_accuracy: float  # held-out pairwise accuracy of the reward model
    labeller_ceiling: float  # the same accuracy for the true reward (labels are noisy, so < 1)
    expected_reward: dict  # name → E_π[true reward]
    kl_to_ref: dict  # name → KL(π ‖ π_ref)


def run_alignment(config: BanditConfig | None = None) -> AlignmentRun:
    """SFT → reward model → PPO, and DPO from the same preferences, on the bandit. Float64, ~2 s on CPU."""
    cfg = config or BanditConfig()
    g = torch.Generator().manual_seed(cfg.seed)
    dt = torch.float64
    K, Fdim, beta = cfg.num_responses, cfg.num_features, cfg.beta
    features = torch.randn(K, Fdim, generator=g, dtype=dt)  # φ(y), (K, F)
    true_w = torch.randn(Fdim, generator=g, dtype=dt)
    true_reward = features @ true_w  # r(y), (K,)

    # 1. SFT: fit a softmax policy to demonstrations by maximum likelihood (cross-entropy).
    demo_dist = torch.softmax(torch.randn(K, generator=g, dtype=dt), -1)
    demos = torch.multinomial(demo_dist, cfg.sft_demos, replacement=True, generator=g)  # (N,)
    counts = torch.bincount(demos, minlength=K).to(dt)
    ref_log_probs = torch.log((counts + 1) / (counts + 1).sum())  # the CE minimiser, add-one smoothed
    ref_probs = ref_log_probs.exp()

    # 2. Reward model: Bradley–Terry on pairs drawn from π_ref, labelled by a noisy "human".
    data = sample_preferences(true_reward, ref_probs, cfg.num_pairs, g)
    reward_model = fit_reward_model(features, data)
    with torch.no_grad():
        learned = reward_model(features)
    held_out = sample_preferences(true_reward, torch.full((K,), 1.0 / K, dtype=dt), 2000, g)
    rm_acc = (learned[held_out.chosen] > learned[held_out.rejected]).to(dt).mean().item()
    ceiling = (true_reward[held_out.chosen] > true_reward[held_out.rejected]).to(dt).mean().item()

    # 3. PPO with a KL penalty against the learned reward.
    logits = ref_log_probs.clone().requires_grad_(True)
    opt = torch.optim.Adam([logits], lr=0.05)
    for _ in range(cfg.ppo_iterations):
        with torch.no_grad():
            old_log_probs = torch.log_softmax(logits, -1)
            y = torch.multinomial(old_log_probs.exp(), cfg.ppo_batch, replacement=True, generator=g)
            shaped = kl_penalised_reward(learned[y], old_log_probs[y], ref_log_probs[y], beta)
            advantages = shaped - shaped.mean()  # a mean baseline in place of a value network
        for _ in range(4):  # a few epochs on the same batch: this is where clipping matters
            loss = ppo_clip_loss(torch.log_softmax(logits, -1)[y], old_log_probs[y], advantages)
            opt.zero_grad()
            loss.backward()
            opt.step()
    ppo_probs = torch.softmax(logits.detach(), -1)

    # 4. DPO directly on the preference pairs, starting from π_ref.
    logits = ref_log_probs.clone().requires_grad_(True)
    opt = torch.optim.Adam([logits], lr=0.05)
    for _ in range(cfg.dpo_steps):
        log_pi = torch.log_softmax(logits, -1)
        out = dpo_loss(
            log_pi[data.chosen],
            log_pi[data.rejected],
            ref_log_probs[data.chosen],
            ref_log_probs[data.rejected],
            beta,
        )
        opt.zero_grad()
        out.loss.backward()
        opt.step()
    dpo_probs = torch.softmax(logits.detach(), -1)

    optimum = kl_regularised_optimum(ref_log_probs, true_reward, beta)
    policies = {"SFT (π_ref)": ref_probs, "PPO": ppo_probs, "DPO": dpo_probs, "optimum π*": optimum}
    return AlignmentRun(
        beta=beta,
        true_reward=true_reward,
        ref_probs=ref_probs,
        learned_reward=learned - learned.mean(),
        optimum=optimum,
        ppo_probs=ppo_probs,
        dpo_probs=dpo_probs,
        reward_model_accuracy=rm_acc,
        labeller_ceiling=ceiling,
        expected_reward={k: float(p @ true_reward) for k, p in policies.items()},
        kl_to_ref={k: float(kl_divergence(p.log(), ref_log_probs)) for k, p in policies.items()},
    )


def demo() -> None:
    """`mlatlas run rlhf-and-alignment`: the whole pipeline on the bandit, printed as a table."""
    run = run_alignment()
    print(
        f"reward model held-out pairwise accuracy: {run.reward_model_accuracy:.3f} "
        f"(the true reward itself scores {run.labeller_ceiling:.3f}: the labels are noisy)"
    )
    print(f"{'policy':<14}{'E[true reward]':>16}{'KL to ref':>12}")
    for name in run.expected_reward:
        print(f"{name:<14}{run.expected_reward[name]:>16.3f}{run.kl_to_ref[name]:>12.3f}")
    tv = lambda p: 0.5 * (p - run.optimum).abs().sum().item()
    print(f"total-variation distance to π*: PPO {tv(run.ppo_probs):.3f}, DPO {tv(run.dpo_probs):.3f}")


if __name__ == "__main__":
    demo()
