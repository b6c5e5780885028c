"""Grouped-query attention (GQA), with multi-query attention (MQA) as its extreme.

Papers: Joshua Ainslie, James Lee-Thorp, Michiel de Jong, Yury Zemlyanskiy, Federico Lebrón, Sumit Sanghai
(2023), "GQA: Training Generalized Multi-Query Transformer Models from Multi-Head Checkpoints",
arXiv:2305.13245; Noam Shazeer (2019), "Fast Transformer Decoding: One Write-Head is All You Need",
arXiv:1911.02150.

Keep H query heads but only H_kv < H key/value heads; each group of H / H_kv query heads shares one
key/value head. The KV cache shrinks by H / H_kv while quality stays close to full multi-head attention.

Shapes: B batch, T sequence, C model width, H query heads, H_kv key/value heads, D head width.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch
from torch import Tensor, nn

from mlatlas.transformers.attention import causal_mask, scaled_dot_product_attention
from mlatlas.transformers.rope import apply_rope


def repeat_kv(x: Tensor, n_rep: int) -> Tensor:
    """(B, H_kv, T, D) -> (B, H_kv * n_rep, T, D): each KV head repeated for its ``n_rep`` query heads.

    Head ``h`` of the output is KV head ``h // n_rep`` (the same grouping as Llama and as
    ``scaled_dot_product_attention(enable_gqa=True)``). Uses ``expand``, so no copy until the reshape.
    """
    if n_rep < 1:
        raise ValueError(f"n_rep must be >= 1; got {n_rep}")
    if n_rep == 1:
        return x
    b, h_kv, t, d = x.shape
    x = x[:, :, None, :, :].expand(b, h_kv, n_rep, t, d)  # (B, H_kv, n_rep, T, D)
    return x.reshape(b, h_kv * n_rep, t, d)  # (B, H, T, D)


def grouped_query_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    *,
    attn_mask: Tensor | None = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """Attention with q (B, H, T_q, D) and fewer KV heads k, v (B, H_kv, T_k, D) -> (B, H, T_q, D).

    H must be a multiple of H_kv. Equivalent to ``scaled_dot_product_attention(..., enable_gqa=True)``.
    """
    h, h_kv = q.shape[-3], k.shape[-3]
    if h % h_kv:
        raise ValueError(f"query heads ({h}) must be a multiple of key/value heads ({h_kv})")
    n_rep = h // h_kv  # num_key_value_groups
    return scaled_dot_product_attention(
        q, repeat_kv(k, n_rep), repeat_kv(v, n_rep), attn_mask=attn_mask, is_causal=is_causal, scale=scale
    )


class KVCacheLike(Protocol):
    """Anything with ``update(k, v) -> (k_all, v_all)`` that appends this step's keys/values and returns
    all cached ones, (B, H_kv, T_past + T, D). ``kv_cache.LayerKVCache`` is our implementation."""

    def update(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]: ...


@dataclass(frozen=True)
class GQAConfig:
    d_model: int  # C
    num_heads: int  # H (query heads)
    num_key_value_heads: int  # H_kv; H_kv = H is multi-head attention, H_kv = 1 is multi-query attention
    head_dim: int | None = None  # D; default C / H
    bias: bool = False  # Llama uses no biases

    def __post_init__(self) -> None:
        if min(self.d_model, self.num_heads, self.num_key_value_heads) <= 0:
            raise ValueError("d_model, num_heads and num_key_value_heads must be positive")
        if self.num_heads % self.num_key_value_heads:
            raise ValueError(
                f"num_heads={self.num_heads} must be a multiple of "
                f"num_key_value_heads={self.num_key_value_heads}"
            )
        if self.head_dim is None and self.d_model % self.num_heads:
            raise ValueError(
                f"d_model={self.d_model} is not divisible by num_heads={self.num_heads}; set head_dim"
            )

    @property
    def resolved_head_dim(self) -> int:
        return self.head_dim if self.head_dim is not None else self.d_model // self.num_heads

    @property
    def num_key_value_groups(self) -> int:
        return self.num_heads // self.num_key_value_heads


class GroupedQueryAttention(nn.Module):
    """GQA layer with Llama's parameter names (``q_proj``, ``k_proj``, ``v_proj``, ``o_proj``).

    ``forward(x, position_embeddings=(cos, sin), is_causal=True, kv_cache=...)``: RoPE is applied to
    queries and keys when ``position_embeddings`` is given; with a ``kv_cache`` the new keys/values are
    appended and the queries are treated as the *last* T positions (causal mask offset accordingly).
    """

    def __init__(self, config: GQAConfig, *, dtype: torch.dtype | None = None):
        super().__init__()
        self.config = config
        c, d = config.d_model, config.resolved_head_dim
        self.q_proj = nn.Linear(c, config.num_heads * d, bias=config.bias, dtype=dtype)
        self.k_proj = nn.Linear(c, config.num_key_value_heads * d, bias=config.bias, dtype=dtype)
        self.v_proj = nn.Linear(c, config.num_key_value_heads * d, bias=config.bias, dtype=dtype)
        self.o_proj = nn.Linear(config.num_heads * d, c, bias=config.bias, dtype=dtype)

    def forward(
        self,
        x: Tensor,
        *,
        position_embeddings: tuple[Tensor, Tensor] | None = None,
        attn_mask: Tensor | None = None,
        is_causal: bool = False,
        kv_cache: KVCacheLike | None = None,
    ) -> Tensor:
        """x (B, T, C) -> (B, T, C)."""
        if x.dim() != 3 or x.shape[-1] != self.config.d_model:
            raise ValueError(f"x must be (B, T, C={self.config.d_model}); got {tuple(x.shape)}")
        b, t, _ = x.shape
        d = self.config.resolved_head_dim
        q = self.q_proj(x).view(b, t, self.config.num_heads, d).transpose(1, 2)  # (B, H, T, D)
        k = self.k_proj(x).view(b, t, self.config.num_key_value_heads, d).transpose(1, 2)  # (B, H_kv, T, D)
        v = self.v_proj(x).view(b, t, self.config.num_key_value_heads, d).transpose(1, 2)  # (B, H_kv, T, D)
        if position_embeddings is not None:
            cos, sin = position_embeddings
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)  # rotate by absolute position
        if kv_cache is not None:
            k, v = kv_cache.update(k, v)  # (B, H_kv, T_past + T, D)
            t_k = k.shape[-2]
            if is_causal:
                if attn_mask is not None:
                    raise ValueError("pass either is_causal=True or attn_mask, not both")
                attn_mask, is_causal = causal_mask(t, t_k, offset=t_k - t, device=x.device), False
        out = grouped_query_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal)  # (B, H, T, D)
        out = out.transpose(1, 2).reshape(b, t, self.config.num_heads * d)  # (B, T, H*D)
        return self.o_proj(out)  # (B, T, C)
