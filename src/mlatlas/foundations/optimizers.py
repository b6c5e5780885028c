"""Optimisers as pure update functions: SGD, momentum, Nesterov, RMSProp, Adam, AdamW.

Papers: Polyak 1964 (heavy-ball momentum); Nesterov 1983, in the deep-learning form of Sutskever,
Martens, Dahl & Hinton 2013 (gradient at the look-ahead point), rewritten with the gradient at the
current point by Bengio, Boulanger-Lewandowski & Pascanu 2012, arXiv 1212.0901 (torch's form, ours);
Hinton's 2012 lecture notes (RMSProp); Kingma & Ba 2014, arXiv
1412.6980 (Adam); Loshchilov & Hutter 2017, arXiv 1711.05101 (AdamW) and 2016, arXiv 1608.03983
(cosine schedule, SGDR).
Every optimiser is ``step(x, grad, state, **hyperparameters) -> (x_new, state_new)``: the state goes
in and comes out, nothing is hidden in an object, so a trajectory is just a loop.

The arithmetic follows torch.optim's update order, so the two agree to float64 round-off for any
number of steps (the tests compare every iterate). Tensors may have any shape; all operations are
elementwise except the step counter.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import Tensor


class SGDState(NamedTuple):
    """Momentum buffer ``b`` (zeros for plain SGD, where it is unused)."""

    velocity: Tensor


class RMSPropState(NamedTuple):
    """Running mean of squared gradients ``s`` and the momentum buffer ``b``."""

    square_avg: Tensor
    velocity: Tensor


class AdamState(NamedTuple):
    """Step count ``t`` and the first and second moment estimates ``m``, ``v``."""

    step: int
    exp_avg: Tensor
    exp_avg_sq: Tensor


def _check(x: Tensor, grad: Tensor, lr: float) -> None:
    if x.shape != grad.shape:
        raise ValueError(f"x has shape {tuple(x.shape)} but grad has {tuple(grad.shape)}; they must match")
    if not lr >= 0.0:
        raise ValueError(f"learning rate must be >= 0, got {lr}")


def sgd_init(x: Tensor) -> SGDState:
    return SGDState(torch.zeros_like(x))


def sgd_step(
    x: Tensor,
    grad: Tensor,
    state: SGDState,
    *,
    lr: float,
    momentum: float = 0.0,
    nesterov: bool = False,
    weight_decay: float = 0.0,
) -> tuple[Tensor, SGDState]:
    """One step of SGD, heavy-ball momentum (``momentum > 0``) or Nesterov (``nesterov=True``).

    g ← ∇f(x) + λ x                 (L2 weight decay, coupled into the gradient)
    b ← μ b + g                     (velocity; b₀ = 0, so b₁ = g as in torch)
    d ← g + μ b  if Nesterov else b (Nesterov: Bengio et al.'s rewrite of the look-ahead gradient)
    x ← x − η d
    """
    _check(x, grad, lr)
    if nesterov and momentum <= 0.0:
        raise ValueError("Nesterov momentum needs momentum > 0 (e.g. momentum=0.9)")
    g = grad + weight_decay * x if weight_decay != 0.0 else grad  # g = ∇f + λx
    if momentum == 0.0:
        return x - lr * g, state  # x ← x − η g
    b = momentum * state.velocity + g  # b ← μ b + g
    d = g + momentum * b if nesterov else b  # look-ahead direction for Nesterov
    return x - lr * d, SGDState(b)  # x ← x − η d


def rmsprop_init(x: Tensor) -> RMSPropState:
    return RMSPropState(torch.zeros_like(x), torch.zeros_like(x))


def rmsprop_step(
    x: Tensor,
    grad: Tensor,
    state: RMSPropState,
    *,
    lr: float = 1e-2,
    alpha: float = 0.99,
    eps: float = 1e-8,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
) -> tuple[Tensor, RMSPropState]:
    """One RMSProp step: divide the gradient by a running root-mean-square of past gradients.

    s ← α s + (1 − α) g²
    u ← g / (√s + ε)
    b ← μ b + u ;  x ← x − η b      (with momentum; otherwise x ← x − η u)
    """
    _check(x, grad, lr)
    g = grad + weight_decay * x if weight_decay != 0.0 else grad
    s = alpha * state.square_avg + (1.0 - alpha) * g * g  # s ← α s + (1 − α) g²
    u = g / (torch.sqrt(s) + eps)  # per-coordinate normalised step g / (√s + ε)
    if momentum > 0.0:
        b = momentum * state.velocity + u  # b ← μ b + u
        return x - lr * b, RMSPropState(s, b)
    return x - lr * u, RMSPropState(s, state.velocity)


def adam_init(x: Tensor) -> AdamState:
    return AdamState(0, torch.zeros_like(x), torch.zeros_like(x))


def adam_step(
    x: Tensor,
    grad: Tensor,
    state: AdamState,
    *,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    decoupled: bool = False,
) -> tuple[Tensor, AdamState]:
    """One Adam step (Kingma & Ba 2014, Algorithm 1); ``decoupled=True`` makes it AdamW.

    x ← x (1 − η λ)                     (AdamW: decay the weights directly)
    g ← ∇f(x) + λ x                     (Adam: L2 decay folded into the gradient)
    m ← β₁ m + (1 − β₁) g               (first moment)
    v ← β₂ v + (1 − β₂) g²              (second moment)
    x ← x − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)   (bias-corrected step)
    """
    _check(x, grad, lr)
    t = state.step + 1
    g = grad
    if weight_decay != 0.0:
        if decoupled:
            x = x * (1.0 - lr * weight_decay)  # AdamW: x ← x (1 − η λ)
        else:
            g = grad + weight_decay * x  # Adam + L2: g ← g + λ x
    m = beta1 * state.exp_avg + (1.0 - beta1) * g  # m ← β₁ m + (1 − β₁) g
    v = beta2 * state.exp_avg_sq + (1.0 - beta2) * g * g  # v ← β₂ v + (1 − β₂) g²
    bias_correction1 = 1.0 - beta1**t  # 1 − β₁ᵗ
    bias_correction2 = 1.0 - beta2**t  # 1 − β₂ᵗ
    denom = torch.sqrt(v) / math.sqrt(bias_correction2) + eps  # √v̂ + ε
    return x - (lr / bias_correction1) * m / denom, AdamState(t, m, v)


def adamw_step(
    x: Tensor,
    grad: Tensor,
    state: AdamState,
    *,
    lr: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
) -> tuple[Tensor, AdamState]:
    """AdamW (Loshchilov & Hutter 2017): Adam with the weight decay applied to x, not to g."""
    return adam_step(
        x, grad, state, lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay, decoupled=True
    )


def warmup_cosine_lr(
    step: int,
    *,
    base_lr: float,
    warmup_steps: int,
    total_steps: int,
    min_lr: float = 0.0,
    warmup_start_factor: float = 0.1,
) -> float:
    """Learning rate at ``step`` (0-based): linear warmup, then cosine decay to ``min_lr``.

        warmup (t < W):  η_t = η · (s + (1 − s) t / W)             with start factor s
        cosine (t ≥ W):  η_t = η_min + (η − η_min) (1 + cos(π (t − W) / (T − W))) / 2
    and η_t = η_min once t ≥ T. For t ≤ T this is torch's SequentialLR(LinearLR,
    CosineAnnealingLR); past T_max torch's cosine is periodic and climbs again, ours stays at η_min.
    """
    if warmup_steps < 0 or total_steps <= warmup_steps:
        raise ValueError(
            "need 0 <= warmup_steps < total_steps, "
            f"got warmup_steps={warmup_steps}, total_steps={total_steps}"
        )
    if not 0.0 < warmup_start_factor <= 1.0:
        raise ValueError(f"warmup_start_factor must be in (0, 1], got {warmup_start_factor}")
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if step < warmup_steps:
        factor = warmup_start_factor + (1.0 - warmup_start_factor) * step / warmup_steps  # linear ramp
        return base_lr * factor
    progress = min(step - warmup_steps, total_steps - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (base_lr - min_lr) * (1.0 + math.cos(math.pi * progress)) / 2.0  # cosine decay


class Trajectory(NamedTuple):
    """Iterates ``xs`` (steps + 1, *shape) starting at x₀, and the loss at each iterate."""

    xs: Tensor
    losses: Tensor


def run(
    step: Callable[..., tuple[Tensor, NamedTuple]],
    state: NamedTuple,
    x0: Tensor,
    loss_and_grad: Callable[[Tensor], tuple[Tensor, Tensor]],
    num_steps: int,
    *,
    lr: float | Callable[[int], float],
    **hyperparameters: float | bool,
) -> Trajectory:
    """Iterate ``x ← step(x, ∇f(x), state)`` for ``num_steps``; ``lr`` may be a schedule t ↦ η_t."""
    if num_steps < 0:
        raise ValueError(f"num_steps must be >= 0, got {num_steps}")
    x = x0.clone()
    xs, losses = [x], []
    for t in range(num_steps):
        loss, g = loss_and_grad(x)
        losses.append(loss)
        eta = lr(t) if callable(lr) else lr
        x, state = step(x, g, state, lr=eta, **hyperparameters)
        xs.append(x)
    losses.append(loss_and_grad(x)[0])
    return Trajectory(torch.stack(xs), torch.stack([torch.as_tensor(v) for v in losses]))


def surface_loss_and_grad(name: str) -> Callable[[Tensor], tuple[Tensor, Tensor]]:
    """Adapt a 2-D surface from :mod:`mlatlas.foundations.surfaces` to ``x (2,) -> (f, ∇f)``."""
    from mlatlas.foundations.surfaces import get_surface

    surface = get_surface(name)

    def loss_and_grad(x: Tensor) -> tuple[Tensor, Tensor]:
        gx, gy = surface.grad(x[0], x[1])
        return surface.f(x[0], x[1]), torch.stack([gx, gy])

    return loss_and_grad


OPTIMIZER_NAMES = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")


def trajectory_on_surface(
    optimizer: str,
    surface: str,
    num_steps: int,
    *,
    lr: float,
    start: tuple[float, float] | None = None,
    **hyperparameters: float,
) -> Trajectory:
    """Run a named optimiser on a named 2-D surface in float64 (what the gradient-descent lab does).

    ``momentum`` and ``nesterov`` use μ = 0.9 unless ``momentum=`` is given.
    """
    from mlatlas.foundations.surfaces import get_surface

    x0 = torch.tensor(start or get_surface(surface).start, dtype=torch.float64)
    loss_and_grad = surface_loss_and_grad(surface)
    if optimizer == "sgd":
        return run(sgd_step, sgd_init(x0), x0, loss_and_grad, num_steps, lr=lr, **hyperparameters)
    if optimizer in ("momentum", "nesterov"):
        hyperparameters.setdefault("momentum", 0.9)
        return run(
            sgd_step, sgd_init(x0), x0, loss_and_grad, num_steps,
            lr=lr, nesterov=optimizer == "nesterov", **hyperparameters,
        )  # fmt: skip
    if optimizer == "rmsprop":
        return run(rmsprop_step, rmsprop_init(x0), x0, loss_and_grad, num_steps, lr=lr, **hyperparameters)
    if optimizer == "adam":
        return run(adam_step, adam_init(x0), x0, loss_and_grad, num_steps, lr=lr, **hyperparameters)
    if optimizer == "adamw":
        return run(adamw_step, adam_init(x0), x0, loss_and_grad, num_steps, lr=lr, **hyperparameters)
    raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {OPTIMIZER_NAMES}")
