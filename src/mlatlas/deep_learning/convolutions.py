"""Convolutions: conv2d by direct loops and by im2col, pooling, transposed convolution, receptive fields.

Paper: Dumoulin, Visin (2016), "A guide to convolution arithmetic for deep learning",
arXiv:1603.07285; im2col after Chellapilla, Puri, Simard (2006), "High Performance Convolutional
Neural Networks for Document Processing"; dilation after Yu, Koltun (2016), arXiv:1511.07122.
A convolution slides one small weight tensor over the input; unrolling every input patch into a
column (im2col) turns the whole layer into one matrix product, and its adjoint (col2im) is the
transposed convolution.

Deep-learning "convolution" is a cross-correlation (the kernel is not flipped), as in PyTorch::

    y[b, o, i, j] = bias[o] + sum_{c, u, v} w[o, c, u, v] * x_pad[b, g(o) C_g + c, s i + d u, s j + d v]

with stride s, dilation d, zero padding p and ``groups`` (channel c of group g(o) only). Output size
(Dumoulin & Visin, chapter 2, with dilation from §5.1): ``floor((n + 2p - d (k - 1) - 1) / s) + 1``.
Shapes: ``x`` (B, C, H, W), ``weight`` (C_out, C / groups, k_h, k_w).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor

Pair = int | tuple[int, int]


def _pair(v: Pair) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def conv_output_size(n: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """floor((n + 2p - d (k - 1) - 1) / s) + 1: how many positions the dilated kernel fits."""
    span = dilation * (kernel - 1) + 1  # the dilated kernel's extent
    if n + 2 * padding < span:
        raise ValueError(
            f"the kernel spans {span} pixels but the padded input has only {n + 2 * padding}: "
            "pad more or use a smaller kernel or dilation"
        )
    return (n + 2 * padding - span) // stride + 1


def _check(x: Tensor, weight: Tensor, groups: int) -> None:
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(
            f"x must be (B, C, H, W) and weight (C_out, C/groups, kh, kw); got {x.shape}, {weight.shape}"
        )
    if x.shape[1] % groups or weight.shape[0] % groups:
        raise ValueError(f"groups={groups} must divide both C={x.shape[1]} and C_out={weight.shape[0]}")
    if weight.shape[1] * groups != x.shape[1]:
        raise ValueError(
            f"weight has {weight.shape[1]} input channels per group, but x has {x.shape[1]} channels "
            f"in {groups} groups ({x.shape[1] // groups} per group)"
        )


def conv2d_loops(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Pair = 1,
    padding: Pair = 0,
    dilation: Pair = 1,
    groups: int = 1,
) -> Tensor:
    """The definition, one output pixel at a time: (B, C, H, W) -> (B, C_out, H', W'). Slow; readable."""
    _check(x, weight, groups)
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    c_out, c_per_group, kh, kw = weight.shape
    out_per_group = c_out // groups
    x = F.pad(x, (pw, pw, ph, ph))  # zero padding, (B, C, H + 2p, W + 2p)
    h_out = conv_output_size(x.shape[2], kh, sh, 0, dh)
    w_out = conv_output_size(x.shape[3], kw, sw, 0, dw)
    rows = []
    for i in range(h_out):
        cols = []
        for j in range(w_out):
            patch = x[
                :, :, i * sh : i * sh + dh * (kh - 1) + 1 : dh, j * sw : j * sw + dw * (kw - 1) + 1 : dw
            ]
            patch = patch.reshape(x.shape[0], groups, c_per_group, kh, kw)  # (B, G, C/G, kh, kw)
            w = weight.reshape(groups, out_per_group, c_per_group, kh, kw)  # (G, C_out/G, C/G, kh, kw)
            cols.append(torch.einsum("bgcuv,gocuv->bgo", patch, w).reshape(x.shape[0], c_out))  # sum_{c,u,v}
        rows.append(torch.stack(cols, dim=-1))  # (B, C_out, W')
    out = torch.stack(rows, dim=-2)  # (B, C_out, H', W')
    return out if bias is None else out + bias[:, None, None]


def im2col(
    x: Tensor,
    kernel_size: Pair,
    stride: Pair = 1,
    padding: Pair = 0,
    dilation: Pair = 1,
    pad_value: float = 0.0,
) -> Tensor:
    """Every receptive field as a column: (B, C, H, W) -> (B, C kh kw, H' W'), the layout of F.unfold.

    One strided slice per kernel offset (u, v), not one per output pixel: kh kw slices in all.
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (
        _pair(kernel_size),
        _pair(stride),
        _pair(padding),
        _pair(dilation),
    )
    B, C, H, W = x.shape
    h_out, w_out = conv_output_size(H, kh, sh, ph, dh), conv_output_size(W, kw, sw, pw, dw)
    x = F.pad(x, (pw, pw, ph, ph), value=pad_value)
    offsets = [
        x[:, :, dh * u : dh * u + sh * (h_out - 1) + 1 : sh, dw * v : dw * v + sw * (w_out - 1) + 1 : sw]
        for u in range(kh)
        for v in range(kw)
    ]  # kh kw tensors of shape (B, C, H', W'): the input pixel under kernel tap (u, v)
    cols = torch.stack(offsets, dim=2)  # (B, C, kh kw, H', W')
    return cols.reshape(B, C * kh * kw, h_out * w_out)


