"""The one training loop of the generative book: minibatches, a loss, Adam.

Every trained model of the book (DDPM's ε, score matching's s, flow matching's v, the VAE and the
flows) goes through ``train``; each chapter supplies only its loss ``loss_fn(model, x, generator)``,
which draws its own noise and times from ``generator`` so a run is reproducible end to end.
Shape legend: B batch, F features.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import Tensor, nn

LossFn = Callable[[nn.Module, Tensor, torch.Generator], Tensor]


class TrainResult(NamedTuple):
    model: nn.Module
    losses: Tensor  # (steps,) the loss of every step


def train(
    model: nn.Module,
    loss_fn: LossFn,
    data: Tensor,
    *,
    steps: int,
    batch_size: int = 256,
    lr: float = 2e-3,
    generator: torch.Generator,
) -> TrainResult:
    """Minimise ``loss_fn`` over minibatches of ``data`` (N, F) with Adam; returns the model and losses.

    The learning rate decays linearly to a tenth over the run (a cosine or warm-up changes little at
    this size). Batches are drawn with replacement from ``data`` using ``generator``.
    """
    if data.ndim < 2 or data.shape[0] == 0:
        raise ValueError(f"data must be (N, F) with N > 0, got shape {tuple(data.shape)}")
    if steps <= 0 or batch_size <= 0:
        raise ValueError(f"steps and batch_size must be positive, got {steps} and {batch_size}")
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, foreach=True)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda k: 1.0 - 0.9 * k / steps)
    losses = torch.empty(steps)
    model.train()
    for step in range(steps):
        index = torch.randint(data.shape[0], (batch_size,), generator=generator)
        loss = loss_fn(model, data[index], generator)  # (B, F) batch -> scalar
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        losses[step] = loss.detach()
    model.eval()
    return TrainResult(model, losses)
