"""The one small network of the generative book: an MLP that takes a point and a time.

DDPM predicts the noise ε(x_t, t), score matching the score s(x, σ), flow matching the velocity
v(x_t, t): all three are a map (x, t) -> a vector the shape of x. One module serves them all so the
chapters differ only in what the network is trained to output, which is the lesson.
Shape legend: B batch, F features.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass
class TimeMLPConfig:
    features: int = 2  # F, the data dimension
    hidden: int = 128
    layers: int = 3  # hidden layers
    time_frequencies: int = 8  # sin/cos pairs of the time embedding


class TimeMLP(nn.Module):
    """f(x, t): (B, F), (B,) -> (B, F). t is a float in [0, 1] (callers rescale integer steps)."""

    def __init__(self, config: TimeMLPConfig):
        super().__init__()
        self.config = config
        # frequencies π·2^k / 2, k = 0..K-1: smooth in t at the low end, sharp enough at the high end
        freqs = math.pi * 2.0 ** torch.arange(config.time_frequencies, dtype=torch.float32) / 2
        self.register_buffer("freqs", freqs, persistent=False)
        width_in = config.features + 2 * config.time_frequencies
        blocks: list[nn.Module] = []
        for k in range(config.layers):
            blocks += [nn.Linear(width_in if k == 0 else config.hidden, config.hidden), nn.SiLU()]
        blocks.append(nn.Linear(config.hidden, config.features))
        self.net = nn.Sequential(*blocks)

    def time_embedding(self, t: Tensor) -> Tensor:
        angles = t[:, None].to(self.freqs.dtype) * self.freqs  # (B, K)
        return torch.cat([angles.sin(), angles.cos()], dim=1)  # (B, 2K)

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        if t.ndim == 0:
            t = t.expand(x.shape[0])
        if x.ndim != 2 or x.shape[1] != self.config.features or t.shape != (x.shape[0],):
            raise ValueError(
                f"expected x of shape (B, {self.config.features}) and t of shape (B,), "
                f"got {tuple(x.shape)} and {tuple(t.shape)}"
            )
        h = torch.cat([x, self.time_embedding(t).to(x.dtype)], dim=1)  # (B, F + 2K)
        return self.net(h)  # (B, F)
