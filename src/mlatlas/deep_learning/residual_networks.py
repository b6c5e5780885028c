"""Residual networks: the residual block, a small ResNet for 8x8 digits, and gradient norms by depth.

Paper: He, Zhang, Ren, Sun (2016), "Deep Residual Learning for Image Recognition", arXiv:1512.03385;
identity mappings: He, Zhang, Ren, Sun (2016), arXiv:1603.05027.
A residual block adds its input back to its output, y = relu(x + F(x)), so each block learns a
correction to the identity and the gradient has a path around every block.

Basic block (He et al. 2016, eq. 1 and Fig. 2; eq. 2 when the shape changes)::

    F(x) = BN(conv3x3(relu(BN(conv3x3(x)))))
    y    = relu(F(x) + x)              same shape
    y    = relu(F(x) + W_s x)          W_s = BN(conv1x1) when the shape changes (stride 2 if it halves)

The convolutions and BatchNorm are this book's own (``convolutions.conv2d``, ``normalization``).
Shapes: images (B, C, H, W).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from mlatlas.deep_learning.convolutions import conv2d
from mlatlas.deep_learning.normalization import BatchNorm, BatchNormConfig
from mlatlas.foundations.cross_entropy import cross_entropy


class Conv2d(nn.Module):
    """A bias-free convolution layer on ``convolutions.conv2d``, He-initialised (fan_in, gain sqrt 2)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, padding: int = 0):
        super().__init__()
        self.stride, self.padding = stride, padding
        fan_in = c_in * kernel * kernel
        self.weight = nn.Parameter(torch.randn(c_out, c_in, kernel, kernel) * (2.0 / fan_in) ** 0.5)

    def forward(self, x: Tensor) -> Tensor:
        return conv2d(x, self.weight, None, self.stride, self.padding)


@dataclass
class BlockConfig:
    c_in: int
    c_out: int
    stride: int = 1
    residual: bool = True  # False: the same block without its shortcut (a "plain" block)


class ResidualBlock(nn.Module):
    """relu(F(x) + shortcut(x)), with F = BN(conv(relu(BN(conv(x))))) (He et al. 2016, Fig. 2)."""

    def __init__(self, config: BlockConfig):
        super().__init__()
        self.config = config
        self.conv1 = Conv2d(config.c_in, config.c_out, 3, config.stride, padding=1)
        self.bn1 = BatchNorm(BatchNormConfig(config.c_out))
        self.conv2 = Conv2d(config.c_out, config.c_out, 3, 1, padding=1)
        self.bn2 = BatchNorm(BatchNormConfig(config.c_out))
        self.shortcut = None
        if config.residual and (config.stride != 1 or config.c_in != config.c_out):
            self.shortcut = nn.Sequential(
                Conv2d(config.c_in, config.c_out, 1, config.stride), BatchNorm(BatchNormConfig(config.c_out))
            )  # W_s x, eq. 2

    def forward(self, x: Tensor) -> Tensor:
        f = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))  # F(x), (B, C_out, H', W')
        if not self.config.residual:
            return torch.relu(f)  # plain: no path around the block
        skip = x if self.shortcut is None else self.shortcut(x)  # x or W_s x
        return torch.relu(f + skip)  # eq. 1: y = relu(F(x) + x)


@dataclass
class ResNetConfig:
    blocks: int = 3  # residual blocks per stage
    width: int = 16  # channels of the first stage; the second stage doubles it at half resolution
    num_classes: int = 10
    in_channels: int = 1
    residual: bool = True


