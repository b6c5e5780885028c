"""Normalisation layers vs torch.nn.BatchNorm2d / BatchNorm1d / LayerNorm / GroupNorm, buffers included."""

import math

import pytest
import torch

from mlatlas.deep_learning.normalization import (
    BatchNorm,
    BatchNormConfig,
    GroupNorm,
    LayerNorm,
    activation_scales,
    batch_norm,
    batch_norm_backward,
    group_norm,
    layer_norm,
)
from mlatlas.verification import verifies

TOL = 1e-10  # float64


def randn(*shape, seed=0, scale=1.0, shift=0.0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64) * scale + shift


def share(ours, ref, seed=1):
    """Random (non-default) affine parameters, copied from ref into ours."""
    with torch.no_grad():
        ref.weight.copy_(randn(*ref.weight.shape, seed=seed, scale=0.5, shift=1.0))
        ref.bias.copy_(randn(*ref.bias.shape, seed=seed + 1))
        ours.weight.copy_(ref.weight)
        ours.bias.copy_(ref.bias)


def assert_grads_match(ours, ref, x, seed=3):
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    y1, y2 = ours(x1), ref(x2)
    torch.testing.assert_close(y1, y2, rtol=TOL, atol=TOL)
    g = randn(*y1.shape, seed=seed)
    (y1 * g).sum().backward()
    (y2 * g).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=TOL, atol=TOL)
    torch.testing.assert_close(ours.weight.grad, ref.weight.grad, rtol=TOL, atol=TOL)
    torch.testing.assert_close(ours.bias.grad, ref.bias.grad, rtol=TOL, atol=TOL)


@verifies(
    "normalization",
    against="torch.nn.BatchNorm2d",
    tol=TOL,
    note="float64, shared parameters; 5 training steps then eval; outputs, gradients, running buffers",
)
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batch_norm_matches_torch_in_training_and_eval(momentum):
    ours = BatchNorm(BatchNormConfig(3, momentum=momentum)).double()
    ref = torch.nn.BatchNorm2d(3, momentum=momentum).double()
    share(ours, ref)
    for step in range(5):  # batches with different means and scales, so the buffers move
        x = randn(4, 3, 5, 6, seed=10 + step, scale=1 + step, shift=step - 2.0)
        ours.zero_grad()
        ref.zero_grad()
        assert_grads_match(ours, ref, x, seed=20 + step)
        torch.testing.assert_close(ours.running_mean, ref.running_mean, rtol=TOL, atol=TOL)
        torch.testing.assert_close(ours.running_var, ref.running_var, rtol=TOL, atol=TOL)
        assert int(ours.num_batches_tracked) == int(ref.num_batches_tracked) == step + 1
    ours.eval()
    ref.eval()
    x = randn(2, 3, 5, 6, seed=99)
    torch.testing.assert_close(ours(x), ref(x), rtol=TOL, atol=TOL)
    assert set(dict(ours.named_buffers())) == set(dict(ref.named_buffers()))


@verifies("normalization", against="torch.nn.BatchNorm1d", tol=TOL, note="float64, (B, C) input, training")
def test_batch_norm_on_features_matches_torch():
    ours = BatchNorm(BatchNormConfig(5)).double()
    ref = torch.nn.BatchNorm1d(5).double()
    share(ours, ref)
    assert_grads_match(ours, ref, randn(8, 5, seed=4, scale=3.0))
    torch.testing.assert_close(ours.running_var, ref.running_var, rtol=TOL, atol=TOL)


def test_running_variance_is_unbiased_and_momentum_is_an_average():
    x = randn(4, 2, 3, 3, seed=5)  # n = 36 values per channel
    out = batch_norm(x, None, None, torch.zeros(2), torch.ones(2), training=True, momentum=1.0)
    var = x.transpose(0, 1).reshape(2, -1).var(dim=1, unbiased=True)
    torch.testing.assert_close(out.running_var, var, rtol=TOL, atol=TOL)  # momentum 1: the batch's own
    # the normalisation itself uses the biased variance: per-channel output variance (1/n) is 1 - eps-ish
    y = out.y.transpose(0, 1).reshape(2, -1)
    torch.testing.assert_close(
        y.var(dim=1, unbiased=False), torch.ones(2, dtype=torch.float64), rtol=1e-4, atol=0
    )
    # momentum None: the cumulative mean over batches
    rm, rv = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    means = []
    for k in range(4):
        xb = randn(4, 2, 3, 3, seed=30 + k, shift=k)
        means.append(xb.mean(dim=(0, 2, 3)))
        rm, rv = batch_norm(xb, None, None, rm, rv, training=True, momentum=None, num_batches_tracked=k)[1:]
    torch.testing.assert_close(rm, torch.stack(means).mean(0), rtol=TOL, atol=TOL)


