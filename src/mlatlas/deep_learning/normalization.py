"""Normalisation layers: BatchNorm (with running statistics), LayerNorm and GroupNorm.

Papers: Ioffe, Szegedy (2015), "Batch Normalization: Accelerating Deep Network Training by Reducing
Internal Covariate Shift", arXiv:1502.03167; Ba, Kiros, Hinton (2016), "Layer Normalization",
arXiv:1607.06450; Wu, He (2018), "Group Normalization", arXiv:1803.08494.
All three standardise activations to zero mean and unit variance over some set of entries, then
apply a learned scale and shift (per channel; per entry of ``normalized_shape`` for LayerNorm); they
differ only in *which* entries share statistics.

    x_hat = (x - mu) / sqrt(sigma^2 + eps),   y = gamma * x_hat + beta      (Ioffe & Szegedy, Alg. 1)

BatchNorm: mu, sigma^2 per channel over (B, H, W); at evaluation it uses running averages instead,
    running <- (1 - momentum) running + momentum * batch statistic          (PyTorch's convention)
with the *unbiased* batch variance (n / (n - 1)) sigma^2 in the running variance (as in Alg. 2).
LayerNorm: over the trailing ``normalized_shape`` of each example. GroupNorm: over the C / G channels
of a group and (H, W), per example. Shapes: x is (B, C) or (B, C, H, W); per-channel params (C,).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn


def _channel_shape(x: Tensor) -> tuple[int, ...]:
    """Shape that broadcasts a (C,) vector along dim 1 of x: (1, C) or (1, C, 1, 1)."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def standardize(x: Tensor, dims: Sequence[int], eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """x_hat = (x - mu) / sqrt(var + eps) over ``dims`` (biased variance); returns (x_hat, mu, var)."""
    mu = x.mean(dim=tuple(dims), keepdim=True)  # mu
    var = ((x - mu) ** 2).mean(dim=tuple(dims), keepdim=True)  # sigma^2, divided by n (biased)
    return (x - mu) / torch.sqrt(var + eps), mu, var


class BatchNormOutput(NamedTuple):
    y: Tensor
    running_mean: Tensor | None
    running_var: Tensor | None


def batch_norm(
    x: Tensor,
    weight: Tensor | None,
    bias: Tensor | None,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    *,
    training: bool,
    momentum: float | None = 0.1,
    eps: float = 1e-5,
    num_batches_tracked: int = 0,
) -> BatchNormOutput:
    """BatchNorm as a pure function: returns the output and the *new* running statistics.

    ``momentum=None`` keeps a cumulative average: the k-th batch (k = num_batches_tracked + 1) gets
    weight 1/k, so the running statistics are the plain mean over all batches seen.
    """
    if x.ndim < 2:
        raise ValueError(f"batch_norm needs x of shape (B, C, ...), got {tuple(x.shape)}")
    dims = [0, *range(2, x.ndim)]  # every dim but the channel
    n = x.numel() // x.shape[1]  # entries per channel
    if training:
        if n < 2:
            raise ValueError(
                "batch_norm in training needs more than one value per channel: use a batch of 2+"
            )
        x_hat, mu, var = standardize(x, dims, eps)  # batch statistics
        if running_mean is not None and running_var is not None:
            m = 1.0 / (num_batches_tracked + 1) if momentum is None else momentum
            with torch.no_grad():  # the running statistics are state, not part of the graph
                unbiased = var.flatten() * n / (n - 1)  # n / (n - 1) sigma^2 (Alg. 2)
                running_mean = (1 - m) * running_mean + m * mu.flatten()
                running_var = (1 - m) * running_var + m * unbiased
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm in evaluation needs running_mean and running_var (or training=True)")
        shape = _channel_shape(x)
        x_hat = (x - running_mean.view(shape)) / torch.sqrt(running_var.view(shape) + eps)
    y = x_hat
    if weight is not None:
        y = y * weight.view(_channel_shape(x))  # gamma
    if bias is not None:
        y = y + bias.view(_channel_shape(x))  # beta
    return BatchNormOutput(y, running_mean, running_var)


def batch_norm_backward(
    dy: Tensor, x: Tensor, weight: Tensor, eps: float = 1e-5
) -> tuple[Tensor, Tensor, Tensor]:
    """The training-mode VJP in closed form; returns (dx, dgamma, dbeta).

    dx = gamma / sqrt(var + eps) * (dy - mean(dy) - x_hat * mean(dy * x_hat)), means per channel.
    The two subtracted terms are the paths through mu and sigma^2 (Ioffe & Szegedy, section 3).
    """
    dims = [0, *range(2, x.ndim)]
    x_hat, _, var = standardize(x, dims, eps)
    dbeta = dy.sum(dim=dims)  # d/dbeta
    dgamma = (dy * x_hat).sum(dim=dims)  # d/dgamma
    dx_hat = dy * weight.view(_channel_shape(x))
    mean = lambda t: t.mean(dim=dims, keepdim=True)
    dx = (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)) / torch.sqrt(var + eps)
    return dx, dgamma, dbeta


def layer_norm(
    x: Tensor,
    normalized_shape: Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Standardise each example over its trailing ``normalized_shape`` dims; scale and shift per entry."""
    k = len(normalized_shape)
    if tuple(x.shape[-k:]) != tuple(normalized_shape):
        raise ValueError(f"x ends in {tuple(x.shape[-k:])} but normalized_shape is {tuple(normalized_shape)}")
    x_hat, _, _ = standardize(x, range(x.ndim - k, x.ndim), eps)
    y = x_hat if weight is None else x_hat * weight  # gamma has shape normalized_shape
    return y if bias is None else y + bias


