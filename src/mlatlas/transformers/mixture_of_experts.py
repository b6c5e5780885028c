"""Sparse mixture of experts: a top-k router over SwiGLU experts, with the load-balancing loss.

Papers: Noam Shazeer, Azalia Mirhoseini, Krzysztof Maziarz, Andy Davis, Quoc Le, Geoffrey Hinton, Jeff Dean
(2017), "Outrageously Large Neural Networks: The Sparsely-Gated Mixture-of-Experts Layer", arXiv:1701.06538;
William Fedus, Barret Zoph, Noam Shazeer (2021), "Switch Transformers", arXiv:2101.03961 (the balancing
loss, eqs. 4-6); Albert Q. Jiang et al. (2024), "Mixtral of Experts", arXiv:2401.04088.

Replace the one feed-forward block with E experts and a router that sends each token to its top k of
them: parameters grow with E while the compute per token grows only with k.

Shapes: B batch, T sequence, C model width, N = B*T tokens, E experts, k experts per token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mlatlas.transformers.swiglu import SwiGLU


@dataclass(frozen=True)
class MoEConfig:
    d_model: int  # C
    hidden_dim: int  # F, each expert's SwiGLU width
    num_experts: int = 8  # E
    top_k: int = 2  # k

    def __post_init__(self) -> None:
        if min(self.d_model, self.hidden_dim, self.num_experts) <= 0:
            raise ValueError("d_model, hidden_dim and num_experts must be positive")
        if not 1 <= self.top_k <= self.num_experts:
            raise ValueError(f"top_k must be in [1, num_experts={self.num_experts}]; got {self.top_k}")


class Routing(NamedTuple):
    logits: Tensor  # (N, E) router logits
    weights: Tensor  # (N, k) gate values of the chosen experts, renormalised to sum to 1
    experts: Tensor  # (N, k) indices of the chosen experts


def route_top_k(logits: Tensor, top_k: int) -> Routing:
    """Mixtral's router: ``softmax`` over all E experts, keep the top k, renormalise them to sum to 1.

    (Same result as a softmax over only the top-k logits; Shazeer et al. 2017 eq. 3-5 without noise.)
    """
    probs = F.softmax(logits, dim=-1)  # (N, E)  G(x) = softmax(x W_g)
    weights, experts = probs.topk(top_k, dim=-1)  # (N, k) each
    weights = weights / weights.sum(dim=-1, keepdim=True)  # (N, k) renormalised gates
    return Routing(logits, weights, experts)


def load_balancing_loss(router_logits: Tensor, top_k: int) -> Tensor:
    """Switch Transformer auxiliary loss ``L = E * sum_e f_e * P_e`` (Fedus et al. 2021, eqs. 4-6).

    f_e: fraction of the N tokens that sent one of their k slots to expert e, as transformers' Mixtral
    code counts it (so the sum over e of f_e is k and a perfectly uniform router scores k); P_e: mean router
    probability of expert e. f is not differentiable; the gradient flows through P and pushes
    probability away from over-used experts. router_logits (N, E) -> scalar.
    """
    n, num_experts = router_logits.shape
    probs = F.softmax(router_logits, dim=-1)  # (N, E)
    chosen = probs.topk(top_k, dim=-1).indices  # (N, k)
    f = F.one_hot(chosen, num_experts).to(probs.dtype).sum(dim=(0, 1)) / n  # (E,)  f_e
    p = probs.mean(dim=0)  # (E,)  P_e
    return num_experts * (f * p).sum()  # E * sum_e f_e P_e


class MoEOutput(NamedTuple):
    output: Tensor  # (B, T, C)
    routing: Routing  # the router's decisions, for the balancing loss and usage statistics


class SparseMoE(nn.Module):
    """Top-k mixture of SwiGLU experts (the Mixtral sparse MoE block, without router jitter)."""

    def __init__(self, config: MoEConfig, *, dtype: torch.dtype | None = None):
        super().__init__()
        self.config = config
        self.router = nn.Linear(config.d_model, config.num_experts, bias=False, dtype=dtype)  # W_g
        self.experts = nn.ModuleList(
            SwiGLU(config.d_model, config.hidden_dim, dtype=dtype) for _ in range(config.num_experts)
        )

    def forward(self, x: Tensor) -> MoEOutput:
        """x (B, T, C) -> MoEOutput(output (B, T, C), routing)."""
        if x.dim() != 3 or x.shape[-1] != self.config.d_model:
            raise ValueError(f"x must be (B, T, C={self.config.d_model}); got {tuple(x.shape)}")
        b, t, c = x.shape
        tokens = x.reshape(b * t, c)  # (N, C)
        routing = route_top_k(self.router(tokens), self.config.top_k)  # (N, E), (N, k), (N, k)
        out = torch.zeros_like(tokens)  # (N, C)
        for e, expert in enumerate(self.experts):
            token_idx, slot = torch.where(
                routing.experts == e
            )  # tokens that chose expert e, and in which slot
            if token_idx.numel() == 0:
                continue  # an unused expert costs nothing: that is the point
            y = expert(tokens[token_idx])  # (N_e, C)  E_e(x)
            out.index_add_(0, token_idx, y * routing.weights[token_idx, slot, None])  # sum_k g_k E_k(x)
        return MoEOutput(out.view(b, t, c), routing)


def expert_usage(routing: Routing, num_experts: int) -> Tensor:
    """Fraction of routing slots each expert received, (E,), summing to 1."""
    counts = torch.bincount(routing.experts.flatten(), minlength=num_experts).to(torch.float64)
    return counts / counts.sum()


class UsageRun(NamedTuple):
    usage: Tensor  # (E,) fraction of routing slots per expert after training
    losses: list[float]  # task loss per step


def train_toy_router(balance_coef: float, *, steps: int = 150, seed: int = 0) -> UsageRun:
    """Train a small MoE on a toy regression with or without the balancing loss; return expert usage.

    The data are clustered so that a router can collapse onto few experts; ``balance_coef`` scales
    ``load_balancing_loss`` in the objective (Switch used 1e-2).
    """
    with torch.random.fork_rng():  # seed locally without disturbing the caller's random state
        g = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)  # module initialisation draws from the global generator; forked above
        cfg = MoEConfig(d_model=16, hidden_dim=32, num_experts=8, top_k=2)
        moe = SparseMoE(cfg)
        # a router that starts out favouring a couple of experts, as happens in practice
        with torch.no_grad():
            moe.router.weight.mul_(4.0)
        centres = torch.randn(4, cfg.d_model, generator=g) * 2
        x = centres[torch.randint(0, 4, (512,), generator=g)] + 0.5 * torch.randn(
            512, cfg.d_model, generator=g
        )
        target = torch.sin(x @ torch.randn(cfg.d_model, cfg.d_model, generator=g) / 4)
        opt = torch.optim.Adam(moe.parameters(), lr=3e-3)
        losses = []
        for _ in range(steps):
            out = moe(x[None])
            task = F.mse_loss(out.output[0], target)
            loss = task + balance_coef * load_balancing_loss(out.routing.logits, cfg.top_k)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(task.item())
        with torch.no_grad():
            usage = expert_usage(moe(x[None]).routing, cfg.num_experts)
    return UsageRun(usage, losses)