@verifies("normalization", against="torch.autograd", tol=TOL, note="closed-form BatchNorm backward, float64")
def test_closed_form_batch_norm_backward_matches_autograd():
    x = randn(6, 3, 4, 4, seed=7, scale=2.0).requires_grad_()
    w, b = randn(3, seed=8), randn(3, seed=9)
    dy = randn(6, 3, 4, 4, seed=10)
    w1, b1 = w.clone().requires_grad_(), b.clone().requires_grad_()
    y = batch_norm(x, w1, b1, None, None, training=True).y
    expected = torch.autograd.grad((y * dy).sum(), (x, w1, b1))
    for ours, ref in zip(batch_norm_backward(dy, x.detach(), w), expected):
        torch.testing.assert_close(ours, ref, rtol=TOL, atol=TOL)


@verifies(
    "normalization", against="torch.nn.LayerNorm", tol=TOL, note="float64, shared parameters, gradients"
)
@pytest.mark.parametrize("shape", [(4, 7, 16), (3, 4, 5, 6)])
def test_layer_norm_matches_torch(shape):
    normalized = shape[-1:] if len(shape) == 3 else shape[-3:]
    ours, ref = LayerNorm(normalized).double(), torch.nn.LayerNorm(normalized).double()
    share(ours, ref)
    assert_grads_match(ours, ref, randn(*shape, seed=11, scale=4.0, shift=1.0))


@verifies(
    "normalization", against="torch.nn.GroupNorm", tol=TOL, note="float64, shared parameters, gradients"
)
@pytest.mark.parametrize("groups", [1, 2, 3, 6])
def test_group_norm_matches_torch(groups):
    ours, ref = GroupNorm(groups, 6).double(), torch.nn.GroupNorm(groups, 6).double()
    share(ours, ref)
    assert_grads_match(ours, ref, randn(3, 6, 4, 5, seed=12, scale=2.0))


def test_group_norm_spans_layer_norm_and_instance_norm():
    x = randn(3, 6, 4, 5, seed=13)
    torch.testing.assert_close(group_norm(x, 1), layer_norm(x, (6, 4, 5)), rtol=TOL, atol=TOL)  # G = 1
    inst = torch.nn.functional.instance_norm(x)
    torch.testing.assert_close(group_norm(x, 6), inst, rtol=TOL, atol=TOL)  # G = C: InstanceNorm


def test_normalisation_is_invariant_to_the_scale_of_the_weights():
    x, w = randn(8, 5, seed=14), randn(5, 5, seed=15)
    for f in (
        lambda z: batch_norm(z, None, None, None, None, training=True, eps=0).y,
        lambda z: layer_norm(z, [5], eps=0),
    ):
        torch.testing.assert_close(f(x @ (7.0 * w)), f(x @ w), rtol=1e-12, atol=1e-12)


def test_the_pages_activation_scales():
    relu_std = math.sqrt(0.5 - 1 / (2 * math.pi))  # std of relu(z), z ~ N(0, 1): 0.584
    none_small, none_large = activation_scales("none", 1.0), activation_scales("none", 2.0)
    assert none_small[-1] < 1e-4  # page: about 3e-5 after 30 layers
    assert none_large[-1] > 1e4  # page: about 3e4
    assert 2e-5 < none_small[-1] < 4e-5 and 2e4 < none_large[-1] < 4e4  # alt: about 3e-5 and 3e4
    assert abs(none_small[0] - 0.6) < 0.05  # alt: gain 1 starts at about 0.6
    for norm in ("batch", "layer"):
        small, large = activation_scales(norm, 1.0), activation_scales(norm, 2.0)
        torch.testing.assert_close(
            torch.tensor(small), torch.tensor(large), rtol=1e-4, atol=0
        )  # eps: not exact
        assert all(abs(s - relu_std) < 0.1 for s in small)  # page: stays near 0.58 at every depth


def test_normalisation_rejects_bad_input():
    with pytest.raises(ValueError, match="batch of 2"):
        batch_norm(randn(1, 3), None, None, None, None, training=True)
    with pytest.raises(ValueError, match="needs running_mean"):
        batch_norm(randn(4, 3), None, None, None, None, training=False)
    with pytest.raises(ValueError, match="must divide"):
        GroupNorm(4, 6)
    with pytest.raises(ValueError, match="normalized_shape"):
        layer_norm(randn(2, 3), [4])
    with pytest.raises(ValueError, match="expected 3 channels"):
        BatchNorm(BatchNormConfig(3))(torch.randn(2, 4))
