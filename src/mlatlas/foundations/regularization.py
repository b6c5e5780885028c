"""Regularisation: dropout, weight decay (L2 against decoupled), gradient clipping.

Papers: Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov 2014, JMLR 15 (dropout: their p is
the *keep* probability and they scale the weights by p at test time; the "inverted" train-time scaling
by 1/(1 − p), p the drop probability, that every framework uses is a later convention);
Loshchilov & Hutter 2017, arXiv 1711.05101 (decoupled weight decay);
Pascanu, Mikolov & Bengio 2012, arXiv 1211.5063 (clipping by norm).
Three small tools that keep a network from trusting its training data, or its gradients, too much.
Each is a pure function checked against torch's own (F.dropout, torch.optim weight_decay,
torch.nn.utils.clip_grad_norm_ / clip_grad_value_).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import Tensor

from mlatlas.foundations.optimizers import adam_init, adam_step, adamw_step, run, sgd_init, sgd_step


class DropoutOutput(NamedTuple):
    """The dropped-out activations and the keep mask (1 = kept) that produced them."""

    output: Tensor
    mask: Tensor


def dropout(
    x: Tensor, p: float, *, training: bool, generator: torch.Generator | None = None
) -> DropoutOutput:
    """Inverted dropout: zero each entry with probability p, scale survivors by 1/(1 − p).

        m_i ~ Bernoulli(1 − p),   y_i = m_i x_i / (1 − p)   (training)
        y = x                                               (evaluation)
    The 1/(1 − p) keeps E[y_i] = x_i, so nothing needs rescaling at test time. The mask is drawn
    with ``bernoulli_`` like torch's CPU kernel, so the same seed gives torch's exact mask.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return DropoutOutput(x, torch.ones_like(x))
    if p == 1.0:
        return DropoutOutput(torch.zeros_like(x), torch.zeros_like(x))  # everything dropped
    mask = torch.empty_like(x).bernoulli_(1.0 - p, generator=generator)  # m ~ Bernoulli(1 − p)
    return DropoutOutput(x * mask / (1.0 - p), mask)  # y = m x / (1 − p)


def l2_gradient(grad: Tensor, x: Tensor, weight_decay: float) -> Tensor:
    """Gradient of f(x) + λ/2 ‖x‖²: g + λ x (what torch.optim's ``weight_decay`` adds for SGD and Adam)."""
    return grad + weight_decay * x


def decoupled_decay(x: Tensor, lr: float, weight_decay: float) -> Tensor:
    """Shrink the weights directly, outside the gradient: x ← (1 − η λ) x (AdamW's first line)."""
    return x * (1.0 - lr * weight_decay)


class ClippedGradients(NamedTuple):
    """The clipped gradients and the total norm measured before clipping."""

    grads: list[Tensor]
    total_norm: Tensor


def clip_grad_norm(grads: Sequence[Tensor], max_norm: float, norm_type: float = 2.0) -> ClippedGradients:
    """Rescale all gradients together so their joint norm is at most ``max_norm``.

        ‖g‖ = (Σ_k ‖g_k‖_p^p)^{1/p}        (one norm over every tensor, as if concatenated)
        c = min(1, max_norm / (‖g‖ + 10⁻⁶)) ;  g_k ← c g_k
    The direction is kept; only the length changes. The 10⁻⁶ guards a zero norm (as in torch).
    """
    if max_norm <= 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm}")
    if len(grads) == 0:
        return ClippedGradients([], torch.tensor(0.0))
    if math.isinf(norm_type):
        total = torch.stack([g.abs().max() for g in grads]).max()  # ‖g‖_∞ = max |g_i|
    else:
        total = torch.linalg.vector_norm(
            torch.stack([torch.linalg.vector_norm(g, norm_type) for g in grads]), norm_type
        )  # norm of the per-tensor norms = norm of the concatenation
    coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)  # c = min(1, max_norm / ‖g‖)
    return ClippedGradients([g * coef for g in grads], total)


def clip_grad_value(grads: Sequence[Tensor], clip_value: float) -> list[Tensor]:
    """Clamp every coordinate to [−v, v]. Cheap, but it can turn the gradient's direction."""
    if clip_value <= 0:
        raise ValueError(f"clip_value must be > 0, got {clip_value}")
    return [g.clamp(-clip_value, clip_value) for g in grads]


# ---------------------------------------------------------------------------------------------
# When L2 and decoupled decay differ: a quadratic whose two coordinates have very different
# curvatures, f(w) = ½ Σ_i s_i (w_i − 1)² with s = (10, 0.1), started at w = 0.
# ---------------------------------------------------------------------------------------------
CURVATURES = (10.0, 0.1)


class DecayComparison(NamedTuple):
    """Trajectories (steps + 1, 2) under four optimiser/decay pairings, and the L2 fixed point."""

    sgd_l2: Tensor
    sgd_decoupled: Tensor
    adam_l2: Tensor
    adamw: Tensor
    l2_fixed_point: Tensor


def compare_weight_decay(
    num_steps: int = 3000, weight_decay: float = 0.5, sgd_lr: float = 0.05, adam_lr: float = 0.01
) -> DecayComparison:
    """Run SGD and Adam with coupled (L2) and decoupled decay on the two-curvature quadratic.

    With SGD the two are the same update. With Adam the L2 term is divided by √v like the rest of
    the gradient, so Adam+L2 still converges to the L2 minimiser w_i = s_i / (s_i + λ), which
    shrinks the flat coordinate far more; AdamW shrinks every coordinate at the same rate η λ.
    """
    s = torch.tensor(CURVATURES, dtype=torch.float64)

    def loss_and_grad(w: Tensor) -> tuple[Tensor, Tensor]:
        return 0.5 * (s * (w - 1.0) ** 2).sum(), s * (w - 1.0)  # f and ∇f = s (w − 1)

    def sgd_decoupled_step(x, grad, state, *, lr):
        return decoupled_decay(x, lr, weight_decay) - lr * grad, state  # x ← (1 − ηλ)x − ηg

    w0 = torch.zeros(2, dtype=torch.float64)
    lam = weight_decay
    return DecayComparison(
        sgd_l2=run(sgd_step, sgd_init(w0), w0, loss_and_grad, num_steps, lr=sgd_lr, weight_decay=lam).xs,
        sgd_decoupled=run(sgd_decoupled_step, sgd_init(w0), w0, loss_and_grad, num_steps, lr=sgd_lr).xs,
        adam_l2=run(adam_step, adam_init(w0), w0, loss_and_grad, num_steps, lr=adam_lr, weight_decay=lam).xs,
        adamw=run(adamw_step, adam_init(w0), w0, loss_and_grad, num_steps, lr=adam_lr, weight_decay=lam).xs,
        l2_fixed_point=s / (s + lam),  # ∇f + λw = 0  ⇒  w_i = s_i / (s_i + λ)
    )
