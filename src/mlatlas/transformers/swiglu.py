"""SwiGLU: the gated feed-forward block of modern transformers.

Paper: Noam Shazeer (2020), "GLU Variants Improve Transformer", arXiv:2002.05202.

Instead of ``W2 relu(W1 x)``, compute two projections of x, pass one through SiLU (Swish) and use it
to gate the other elementwise, then project back down. Used by PaLM, Llama, Mistral and Mixtral.

Shapes: (..., C) in and out; F is the hidden (intermediate) width.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def silu(x: Tensor) -> Tensor:
    """``SiLU(x) = Swish_1(x) = x * sigmoid(x)`` (Shazeer 2020, sec. 2)."""
    return x * torch.sigmoid(x)


def swiglu(x: Tensor, w_gate: Tensor, w_up: Tensor, w_down: Tensor) -> Tensor:
    """``FFN_SwiGLU(x) = W_down (SiLU(W_gate x) * W_up x)`` (Shazeer 2020, eq. 6, biases dropped).

    x (..., C); w_gate, w_up (F, C); w_down (C, F) -> (..., C).
    """
    gate = silu(F.linear(x, w_gate))  # (..., F)  Swish(x W)
    up = F.linear(x, w_up)  # (..., F)  x V
    return F.linear(gate * up, w_down)  # (..., C)  (Swish(xW) * xV) W2


class SwiGLU(nn.Module):
    """SwiGLU feed-forward with Llama's names: ``gate_proj``, ``up_proj``, ``down_proj`` (no biases)."""

    def __init__(
        self, d_model: int, hidden_dim: int, *, bias: bool = False, dtype: torch.dtype | None = None
    ):
        super().__init__()
        if d_model <= 0 or hidden_dim <= 0:
            raise ValueError(f"d_model and hidden_dim must be positive; got {d_model}, {hidden_dim}")
        self.gate_proj = nn.Linear(d_model, hidden_dim, bias=bias, dtype=dtype)
        self.up_proj = nn.Linear(d_model, hidden_dim, bias=bias, dtype=dtype)
        self.down_proj = nn.Linear(hidden_dim, d_model, bias=bias, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return self.down_proj(silu(self.gate_proj(x)) * self.up_proj(x))  # (..., C)


def swiglu_hidden_dim(d_model: int, multiple_of: int = 256) -> int:
    """Llama's rule: 2/3 of 4C (so SwiGLU's three matrices cost what a 4C two-matrix MLP costs),
    rounded up to a multiple of ``multiple_of``."""
    hidden = int(2 * 4 * d_model / 3)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)