def col2im(
    cols: Tensor,
    output_size: Pair,
    kernel_size: Pair,
    stride: Pair = 1,
    padding: Pair = 0,
    dilation: Pair = 1,
) -> Tensor:
    """The adjoint of im2col: add every column entry back to the pixel it came from (F.fold).

    (B, C kh kw, L) -> (B, C, H, W). Overlapping patches add up, which is what the gradient needs.
    """
    (H, W), (kh, kw), (sh, sw) = _pair(output_size), _pair(kernel_size), _pair(stride)
    (ph, pw), (dh, dw) = _pair(padding), _pair(dilation)
    h_out, w_out = conv_output_size(H, kh, sh, ph, dh), conv_output_size(W, kw, sw, pw, dw)
    B = cols.shape[0]
    C = cols.shape[1] // (kh * kw)
    if cols.shape[1] != C * kh * kw or cols.shape[2] != h_out * w_out:
        raise ValueError(f"cols {tuple(cols.shape)} do not match a {kh}x{kw} kernel over {H}x{W}")
    cols = cols.reshape(B, C, kh, kw, h_out, w_out)
    x = cols.new_zeros(B, C, H + 2 * ph, W + 2 * pw)
    for u in range(kh):
        for v in range(kw):  # scatter-add tap (u, v) of every patch back to its pixels
            x[
                :, :, dh * u : dh * u + sh * (h_out - 1) + 1 : sh, dw * v : dw * v + sw * (w_out - 1) + 1 : sw
            ] += cols[:, :, u, v]
    return x[:, :, ph : ph + H, pw : pw + W]  # drop the padding