def group_norm(
    x: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5
) -> Tensor:
    """Standardise each example over each group of C / G channels (and H, W); scale and shift per channel."""
    B, C = x.shape[:2]
    if C % num_groups:
        raise ValueError(f"num_groups={num_groups} must divide the {C} channels")
    grouped = x.reshape(B, num_groups, -1)  # (B, G, C/G * H * W)
    x_hat, _, _ = standardize(grouped, [2], eps)
    x_hat = x_hat.reshape(x.shape)  # back to (B, C, ...)
    y = x_hat if weight is None else x_hat * weight.view(_channel_shape(x))
    return y if bias is None else y + bias.view(_channel_shape(x))


@dataclass
class BatchNormConfig:
    num_features: int
    eps: float = 1e-5
    momentum: float | None = 0.1
    affine: bool = True
    track_running_stats: bool = True


class BatchNorm(nn.Module):
    """BatchNorm over dim 1 of (B, C) or (B, C, H, W), with running statistics as buffers."""

    def __init__(self, config: BatchNormConfig):
        super().__init__()
        self.config = config
        c = config.num_features
        self.weight = nn.Parameter(torch.ones(c)) if config.affine else None  # gamma
        self.bias = nn.Parameter(torch.zeros(c)) if config.affine else None  # beta
        if config.track_running_stats:
            self.register_buffer("running_mean", torch.zeros(c))
            self.register_buffer("running_var", torch.ones(c))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[1] != self.config.num_features:
            raise ValueError(f"expected {self.config.num_features} channels in dim 1, got {x.shape[1]}")
        use_batch_stats = self.training or self.running_mean is None
        tracked = 0 if self.num_batches_tracked is None else int(self.num_batches_tracked)
        out = batch_norm(
            x, self.weight, self.bias, self.running_mean, self.running_var,
            training=use_batch_stats, momentum=self.config.momentum, eps=self.config.eps,
            num_batches_tracked=tracked,
        )  # fmt: skip
        if self.training and self.running_mean is not None:
            self.running_mean.copy_(out.running_mean)
            self.running_var.copy_(out.running_var)
            self.num_batches_tracked.add_(1)
        return out.y


class LayerNorm(nn.Module):
    def __init__(self, normalized_shape: Sequence[int], eps: float = 1e-5):
        super().__init__()
        self.normalized_shape, self.eps = tuple(normalized_shape), eps
        self.weight = nn.Parameter(torch.ones(self.normalized_shape))
        self.bias = nn.Parameter(torch.zeros(self.normalized_shape))

    def forward(self, x: Tensor) -> Tensor:
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)


class GroupNorm(nn.Module):
    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"num_groups={num_groups} must divide num_channels={num_channels}")
        self.num_groups, self.eps = num_groups, eps
        self.weight = nn.Parameter(torch.ones(num_channels))
        self.bias = nn.Parameter(torch.zeros(num_channels))

    def forward(self, x: Tensor) -> Tensor:
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)


def activation_scales(
    norm: str, gain: float, depth: int = 30, width: int = 64, batch: int = 256, seed: int = 0
) -> list[float]:
    """Standard deviation of the activations after each layer of a deep ReLU MLP at initialisation.

    Weights N(0, gain^2 / width), so without normalisation each layer multiplies the second moment by
    about gain^2 / 2 (He et al. 2015's gain is sqrt 2); ``norm`` in {"none", "batch", "layer"} is
    applied before each ReLU.
    """
    if norm not in ("none", "batch", "layer"):
        raise ValueError(f"norm must be 'none', 'batch' or 'layer', got {norm!r}")
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(batch, width, generator=g, dtype=torch.float64)
    scales = []
    for _ in range(depth):
        w = torch.randn(width, width, generator=g, dtype=torch.float64) * gain / width**0.5
        z = h @ w  # (B, C)
        if norm == "batch":
            z = batch_norm(z, None, None, None, None, training=True).y
        elif norm == "layer":
            z = layer_norm(z, [width])
        h = torch.relu(z)
        scales.append(float(h.std()))
    return scales