class ResNet(nn.Module):
    """Stem conv -> ``blocks`` blocks at 8x8 -> ``blocks`` blocks at 4x4 (2x width) -> pool -> linear."""

    def __init__(self, config: ResNetConfig):
        super().__init__()
        self.config = config
        w, r = config.width, config.residual
        self.stem = nn.Sequential(Conv2d(config.in_channels, w, 3, padding=1), BatchNorm(BatchNormConfig(w)))
        stage1 = [ResidualBlock(BlockConfig(w, w, 1, r)) for _ in range(config.blocks)]
        stage2 = [ResidualBlock(BlockConfig(w, 2 * w, 2, r))]
        stage2 += [ResidualBlock(BlockConfig(2 * w, 2 * w, 1, r)) for _ in range(config.blocks - 1)]
        self.blocks = nn.ModuleList(stage1 + stage2)
        self.head = nn.Linear(2 * w, config.num_classes)

    def forward(self, x: Tensor) -> Tensor:
        h = torch.relu(self.stem(x))  # (B, w, 8, 8)
        for block in self.blocks:
            h = block(h)  # (B, w, 8, 8), then (B, 2w, 4, 4)
        return self.head(h.mean(dim=(2, 3)))  # global average pool, then (B, classes)

    def conv_layers(self) -> list[Conv2d]:
        """The 3x3 convolutions on the main path, input side first (stem excluded)."""
        return [conv for block in self.blocks for conv in (block.conv1, block.conv2)]


def load_digits_tensors(seed: int = 0, test_fraction: float = 0.25) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """scikit-learn's 8x8 digits as (N, 1, 8, 8) float32 in [0, 1], split into train and test.

    Read straight from the CSV that scikit-learn bundles (the same data as ``load_digits``), which
    spares the figures the cost of importing scikit-learn.
    """
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("the digits ship with scikit-learn: install scikit-learn")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    data = np.loadtxt(path, delimiter=",")  # (N, 65): 64 pixels in 0..16, then the label
    x = torch.tensor(data[:, :64].reshape(-1, 1, 8, 8) / 16.0, dtype=torch.float32)  # (N, 1, 8, 8)
    y = torch.tensor(data[:, 64], dtype=torch.long)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    n_test = int(len(y) * test_fraction)
    test, train = perm[:n_test], perm[n_test:]
    return x[train], y[train], x[test], y[test]


def gradient_norms(config: ResNetConfig, seed: int = 0, batch: int = 128) -> list[float]:
    """||dL/dW|| of each main-path 3x3 conv at initialisation, on one batch of digits (input side first)."""
    torch.manual_seed(seed)
    model = ResNet(config)
    x, y, _, _ = load_digits_tensors(seed)
    loss = cross_entropy(model(x[:batch]), y[:batch])
    loss.backward()
    return [float(conv.weight.grad.norm()) for conv in model.conv_layers()]


class TrainResult(NamedTuple):
    losses: list[float]  # training loss per step
    test_accuracy: float


def train(
    config: ResNetConfig, steps: int = 150, lr: float = 0.05, batch: int = 64, seed: int = 0
) -> TrainResult:
    """SGD with momentum 0.9 on the digits; returns the loss curve and the test accuracy (eval mode)."""
    torch.manual_seed(seed)
    model = ResNet(config)
    x, y, x_test, y_test = load_digits_tensors(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    g = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        idx = torch.randint(len(y), (batch,), generator=g)
        loss = cross_entropy(model(x[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        accuracy = float((model(x_test).argmax(1) == y_test).float().mean())
    return TrainResult(losses, accuracy)


def demo(blocks: int = 8, steps: int = 150, batch: int = 32, seed: int = 0) -> dict[str, TrainResult]:
    """Train the plain and the residual network of the same depth; print the final losses and accuracies."""
    results = {}
    for residual in (False, True):
        name = "residual" if residual else "plain"
        result = train(ResNetConfig(blocks=blocks, residual=residual), steps=steps, batch=batch, seed=seed)
        last = float(np.mean(result.losses[-20:]))
        print(
            f"{name:8s} {4 * blocks + 1} conv layers: final loss {last:.3f}, "
            f"test accuracy {result.test_accuracy:.1%}"
        )
        results[name] = result
    return results
