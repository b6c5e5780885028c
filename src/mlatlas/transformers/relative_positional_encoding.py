"""Relative positional encodings: Shaw et al.'s relative keys/values and T5's bucketed biases.

Papers: Peter Shaw, Jakob Uszkoreit, Ashish Vaswani (2018), "Self-Attention with Relative Position
Representations", arXiv:1803.02155; Colin Raffel et al. (2020), "Exploring the Limits of Transfer
Learning with a Unified Text-to-Text Transformer" (T5), arXiv:1910.10683.

Instead of telling each token where it is, tell each *pair* how far apart they are: Shaw et al. add a
learned vector for the clipped offset j - i to the keys and values; T5 adds one learned scalar per head
for a logarithmic bucket of the offset to the attention score.

Shapes: B batch, H heads, T sequence (T_q, T_k), D head width, C model width.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def clipped_relative_positions(t_q: int, t_k: int, max_distance: int) -> Tensor:
    """Indices ``clip(j - i, -K, K) + K`` into a (2K + 1)-row table, shape (T_q, T_k) (Shaw §3.2)."""
    if max_distance < 0:
        raise ValueError(f"max_distance must be >= 0; got {max_distance}")
    rel = torch.arange(t_k)[None, :] - torch.arange(t_q)[:, None]  # (T_q, T_k)  j - i
    return rel.clamp(-max_distance, max_distance) + max_distance  # (T_q, T_k) in [0, 2K]


class ShawRelativeAttention(nn.Module):
    """Multi-head self-attention with relative position representations (Shaw et al. 2018).

    ``e_ij = q_i . (k_j + a^K_ij) / sqrt(D)`` (eq. 4, computed split in two terms as in eq. 5),
    ``z_i = sum_j alpha_ij (v_j + a^V_ij)`` (eq. 3), with ``a^K_ij = w^K[clip(j - i, -K, K)]`` shared
    across heads, as the paper allows (§3.3) and its big model does.
    """

    def __init__(self, d_model: int, num_heads: int, max_distance: int, *, dtype: torch.dtype | None = None):
        super().__init__()
        if d_model % num_heads:
            raise ValueError(f"d_model={d_model} is not divisible by num_heads={num_heads}")
        self.num_heads, self.max_distance = num_heads, max_distance
        d = d_model // num_heads
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=False, dtype=dtype)
        self.out_proj = nn.Linear(d_model, d_model, bias=False, dtype=dtype)
        self.rel_k = nn.Embedding(2 * max_distance + 1, d, dtype=dtype)  # w^K, (2K + 1, D)
        self.rel_v = nn.Embedding(2 * max_distance + 1, d, dtype=dtype)  # w^V, (2K + 1, D)

    def forward(self, x: Tensor, *, is_causal: bool = False) -> Tensor:
        """x (B, T, C) -> (B, T, C)."""
        b, t, c = x.shape
        h = self.num_heads
        q, k, v = self.qkv(x).view(b, t, 3, h, c // h).permute(2, 0, 3, 1, 4)  # each (B, H, T, D)
        idx = clipped_relative_positions(t, t, self.max_distance).to(x.device)  # (T, T)
        a_k, a_v = self.rel_k(idx), self.rel_v(idx)  # (T, T, D) each
        scores = q @ k.transpose(-2, -1)  # (B, H, T, T)  q_i . k_j
        scores = scores + torch.einsum("bhid,ijd->bhij", q, a_k)  # + q_i . a^K_ij
        scores = scores / math.sqrt(c // h)  # eq. 5
        if is_causal:
            scores = scores.masked_fill(
                torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1), float("-inf")
            )
        alpha = scores.softmax(dim=-1)  # (B, H, T, T)
        z = alpha @ v + torch.einsum("bhij,ijd->bhid", alpha, a_v)  # (B, H, T, D)  eq. 3
        return self.out_proj(z.transpose(1, 2).reshape(b, t, c))  # (B, T, C)


def t5_relative_position_bucket(
    relative_position: Tensor, *, bidirectional: bool = True, num_buckets: int = 32, max_distance: int = 128
) -> Tensor:
    """T5's bucket of the offset ``j - i``: exact for small offsets, logarithmic up to ``max_distance``.

    Bidirectional: half the buckets for keys before the query, half for after. Within a half, the
    first half of the buckets are the exact offsets 0 .. n/2 - 1; the rest cover n/2 .. max_distance on
    a log scale, and everything beyond shares the last bucket.
    """
    if num_buckets < 2:
        raise ValueError(f"num_buckets must be >= 2; got {num_buckets}")
    bucket = torch.zeros_like(relative_position)
    n = num_buckets
    if bidirectional:
        n //= 2
        bucket = bucket + (relative_position > 0).long() * n  # keys after the query: upper half
        distance = relative_position.abs()
    else:
        distance = (-relative_position).clamp(min=0)  # causal: only past keys (j <= i) matter
    max_exact = n // 2
    is_small = distance < max_exact
    log_ratio = torch.log(distance.float().clamp(min=1) / max_exact) / math.log(max_distance / max_exact)
    large = max_exact + (log_ratio * (n - max_exact)).long()  # log-spaced buckets
    large = large.clamp(max=n - 1)
    return bucket + torch.where(is_small, distance, large)


class T5RelativeBias(nn.Module):
    """One learned scalar per (bucket, head), added to attention scores: bias (H, T_q, T_k)."""

    def __init__(
        self,
        num_heads: int,
        *,
        num_buckets: int = 32,
        max_distance: int = 128,
        bidirectional: bool = True,
        dtype: torch.dtype | None = None,
    ):
        super().__init__()
        self.num_buckets, self.max_distance, self.bidirectional = num_buckets, max_distance, bidirectional
        self.relative_attention_bias = nn.Embedding(num_buckets, num_heads, dtype=dtype)  # (buckets, H)

    def forward(self, t_q: int, t_k: int) -> Tensor:
        rel = torch.arange(t_k)[None, :] - torch.arange(t_q)[:, None]  # (T_q, T_k)  j - i
        buckets = t5_relative_position_bucket(
            rel,
            bidirectional=self.bidirectional,
            num_buckets=self.num_buckets,
            max_distance=self.max_distance,
        )
        return self.relative_attention_bias(buckets).permute(2, 0, 1)  # (H, T_q, T_k)