def conv2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Pair = 1,
    padding: Pair = 0,
    dilation: Pair = 1,
    groups: int = 1,
) -> Tensor:
    """conv2d as one batched matrix product per group: W (C_out/G, C/G kh kw) @ im2col(x)."""
    _check(x, weight, groups)
    B, C, H, W_in = x.shape
    c_out, c_per_group, kh, kw = weight.shape
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    h_out, w_out = conv_output_size(H, kh, sh, ph, dh), conv_output_size(W_in, kw, sw, pw, dw)
    cols = im2col(x, (kh, kw), stride, padding, dilation)  # (B, C kh kw, L), channel-major
    cols = cols.reshape(B, groups, c_per_group * kh * kw, h_out * w_out)  # (B, G, C/G kh kw, L)
    w = weight.reshape(groups, c_out // groups, c_per_group * kh * kw)  # (G, C_out/G, C/G kh kw)
    out = torch.einsum("gok,bgkl->bgol", w, cols)  # the matrix product, per group
    out = out.reshape(B, c_out, h_out, w_out)
    return out if bias is None else out + bias[:, None, None]


def conv_transpose2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Pair = 1,
    padding: Pair = 0,
    output_padding: Pair = 0,
    dilation: Pair = 1,
    groups: int = 1,
) -> Tensor:
    """The transposed convolution: the input-gradient of conv2d, col2im(W^T @ x).

    x (B, C_in, H, W), weight (C_in, C_out / G, kh, kw) as in PyTorch -> (B, C_out, H', W') with
    H' = (H - 1) s - 2p + d (kh - 1) + output_padding + 1 (Dumoulin & Visin, chapter 4, with dilation).
    """
    B, c_in, H, W_in = x.shape
    _, out_per_group, kh, kw = weight.shape
    if c_in % groups or weight.shape[0] != c_in:
        raise ValueError(
            f"weight must be (C_in={c_in}, C_out/groups, kh, kw), groups dividing C_in; got {weight.shape}"
        )
    (sh, sw), (ph, pw), (dh, dw), (oh, ow) = (
        _pair(stride),
        _pair(padding),
        _pair(dilation),
        _pair(output_padding),
    )
    if oh >= sh or ow >= sw:  # PyTorch also allows < dilation; we keep the simpler rule
        raise ValueError(f"output_padding {output_padding} must be smaller than the stride {stride}")
    h_out = (H - 1) * sh - 2 * ph + dh * (kh - 1) + oh + 1
    w_out = (W_in - 1) * sw - 2 * pw + dw * (kw - 1) + ow + 1
    w = weight.reshape(groups, c_in // groups, out_per_group * kh * kw)  # (G, C_in/G, C_out/G kh kw)
    xg = x.reshape(B, groups, c_in // groups, H * W_in)  # (B, G, C_in/G, L)
    cols = torch.einsum("gck,bgcl->bgkl", w, xg)  # W^T x: each input pixel spreads a kernel-sized patch
    cols = cols.reshape(B, groups * out_per_group * kh * kw, H * W_in)  # (B, C_out kh kw, L)
    out = col2im(cols, (h_out, w_out), (kh, kw), stride, padding, dilation)  # (B, C_out, H', W')
    return out if bias is None else out + bias[:, None, None]


def max_pool2d(
    x: Tensor, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0, dilation: Pair = 1
) -> Tensor:
    """The largest value in every window (padding never wins: it is -inf). (B, C, H, W) -> (B, C, H', W')."""
    stride = kernel_size if stride is None else stride
    (kh, kw), (ph, pw) = _pair(kernel_size), _pair(padding)
    if 2 * ph > kh or 2 * pw > kw:
        raise ValueError(f"padding {padding} must be at most half the kernel {kernel_size}")
    B, C, H, W = x.shape
    h_out = conv_output_size(H, kh, _pair(stride)[0], ph, _pair(dilation)[0])
    w_out = conv_output_size(W, kw, _pair(stride)[1], pw, _pair(dilation)[1])
    cols = im2col(x, kernel_size, stride, padding, dilation, pad_value=float("-inf"))  # (B, C kh kw, L)
    cols = cols.reshape(B, C, kh * kw, h_out * w_out)
    return cols.amax(dim=2).reshape(B, C, h_out, w_out)  # the gradient goes to the max (split on ties)


def avg_pool2d(x: Tensor, kernel_size: Pair, stride: Pair | None = None, padding: Pair = 0) -> Tensor:
    """The mean of every window, padding zeros counted (PyTorch's count_include_pad=True)."""
    stride = kernel_size if stride is None else stride
    (kh, kw) = _pair(kernel_size)
    B, C, H, W = x.shape
    weight = x.new_full((C, 1, kh, kw), 1.0 / (kh * kw))  # a depthwise conv with a constant kernel
    return conv2d(x, weight, None, stride, padding, 1, groups=C)


class Layer(NamedTuple):
    """The geometry of one conv or pooling layer, for receptive-field arithmetic."""

    kernel: int
    stride: int = 1
    dilation: int = 1


class ReceptiveField(NamedTuple):
    size: int  # r: input pixels (along one axis) that one output pixel sees
    jump: int  # j: input pixels between neighbouring outputs
    sizes: list[int]  # r after each layer


def receptive_field(layers: Sequence[Layer]) -> ReceptiveField:
    """r_l = r_{l-1} + d_l (k_l - 1) j_{l-1},  j_l = j_{l-1} s_l,  r_0 = j_0 = 1.

    ``layers`` is a sequence of Layer(kernel, stride, dilation), input side first; sizes along one axis.
    """
    r, j, sizes = 1, 1, []
    for layer in layers:
        r += layer.dilation * (layer.kernel - 1) * j  # each extra tap reaches j input pixels further
        j *= layer.stride  # outputs of this layer are s times further apart
        sizes.append(r)
    return ReceptiveField(r, j, sizes)


def measured_receptive_field(layers: Sequence[Layer], size: int = 64) -> int:
    """Receptive field found by autograd: how many input pixels the centre output's gradient touches.

    Positive weights (all ones) so that no contributions cancel; one channel; no padding.
    """
    x = torch.zeros(1, 1, 1, size, dtype=torch.float64, requires_grad=True)
    y = x
    for layer in layers:
        w = torch.ones(1, 1, 1, layer.kernel, dtype=torch.float64)
        y = conv2d(y, w, stride=(1, layer.stride), dilation=(1, layer.dilation))
    if y.shape[-1] < 1:
        raise ValueError("the input is too small for this stack: increase size")
    y[0, 0, 0, y.shape[-1] // 2].backward()
    touched = torch.nonzero(x.grad[0, 0, 0]).flatten()
    return int(touched.max() - touched.min() + 1)
