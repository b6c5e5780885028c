"""RMSNorm: root-mean-square layer normalisation.

Paper: Biao Zhang and Rico Sennrich (2019), "Root Mean Square Layer Normalization", arXiv:1910.07467.

LayerNorm re-centres and re-scales each token's features; RMSNorm drops the re-centring and only
divides by the root mean square, which is cheaper and works as well in practice (Llama, T5, Mistral).

Shapes: (..., C) in, (..., C) out; C is the model width.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def rms_norm(x: Tensor, weight: Tensor | None = None, eps: float = 1e-6) -> Tensor:
    """``y = x / sqrt(mean(x^2) + eps) * g`` over the last axis (Zhang & Sennrich 2019, eq. 4).

    float16/bfloat16 inputs are normalised in float32 and cast back (the mean of squares overflows
    in float16 for activations above ~256); float32 and float64 are computed in their own precision.
    """
    if eps < 0:
        raise ValueError(f"eps must be non-negative; got {eps}")
    if weight is not None and weight.shape != x.shape[-1:]:
        raise ValueError(
            f"weight must have shape ({x.shape[-1]},) to match x's last axis; got {tuple(weight.shape)}"
        )
    compute_dtype = torch.promote_types(x.dtype, torch.float32)
    xf = x.to(compute_dtype)
    mean_square = xf.pow(2).mean(dim=-1, keepdim=True)  # (..., 1)  mean_i x_i^2
    y = xf * torch.rsqrt(mean_square + eps)  # (..., C)  x / RMS(x)
    if weight is not None:
        y = y * weight.to(compute_dtype)  # (..., C)  learned gain g
    return y.to(x.dtype)


class RMSNorm(nn.Module):
    """RMSNorm with a learned per-feature gain ``weight`` (initialised to ones), no bias."""

    def __init__(self, dim: int, eps: float = 1e-6, *, dtype: torch.dtype | None = None):
        super().__init__()
        if dim <= 0:
            raise ValueError(f"dim must be positive; got {dim}")
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim, dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        return rms_norm(x, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.weight.shape[0]}, eps={self.eps}"
