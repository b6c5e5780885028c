"""ALiBi: attention with linear biases instead of positional embeddings.

Paper: Ofir Press, Noah A. Smith, Mike Lewis (2022), "Train Short, Test Long: Attention with Linear
Biases Enables Input Length Extrapolation", arXiv:2108.12409.

Add no position vectors at all; instead subtract from every attention score a penalty proportional to
the distance between query and key, with a different slope per head. Models trained on short
sequences then keep working on longer ones.

Shapes: H heads, T_q queries, T_k keys.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def alibi_slopes(num_heads: int, *, dtype: torch.dtype = torch.float64) -> Tensor:
    """Per-head slopes m_h, shape (H,) (Press et al. 2022, sec. 3).

    For H a power of two: the geometric sequence starting at and with ratio 2^(-8/H) (for 8 heads
    1/2, 1/4, ..., 1/256). Otherwise (the paper trains only power-of-two head counts; this is the
    workaround in the authors' code, which BLOOM also uses): the slopes of the largest power of two
    n < H, followed by every other slope of 2n heads, up to H slopes.
    """
    if num_heads <= 0:
        raise ValueError(f"num_heads must be positive; got {num_heads}")

    def power_of_two_slopes(n: int) -> list[float]:
        start = 2.0 ** (-8.0 / n)  # first slope and ratio: 2^(-8/n)
        return [start ** (h + 1) for h in range(n)]

    n = 2 ** math.floor(math.log2(num_heads))  # largest power of two <= H
    slopes = power_of_two_slopes(n)
    if n < num_heads:  # interleave from the 2n-head sequence
        slopes += power_of_two_slopes(2 * n)[0::2][: num_heads - n]
    return torch.tensor(slopes, dtype=dtype)


def alibi_bias(
    num_heads: int,
    t_q: int,
    t_k: int | None = None,
    *,
    causal: bool = True,
    dtype: torch.dtype = torch.float64,
) -> Tensor:
    """Additive attention bias ``-m_h * (i - j)`` for query i and key j, shape (H, T_q, T_k).

    Queries are the last T_q of T_k positions (so it also serves decoding with a cache). ``causal``:
    keys after the query get ``-inf`` (the paper's decoder setting); otherwise the penalty is
    symmetric, ``-m_h * |i - j|`` (a common encoder variant, not in the paper).
    """
    t_k = t_q if t_k is None else t_k
    if t_q > t_k:
        raise ValueError(f"t_q={t_q} queries cannot be the last positions of only t_k={t_k} keys")
    i = torch.arange(t_k - t_q, t_k, dtype=dtype)[:, None]  # (T_q, 1) absolute query positions
    j = torch.arange(t_k, dtype=dtype)[None, :]  # (1, T_k) key positions
    distance = i - j  # (T_q, T_k)  how far back key j is
    slopes = alibi_slopes(num_heads, dtype=dtype)[:, None, None]  # (H, 1, 1)
    bias = -slopes * distance.abs()  # (H, T_q, T_k)  -m_h |i - j|
    if causal:
        bias = bias.masked_fill(distance < 0, float("-inf"))  # future keys forbidden
    return bias
