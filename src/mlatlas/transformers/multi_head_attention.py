"""Multi-head attention.

Paper: Vaswani, Shazeer, Parmar, Uszkoreit, Jones, Gomez, Kaiser, Polosukhin (2017),
"Attention Is All You Need", arXiv:1706.03762, section 3.2.2.

Project the input into H smaller query/key/value spaces, run scaled dot-product attention in each
head independently, concatenate the heads and mix them with an output projection.

Shapes: B batch, T sequence, C model width, H heads, D = C / H head width.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mlatlas.transformers.attention import attention_weights, scaled_dot_product_attention


@dataclass(frozen=True)
class MultiHeadAttentionConfig:
    d_model: int  # C
    num_heads: int  # H; D = C / H
    bias: bool = True  # biases on the 4 projections, as nn.MultiheadAttention (the 2017 eqs. have none)
    dropout: float = 0.0  # on the attention weights, in training mode only

    def __post_init__(self) -> None:
        if self.d_model <= 0 or self.num_heads <= 0:
            raise ValueError(f"d_model and num_heads must be positive; got {self.d_model}, {self.num_heads}")
        if self.d_model % self.num_heads:
            raise ValueError(
                f"d_model={self.d_model} is not divisible by num_heads={self.num_heads}; "
                "pick num_heads that divides d_model"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {self.dropout}")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.num_heads


def split_heads(x: Tensor, num_heads: int) -> Tensor:
    """(B, T, C) -> (B, H, T, D)."""
    b, t, c = x.shape
    return x.view(b, t, num_heads, c // num_heads).transpose(1, 2)  # (B, H, T, D)


def merge_heads(x: Tensor) -> Tensor:
    """(B, H, T, D) -> (B, T, C): concatenate the heads."""
    b, h, t, d = x.shape
    return x.transpose(1, 2).reshape(b, t, h * d)  # (B, T, C)


class MultiHeadAttention(nn.Module):
    """``MultiHead(Q, K, V) = Concat(head_1, ..., head_H) W^O``,
    ``head_h = Attention(Q W^Q_h, K W^K_h, V W^V_h)`` (Vaswani et al. 2017, sec. 3.2.2).

    Self-attention: ``mha(x)``. Cross-attention: ``mha(x, memory, memory)``.
    Masks: ``attn_mask`` (T_q, T_k) or broadcastable to (B, H, T_q, T_k) with the SDPA convention
    (bool ``True`` = may attend, float = added); ``key_padding_mask`` (B, T_k) bool with the
    ``nn.MultiheadAttention`` convention, ``True`` = padding to ignore.
    """

    def __init__(self, config: MultiHeadAttentionConfig, *, dtype: torch.dtype | None = None):
        super().__init__()
        self.config = config
        c = config.d_model
        self.q_proj = nn.Linear(c, c, bias=config.bias, dtype=dtype)  # W^Q for all heads at once
        self.k_proj = nn.Linear(c, c, bias=config.bias, dtype=dtype)  # W^K
        self.v_proj = nn.Linear(c, c, bias=config.bias, dtype=dtype)  # W^V
        self.out_proj = nn.Linear(c, c, bias=config.bias, dtype=dtype)  # W^O

    def _project(
        self, query: Tensor, key: Tensor | None, value: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor]:
        key = query if key is None else key
        value = key if value is None else value
        if query.dim() != 3 or key.dim() != 3 or value.dim() != 3:
            raise ValueError(f"inputs must be (B, T, C); got query of shape {tuple(query.shape)}")
        if query.shape[-1] != self.config.d_model:
            raise ValueError(f"query has width {query.shape[-1]} but d_model={self.config.d_model}")
        h = self.config.num_heads
        q = split_heads(self.q_proj(query), h)  # (B, H, T_q, D)
        k = split_heads(self.k_proj(key), h)  # (B, H, T_k, D)
        v = split_heads(self.v_proj(value), h)  # (B, H, T_k, D)
        return q, k, v

    @staticmethod
    def _combine_masks(
        attn_mask: Tensor | None,
        key_padding_mask: Tensor | None,
        is_causal: bool,
        t_q: int,
        t_k: int,
        device: torch.device,
    ) -> tuple[Tensor | None, bool]:
        if key_padding_mask is None:
            return attn_mask, is_causal
        if (
            key_padding_mask.dtype != torch.bool
            or key_padding_mask.dim() != 2
            or key_padding_mask.shape[1] != t_k
        ):
            raise ValueError(
                f"key_padding_mask must be bool (B, T_k={t_k}); got {key_padding_mask.dtype} "
                f"{tuple(key_padding_mask.shape)}"
            )
        keep = ~key_padding_mask[:, None, None, :]  # (B, 1, 1, T_k)  True = real token
        if is_causal:
            attn_mask = torch.ones(t_q, t_k, dtype=torch.bool, device=device).tril()
        if attn_mask is None:
            return keep, False
        if attn_mask.dtype == torch.bool:
            return attn_mask & keep, False
        return attn_mask.masked_fill(~keep, float("-inf")), False

    def forward(
        self,
        query: Tensor,
        key: Tensor | None = None,
        value: Tensor | None = None,
        *,
        attn_mask: Tensor | None = None,
        key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        """query (B, T_q, C), key/value (B, T_k, C) (default: query) -> (B, T_q, C)."""
        q, k, v = self._project(query, key, value)
        attn_mask, is_causal = self._combine_masks(
            attn_mask, key_padding_mask, is_causal, q.shape[-2], k.shape[-2], q.device
        )
        dropout_p = self.config.dropout if self.training else 0.0
        out = scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, is_causal=is_causal, dropout_p=dropout_p
        )  # (B, H, T_q, D)
        return self.out_proj(merge_heads(out))  # (B, T_q, C)  Concat(heads) W^O

    def attention_weights(
        self,
        query: Tensor,
        key: Tensor | None = None,
        *,
        attn_mask: Tensor | None = None,
        key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        """Each head's attention probabilities, (B, H, T_q, T_k) (for heat maps; no dropout)."""
        q, k, _ = self._project(query, key, key)
        attn_mask, is_causal = self._combine_masks(
            attn_mask, key_padding_mask, is_causal, q.shape[-2], k.shape[-2], q.device
        )
        return attention_weights(q, k, attn_mask=attn_mask, is_causal=is_causal)
