"""The sinusoidal positional encoding of the original Transformer.

Paper: Vaswani, Shazeer, Parmar, Uszkoreit, Jones, Gomez, Kaiser, Polosukhin (2017),
"Attention Is All You Need", arXiv:1706.03762, section 3.5.

Give every position a fixed vector of sines and cosines at geometrically spaced frequencies and add it to
the token embedding. Moving k positions rotates each (sin, cos) pair by a fixed angle, so "k steps
later" is a linear map the model can learn.

Shapes: T positions, C model width (even).
"""

from __future__ import annotations

import torch
from torch import Tensor


def sinusoid_frequencies(
    d_model: int, base: float = 10000.0, *, dtype: torch.dtype = torch.float64
) -> Tensor:
    """``omega_i = 1 / base^(2i/C)`` for i = 0 .. C/2 - 1, shape (C/2,)."""
    if d_model <= 0 or d_model % 2:
        raise ValueError(f"d_model must be positive and even (sin/cos pairs); got {d_model}")
    return 1.0 / base ** (torch.arange(0, d_model, 2, dtype=dtype) / d_model)  # (C/2,)


def sinusoidal_positional_encoding(
    num_positions: int, d_model: int, base: float = 10000.0, *, dtype: torch.dtype = torch.float64
) -> Tensor:
    """``PE[p, 2i] = sin(p omega_i)``, ``PE[p, 2i+1] = cos(p omega_i)`` (Vaswani et al. 2017, sec. 3.5).

    Returns (T, C) with T = ``num_positions``; add it to (B, T, C) token embeddings.
    """
    if num_positions < 0:
        raise ValueError(f"num_positions must be >= 0; got {num_positions}")
    omega = sinusoid_frequencies(d_model, base, dtype=torch.float64)  # (C/2,)
    angles = torch.arange(num_positions, dtype=torch.float64)[:, None] * omega  # (T, C/2)  p * omega_i
    pe = torch.empty(num_positions, d_model, dtype=torch.float64)  # (T, C)
    pe[:, 0::2] = angles.sin()  # even features: sin
    pe[:, 1::2] = angles.cos()  # odd features: cos
    return pe.to(dtype)


def relative_shift_matrix(offset: int, d_model: int, base: float = 10000.0) -> Tensor:
    """The (C, C) matrix M_k with ``PE[p + k] = M_k @ PE[p]`` for every p: block-diagonal 2x2 rotations.

    For each pair, (sin(a + b), cos(a + b)) = [[cos b, sin b], [-sin b, cos b]] (sin a, cos a), b = k omega_i.
    It depends on the offset k only, not on p: the linear "k steps later" map the paper alludes to.
    """
    omega = sinusoid_frequencies(d_model, base)  # (C/2,)
    b = offset * omega  # (C/2,) rotation angle per pair
    m = torch.zeros(d_model, d_model, dtype=torch.float64)
    m[0::2, 0::2] = torch.diag(b.cos())  # sin' = cos b sin + sin b cos
    m[0::2, 1::2] = torch.diag(b.sin())
    m[1::2, 0::2] = torch.diag(-b.sin())  # cos' = -sin b sin + cos b cos
    m[1::2, 1::2] = torch.diag(b.cos())
    return m
