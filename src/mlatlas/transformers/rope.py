"""Rotary position embedding (RoPE).

Paper: Jianlin Su, Yu Lu, Shengfeng Pan, Ahmed Murtadha, Bo Wen, Yunfeng Liu (2021),
"RoFormer: Enhanced Transformer with Rotary Position Embedding", arXiv:2104.09864.

Rotate each pair of query/key features by an angle proportional to the token's position; the dot
product of a rotated query and key then depends only on their *relative* offset, not on where they are.

Shapes: B batch, H heads, T sequence, D head width (even).

Pairing: the paper, and Meta's reference LLaMA code (complex multiplication), rotate adjacent features
(x_0, x_1), (x_2, x_3), ...; like Hugging Face's Llama and GPT-NeoX code (``rotate_half``) we pair
feature i with feature i + D/2. The two differ only by a fixed permutation of the q/k projection rows
(HF's LLaMA conversion script applies it), so they are equally expressive, and ours matches HF
Llama checkpoints.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def rope_inverse_frequencies(
    head_dim: int, base: float = 10000.0, *, dtype: torch.dtype = torch.float64
) -> Tensor:
    """``theta_i = base^(-2i/D)`` for i = 0 .. D/2 - 1 (RoFormer eq. 15), shape (D/2,)."""
    if head_dim <= 0 or head_dim % 2:
        raise ValueError(f"RoPE needs a positive, even head_dim; got {head_dim}")
    if base <= 1.0:
        raise ValueError(f"base must be > 1; got {base}")
    return 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=dtype) / head_dim))  # (D/2,)


def rope_cos_sin(
    positions: Tensor, head_dim: int, base: float = 10000.0, *, dtype: torch.dtype = torch.float32
) -> tuple[Tensor, Tensor]:
    """cos and sin of the rotation angles ``m * theta_i`` for integer positions m.

    positions: (T,) or (B, T) -> cos, sin: (T, D) or (B, T, D), each angle repeated for the two halves.
    Angles are computed in float64 and then cast, so long positions keep their precision.
    """
    inv_freq = rope_inverse_frequencies(head_dim, base)  # (D/2,)
    angles = positions.to(torch.float64)[..., None] * inv_freq  # (..., T, D/2)  m * theta_i
    angles = torch.cat((angles, angles), dim=-1)  # (..., T, D)  same angle for features i and i + D/2
    return angles.cos().to(dtype), angles.sin().to(dtype)


def rotate_half(x: Tensor) -> Tensor:
    """``(x1, x2) -> (-x2, x1)`` on the two halves of the last axis: a 90-degree turn of every pair."""
    x1, x2 = x.chunk(2, dim=-1)  # (..., D/2) each
    return torch.cat((-x2, x1), dim=-1)  # (..., D)


def apply_rope(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotate x by its positions' angles: ``x * cos + rotate_half(x) * sin`` (RoFormer eq. 34, which
    is written for adjacent pairs; this is the same rotation in the half-split layout).

    x: (B, H, T, D); cos, sin: (T, D) or (B, T, D) from ``rope_cos_sin`` -> (B, H, T, D).
    """
    if x.shape[-1] != cos.shape[-1] or cos.shape != sin.shape:
        raise ValueError(f"cos/sin of shape {tuple(cos.shape)} do not fit x of shape {tuple(x.shape)}")
    if cos.dim() == 3:  # (B, T, D) -> (B, 1, T, D) to broadcast over heads
        cos, sin = cos[:, None], sin[:, None]
    return x * cos + rotate_half(x) * sin  # (B, H, T, D)


class RotaryEmbedding(nn.Module):
    """Caches cos/sin tables for positions 0 .. max_positions - 1; ``forward(positions)`` looks them up."""

    def __init__(self, head_dim: int, max_positions: int = 2048, base: float = 10000.0):
        super().__init__()
        if max_positions <= 0:
            raise ValueError(f"max_positions must be positive; got {max_positions}")
        self.head_dim, self.max_positions, self.base = head_dim, max_positions, base
        cos, sin = rope_cos_sin(torch.arange(max_positions), head_dim, base, dtype=torch.float64)
        self.register_buffer("cos_table", cos, persistent=False)  # (T_max, D)
        self.register_buffer("sin_table", sin, persistent=False)  # (T_max, D)

    def forward(self, positions: Tensor, dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
        """positions (T,) or (B, T) of ints -> (cos, sin) each (T, D) or (B, T, D) in ``dtype``."""
        if positions.numel() and int(positions.max()) >= self.max_positions:
            raise ValueError(
                f"position {int(positions.max())} is beyond max_positions={self.max_positions}; "
                "build RotaryEmbedding with a larger max_positions"
            )
        return self.cos_table[positions].to(dtype), self.sin_table[positions].to(dtype)
