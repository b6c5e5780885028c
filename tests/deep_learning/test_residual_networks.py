"""Residual blocks vs the same block built from torch.nn layers; measured gradient norms; training."""

import numpy as np
import pytest
import torch
from torch import nn

from mlatlas.deep_learning.residual_networks import (
    BlockConfig,
    ResidualBlock,
    ResNet,
    ResNetConfig,
    gradient_norms,
    load_digits_tensors,
    train,
)
from mlatlas.verification import verifies

TOL = 1e-10  # float64


class TorchBlock(nn.Module):
    """The basic block of He et al. from torch.nn.Conv2d and torch.nn.BatchNorm2d: the reference."""

    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.down = None
        if stride != 1 or c_in != c_out:
            self.down = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(out + (x if self.down is None else self.down(x)))


def shared_block(c_in, c_out, stride, seed=0):
    torch.manual_seed(seed)
    ours = ResidualBlock(BlockConfig(c_in, c_out, stride)).double()
    ref = TorchBlock(c_in, c_out, stride).double()
    pairs = [(ours.conv1, ref.conv1), (ours.conv2, ref.conv2), (ours.bn1, ref.bn1), (ours.bn2, ref.bn2)]
    if ref.down is not None:
        pairs += [(ours.shortcut[0], ref.down[0]), (ours.shortcut[1], ref.down[1])]
    with torch.no_grad():
        for a, b in pairs:
            if isinstance(b, nn.BatchNorm2d):  # non-default affine parameters, so they matter
                b.weight.uniform_(0.5, 1.5)
                b.bias.normal_()
                a.bias.copy_(b.bias)
            a.weight.copy_(b.weight)
    return ours, ref


@verifies(
    "residual-networks",
    against="torch.nn Conv2d + BatchNorm2d block",
    tol=TOL,
    note="float64, shared weights; identity and projection shortcuts; train and eval; outputs and gradients",
)
@pytest.mark.parametrize("c_in,c_out,stride", [(4, 4, 1), (4, 8, 2)])
def test_block_matches_the_same_block_built_from_torch_layers(c_in, c_out, stride):
    ours, ref = shared_block(c_in, c_out, stride)
    x = torch.randn(3, c_in, 8, 8, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    y1, y2 = ours(x1), ref(x2)
    torch.testing.assert_close(y1, y2, rtol=TOL, atol=TOL)
    g = torch.randn(y1.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    (y1 * g).sum().backward()
    (y2 * g).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=TOL, atol=TOL)
    torch.testing.assert_close(ours.conv1.weight.grad, ref.conv1.weight.grad, rtol=TOL, atol=TOL)
    ours.eval()
    ref.eval()
    torch.testing.assert_close(ours(x), ref(x), rtol=TOL, atol=TOL)  # running statistics agree too


def test_a_block_whose_last_scale_is_zero_is_the_identity():
    # F(x) = 0 when the last BatchNorm's gamma and beta are 0, so y = relu(0 + x) = x for x >= 0
    block = ResidualBlock(BlockConfig(4, 4)).double()
    with torch.no_grad():
        block.bn2.weight.zero_()
        block.bn2.bias.zero_()
    x = torch.rand(2, 4, 8, 8, dtype=torch.float64)
    torch.testing.assert_close(block(x), x, rtol=0, atol=0)
    plain = ResidualBlock(BlockConfig(4, 4, residual=False)).double()
    with torch.no_grad():
        plain.bn2.weight.zero_()
        plain.bn2.bias.zero_()
    assert plain(x).abs().max() == 0  # without the shortcut the same block forgets its input


def test_resnet_shapes_and_depth():
    model = ResNet(ResNetConfig(blocks=3, width=8))
    x, _, _, _ = load_digits_tensors()
    assert model(x[:5]).shape == (5, 10)
    assert len(model.conv_layers()) == 12  # 2 stages x 3 blocks x 2 convs (+ stem = 13 conv layers)


def test_digits_are_scikit_learns():
    from sklearn.datasets import load_digits

    x, y, x_test, y_test = load_digits_tensors(test_fraction=0.0)
    digits = load_digits()
    order = np.lexsort(np.c_[digits.data, digits.target].T)  # compare as sets of rows
    ours = np.c_[x.reshape(-1, 64).numpy() * 16, y.numpy()]
    np.testing.assert_array_equal(ours[np.lexsort(ours.T)], np.c_[digits.data, digits.target][order])


@verifies(
    "residual-networks",
    against="gradient norms by depth",
    tol="first/last conv gradient ratio: plain > 15, residual < 10",
    note="24 convs with BatchNorm at initialisation, seed 0 (page: 28x vs 5.5x)",
)
def test_shortcuts_tame_the_gradient_growth_towards_the_input():
    plain = gradient_norms(ResNetConfig(blocks=6, residual=False), batch=64)
    residual = gradient_norms(ResNetConfig(blocks=6, residual=True), batch=64)
    assert plain[0] / plain[-1] > 15  # page: about 28x
    assert residual[0] / residual[-1] < 10  # page: about 5.5x
    assert plain[0] > 2 * residual[0]
    assert 25 < plain[0] / plain[-1] < 32 and 5 < residual[0] / residual[-1] < 6  # figure: ~28x, ~5.5x
    assert abs(plain[0] - 3.9) < 0.1 and abs(plain[-1] - 0.14) < 0.01  # alt: 3.9 first, 0.14 last
    assert abs(residual[0] - 1.2) < 0.05 and abs(residual[-1] - 0.21) < 0.01  # alt: 1.2 and 0.21


@verifies(
    "residual-networks",
    against="digits test accuracy",
    tol="accuracy >= 0.85",
    note="5 conv layers, 100 steps",
)
def test_a_small_resnet_learns_the_digits():
    result = train(ResNetConfig(blocks=1, width=8), steps=100)
    assert result.losses[-1] < result.losses[0]
    assert result.test_accuracy >= 0.85  # 91% for seed 0
    assert abs(result.test_accuracy - 0.91) < 0.005  # page: it reaches 91% with seed 0


@pytest.mark.slow
def test_the_demo_run_quoted_on_the_page():
    from mlatlas.deep_learning.residual_networks import demo

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the page's run: seed 0, one thread
    try:
        results = demo()  # 33 conv layers, plain and residual, 150 steps of 32: about 40 s of CPU
    finally:
        torch.set_num_threads(threads)
    plain, residual = results["plain"], results["residual"]
    assert round(residual.test_accuracy, 3) == 0.942 and round(plain.test_accuracy, 3) == 0.383  # page
    assert round(float(np.mean(residual.losses[-20:])), 2) == 0.08  # page: training loss 0.08
    assert round(float(np.mean(plain.losses[-20:])), 2) == 1.13  # page: 1.13


def test_bad_input():
    with pytest.raises(ValueError, match="weight has 8 input channels"):
        ResidualBlock(BlockConfig(8, 8))(torch.randn(2, 4, 8, 8))
