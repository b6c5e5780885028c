"""Convolutions against torch.nn.functional: conv2d, conv_transpose2d, pooling, unfold/fold; gradients too."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.deep_learning.convolutions import (
    Layer,
    avg_pool2d,
    col2im,
    conv2d,
    conv2d_loops,
    conv_output_size,
    conv_transpose2d,
    im2col,
    max_pool2d,
    measured_receptive_field,
    receptive_field,
)
from mlatlas.verification import verifies

TOL = 1e-10  # float64; the sums run in a different order from torch's kernels

# (stride, padding, dilation, groups) covering each knob alone and together, rectangular ones included
SETTINGS = [
    (1, 0, 1, 1),
    (2, 1, 1, 1),
    (1, 2, 2, 1),
    (2, 1, 1, 2),
    ((2, 1), (1, 0), (1, 2), 1),
    (3, 2, 2, 4),
    (1, 1, 1, 4),  # depthwise: one input channel per group
]


def problem(seed, groups, c_in=4, c_out=8, kernel=(3, 2)):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2, c_in, 9, 8, generator=g, dtype=torch.float64)
    w = torch.randn(c_out, c_in // groups, *kernel, generator=g, dtype=torch.float64)
    b = torch.randn(c_out, generator=g, dtype=torch.float64)
    return x, w, b


def outputs_and_grads(fn, x, w, b, g_out=None):
    x, w, b = (t.clone().requires_grad_() for t in (x, w, b))
    out = fn(x, w, b)
    if g_out is None:
        g_out = torch.randn(out.shape, generator=torch.Generator().manual_seed(1), dtype=out.dtype)
    (out * g_out).sum().backward()
    return out, x.grad, w.grad, b.grad


@verifies(
    "convolutions",
    against="torch.nn.functional.conv2d",
    tol=TOL,
    note="float64, im2col and loops; stride, padding, dilation, groups; outputs and gradients",
)
@pytest.mark.parametrize("stride,padding,dilation,groups", SETTINGS)
@pytest.mark.parametrize("impl", [conv2d, conv2d_loops])
def test_conv2d_matches_torch_with_gradients(impl, stride, padding, dilation, groups):
    x, w, b = problem(0, groups)
    kw = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    ours = outputs_and_grads(lambda x, w, b: impl(x, w, b, **kw), x, w, b)
    ref = outputs_and_grads(lambda x, w, b: F.conv2d(x, w, b, **kw), x, w, b)
    for a, e in zip(ours, ref):
        torch.testing.assert_close(a, e, rtol=TOL, atol=TOL)


def test_im2col_and_col2im_match_unfold_and_fold():
    x, _, _ = problem(3, 1)
    kw = {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 1), "dilation": (1, 2)}
    cols = im2col(x, **kw)
    torch.testing.assert_close(cols, F.unfold(x, **kw), rtol=0, atol=0)  # a copy: exact
    torch.testing.assert_close(col2im(cols, (9, 8), **kw), F.fold(cols, (9, 8), **kw), rtol=TOL, atol=TOL)


def test_col2im_is_the_adjoint_of_im2col():
    # <im2col(x), c> = <x, col2im(c)>: col2im is im2col's transpose, which is why it gives gradients
    x, _, _ = problem(4, 1)
    kw = {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1}
    cols = im2col(x, **kw)
    c = torch.randn(cols.shape, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    torch.testing.assert_close((cols * c).sum(), (x * col2im(c, (9, 8), **kw)).sum(), rtol=TOL, atol=TOL)


@verifies(
    "convolutions",
    against="torch.nn.functional.conv_transpose2d",
    tol=TOL,
    note="float64, stride, padding, output_padding, dilation, groups; outputs and gradients",
)
@pytest.mark.parametrize(
    "stride,padding,output_padding,dilation,groups",
    [(1, 0, 0, 1, 1), (2, 1, 1, 1, 1), (3, 1, 2, 2, 2), ((2, 1), (0, 1), (1, 0), (1, 2), 4)],
)
def test_conv_transpose2d_matches_torch_with_gradients(stride, padding, output_padding, dilation, groups):
    g = torch.Generator().manual_seed(7)
    x = torch.randn(2, 4, 5, 4, generator=g, dtype=torch.float64)
    w = torch.randn(4, 8 // groups, 3, 2, generator=g, dtype=torch.float64)  # (C_in, C_out / G, kh, kw)
    b = torch.randn(8, generator=g, dtype=torch.float64)
    kw = {
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "dilation": dilation,
        "groups": groups,
    }
    ours = outputs_and_grads(lambda x, w, b: conv_transpose2d(x, w, b, **kw), x, w, b)
    ref = outputs_and_grads(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw), x, w, b)
    for a, e in zip(ours, ref):
        torch.testing.assert_close(a, e, rtol=TOL, atol=TOL)


def test_transposed_convolution_is_the_input_gradient_of_convolution():
    x, w, _ = problem(8, 1)
    x = torch.cat([x, x[:, :, :1]], dim=2).requires_grad_()  # (2, 4, 10, 8): stride 2 drops a row
    y = conv2d(x, w, stride=2, padding=1)  # (2, 8, 5, 5)
    g = torch.randn(y.shape, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
    (grad_x,) = torch.autograd.grad((y * g).sum(), x)
    # the same weight, read as (C_in, C_out, kh, kw) of the transpose; output_padding restores the row
    # that the conv's floor division dropped: 10 and 9 rows both give 5 output rows
    grad_by_transpose = conv_transpose2d(g, w, stride=2, padding=1, output_padding=(1, 0))
    torch.testing.assert_close(grad_by_transpose, grad_x, rtol=TOL, atol=TOL)


@verifies(
    "convolutions",
    against="torch.nn.functional.max_pool2d",
    tol=TOL,
    note="float64, stride, padding, dilation; outputs and gradients",
)
@pytest.mark.parametrize(
    "kernel,stride,padding,dilation", [(2, None, 0, 1), (3, 2, 1, 1), ((3, 2), (1, 2), (1, 0), (2, 1))]
)
def test_max_pool_matches_torch_with_gradients(kernel, stride, padding, dilation):
    x = torch.randn(2, 3, 9, 8, generator=torch.Generator().manual_seed(2), dtype=torch.float64)  # no ties
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    ours = max_pool2d(x1, kernel, stride, padding, dilation)
    ref = F.max_pool2d(x2, kernel, stride, padding, dilation)
    torch.testing.assert_close(ours, ref, rtol=0, atol=0)  # a selection: exact
    g = torch.randn(ours.shape, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    (ours * g).sum().backward()
    (ref * g).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=TOL, atol=TOL)


@verifies(
    "convolutions",
    against="torch.nn.functional.avg_pool2d",
    tol=TOL,
    note="float64, padding counted; gradients",
)
def test_avg_pool_matches_torch():
    x = torch.randn(2, 3, 9, 8, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    ours, ref = avg_pool2d(x1, 3, 2, 1), F.avg_pool2d(x2, 3, 2, 1)
    torch.testing.assert_close(ours, ref, rtol=TOL, atol=TOL)
    g = torch.randn(ours.shape, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    (ours * g).sum().backward()
    (ref * g).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=TOL, atol=TOL)  # summary: matched with gradients


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 20),
    k=st.integers(1, 5),
    s=st.integers(1, 4),
    p=st.integers(0, 2),
    d=st.integers(1, 3),
)
def test_output_size_formula_matches_torch(n, k, s, p, d):
    if n + 2 * p < d * (k - 1) + 1:
        with pytest.raises(ValueError, match="pad more"):
            conv_output_size(n, k, s, p, d)
        return
    x = torch.zeros(1, 1, 1, n)
    out = F.conv2d(x, torch.zeros(1, 1, 1, k), stride=(1, s), padding=(0, p), dilation=(1, d))
    assert conv_output_size(n, k, s, p, d) == out.shape[-1]


STACKS = {
    "3x3 convs": [Layer(3)] * 6,
    "3x3, stride 2 every other": [Layer(3, 1), Layer(3, 2)] * 3,
    "3x3, dilation 1, 2, 4, 8": [Layer(3, 1, 2**i) for i in range(4)],
    "conv-pool": [Layer(5), Layer(2, 2), Layer(5), Layer(2, 2)],  # LeNet-5's geometry
}


@verifies(
    "convolutions", against="autograd receptive field", tol=0, note="gradient support of the centre output"
)
@pytest.mark.parametrize("name", list(STACKS))
def test_receptive_field_arithmetic_matches_gradient_support(name):
    layers = STACKS[name]
    assert receptive_field(layers).size == measured_receptive_field(layers, size=96)


def test_the_pages_receptive_fields():
    assert receptive_field(STACKS["3x3 convs"]).sizes == [3, 5, 7, 9, 11, 13]  # page: 2 per layer
    assert receptive_field(STACKS["3x3, dilation 1, 2, 4, 8"]).sizes == [3, 7, 15, 31]  # page: 2^(l+1) - 1
    assert receptive_field(STACKS["conv-pool"]) == (16, 4, [5, 6, 14, 16])  # page: LeNet-5, 16 pixels
    from mlatlas.deep_learning.figures.convolutions import DESIGNS

    ends = [receptive_field(layers).size for layers in DESIGNS.values()]
    assert ends == [17, 61, 511]  # figure alt: plain 3 -> 17, stride 2 every other layer 61, dilations 511


def test_convolutions_reject_bad_input():
    x, w, _ = problem(0, 1)
    with pytest.raises(ValueError, match="must divide"):
        conv2d(x, w, groups=3)
    with pytest.raises(ValueError, match="input channels per group"):
        conv2d(x, w, groups=2)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        conv2d(x[0], w)
    with pytest.raises(ValueError, match="pad more"):
        conv2d(x, torch.randn(8, 4, 11, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="smaller than the stride"):
        conv_transpose2d(x, torch.randn(4, 2, 3, 3, dtype=torch.float64), stride=2, output_padding=2)
    with pytest.raises(ValueError, match="at most half the kernel"):
        max_pool2d(x, 2, padding=2)


def test_the_pages_gradient_map():
    from mlatlas.deep_learning.figures.convolutions import gradient_map

    dilated = gradient_map([1, 2, 4, 8], size=31)
    assert (dilated > 0).sum() == 31 * 31  # page: every one of the 961 pixels is reached
    assert dilated.min() == 1 and dilated.max() == 25  # page: by between 1 and 25 paths
    assert dilated.sum() == 9**4  # page: 6,561 paths in all
    plain = gradient_map([1, 1, 1, 1], size=31)
    assert (plain > 0).sum() == 81 and plain.max() == 361  # page: 9 x 9 pixels, 361 paths to the centre
