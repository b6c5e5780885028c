"""How good is a generative model? Distances between its samples and held-out data.

Energy distance (Székely & Rizzo, 2013, "Energy statistics: A class of statistics based on
distances"): D²(P, Q) = 2 E|X - Y| - E|X - X'| - E|Y - Y'| ≥ 0, zero only when P = Q. We report
D (the square root, as scipy.stats.energy_distance does) from samples, with the V-statistic
(all pairs, including i = j), and next to it the same distance for a Gaussian fitted to the
training data: a model that does not beat that baseline has learned only a mean and a covariance.
Shape legend: B samples, F features.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor


def energy_distance(x: Tensor, y: Tensor) -> float:
    """Energy distance between samples x (B1, F) and y (B2, F), computed in float64."""
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must be (B, F) with the same F, got {tuple(x.shape)} and {tuple(y.shape)}")
    x, y = x.double(), y.double()
    xy = torch.cdist(x, y).mean()  # E|X - Y|
    xx = torch.cdist(x, x).mean()  # E|X - X'|
    yy = torch.cdist(y, y).mean()  # E|Y - Y'|
    return float(torch.clamp(2 * xy - xx - yy, min=0.0).sqrt())


def fitted_gaussian_samples(train: Tensor, n: int, generator: torch.Generator) -> Tensor:
    """n samples from N(mean, covariance) fitted to ``train`` (B, F): the baseline model."""
    mean = train.double().mean(0)
    cov = torch.cov(train.double().T).reshape(train.shape[1], train.shape[1])
    chol = torch.linalg.cholesky(cov + 1e-9 * torch.eye(train.shape[1], dtype=torch.float64))
    z = torch.randn(n, train.shape[1], generator=generator, dtype=torch.float64)
    return (mean + z @ chol.T).to(train.dtype)  # (n, F)


class Quality(NamedTuple):
    model: float  # energy distance of the model's samples to held-out data
    gaussian: float  # the same for a Gaussian fitted to the training data
    floor: float  # the same for a second held-out sample of the data itself (sampling noise)


def quality(
    samples: Tensor,
    train: Tensor,
    held_out: Tensor,
    generator: torch.Generator,
    held_out_2: Tensor | None = None,
) -> Quality:
    """Energy distance of ``samples`` to ``held_out``, beside the fitted-Gaussian baseline and, when a
    second held-out sample is given, the floor set by finite samples."""
    baseline = fitted_gaussian_samples(train, samples.shape[0], generator)
    floor = energy_distance(held_out_2, held_out) if held_out_2 is not None else float("nan")
    return Quality(energy_distance(samples, held_out), energy_distance(baseline, held_out), floor)
