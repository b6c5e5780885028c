"""Scaled dot-product attention, the plain (naive) way.

Paper: Vaswani, Shazeer, Parmar, Uszkoreit, Jones, Gomez, Kaiser, Polosukhin (2017),
"Attention Is All You Need", arXiv:1706.03762, equation (1).

Every query scores every key by a scaled dot product, a softmax turns each row of scores into weights,
and the output is the weighted average of the values. This file is the readable reference path: it
materialises the full (T_q, T_k) score matrix; ``flash_attention.py`` computes the same thing in tiles.

Shapes: B batch, H heads, T sequence (T_q queries, T_k keys), D head width.

Mask convention (the same as ``torch.nn.functional.scaled_dot_product_attention``):
a boolean mask is ``True`` where a query may attend to a key; a floating mask is *added* to the
scores (use ``-inf`` to forbid). A query row whose keys are all forbidden returns zeros, not NaN.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def causal_mask(t_q: int, t_k: int, *, offset: int = 0, device: torch.device | str | None = None) -> Tensor:
    """Boolean (T_q, T_k) mask, ``True`` where query ``i`` may see key ``j``, i.e. ``j <= i + offset``.

    ``offset=0`` is the top-left alignment that ``scaled_dot_product_attention(is_causal=True)`` uses.
    When the queries are the *last* ``t_q`` of ``t_k`` positions (decoding with a KV cache), pass
    ``offset = t_k - t_q`` so query ``i`` sits at absolute position ``t_k - t_q + i``.
    """
    if t_q < 0 or t_k < 0:
        raise ValueError(f"causal_mask needs non-negative lengths, got t_q={t_q}, t_k={t_k}")
    i = torch.arange(t_q, device=device)[:, None]  # (T_q, 1) query positions
    j = torch.arange(t_k, device=device)[None, :]  # (1, T_k) key positions
    return j <= i + offset  # (T_q, T_k)


def _check_qkv(q: Tensor, k: Tensor, v: Tensor) -> None:
    if q.dim() < 2 or k.dim() != q.dim() or v.dim() != q.dim():
        raise ValueError(
            f"q, k, v must have the same number of dimensions (..., T, D); got {tuple(q.shape)}, "
            f"{tuple(k.shape)}, {tuple(v.shape)}"
        )
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must share the head width D; got {q.shape[-1]} and {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"k and v must have the same number of keys T_k; got {k.shape[-2]} and {v.shape[-2]}"
        )
    if q.shape[:-2] != k.shape[:-2] or q.shape[:-2] != v.shape[:-2]:
        raise ValueError(
            f"q, k, v must share leading (batch, head) dims; got {tuple(q.shape[:-2])}, "
            f"{tuple(k.shape[:-2])}, {tuple(v.shape[:-2])} (for fewer KV heads use gqa.repeat_kv)"
        )


def attention_scores(
    q: Tensor,
    k: Tensor,
    *,
    attn_mask: Tensor | None = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """Masked, scaled scores ``S = Q K^T / sqrt(D) (+ mask)`` of shape (..., T_q, T_k).

    Forbidden positions hold ``-inf``. Computed in the inputs' dtype, except float16/bfloat16 inputs,
    which are scored in float32.
    """
    if is_causal and attn_mask is not None:
        raise ValueError(
            "pass either is_causal=True or attn_mask, not both (fold the causal mask into attn_mask)"
        )
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    if q.dtype in (torch.float16, torch.bfloat16):  # half inputs: score in float32 (bfloat16's 8
        q, k = q.float(), k.float()  # significant bits would round a logit of 200 to a whole unit)
    scores = (q @ k.transpose(-2, -1)) * scale  # (..., T_q, T_k)  S = Q K^T / sqrt(D)
    t_q, t_k = q.shape[-2], k.shape[-2]
    if is_causal:
        attn_mask = causal_mask(t_q, t_k, device=q.device)
    if attn_mask is not None:
        if attn_mask.dim() < 2 or attn_mask.shape[-2] not in (1, t_q) or attn_mask.shape[-1] not in (1, t_k):
            raise ValueError(
                f"attn_mask must broadcast to (..., T_q, T_k) = (..., {t_q}, {t_k}); "
                f"got {tuple(attn_mask.shape)}"
            )
        if attn_mask.dtype == torch.bool:
            scores = scores.masked_fill(~attn_mask, float("-inf"))  # forbid where mask is False
        else:
            scores = scores + attn_mask.to(scores.dtype)  # additive bias (ALiBi, padding, ...)
    return scores


def attention_weights(
    q: Tensor,
    k: Tensor,
    *,
    attn_mask: Tensor | None = None,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """Attention probabilities ``A = softmax(Q K^T / sqrt(D) + mask)`` along the key axis, (..., T_q, T_k).

    ``A_ij = e^{S_ij - m_i} / sum_j' e^{S_ij' - m_i}`` with ``m_i = max_j S_ij``: subtracting the row
    maximum changes nothing mathematically and keeps ``exp`` from overflowing. ``torch.softmax`` does
    exactly that in one fused kernel (forward and backward) instead of separate max, exp, sum and divide
    operations, so we call it (the Foundations softmax chapter writes it out).
    Every row sums to 1, except a row whose keys are all masked, which is all zeros (with zero gradient).
    For float16/bfloat16 inputs the softmax is taken in float32 and cast back.
    """
    scores = attention_scores(q, k, attn_mask=attn_mask, is_causal=is_causal, scale=scale)
    scores = scores.to(torch.promote_types(scores.dtype, torch.float32))  # (..., T_q, T_k)
    dead = None
    if attn_mask is not None:  # only a given mask can hide every key of a row (a causal one cannot)
        dead = torch.isneginf(scores).all(dim=-1, keepdim=True)  # (..., T_q, 1) rows with no visible key
        scores = scores.masked_fill(dead, 0.0)  # finite stand-in: no 0/0, no NaN in the backward pass
    weights = torch.softmax(scores, dim=-1)  # A_ij = e^{S_ij - m_i} / sum_j' e^{S_ij' - m_i}
    if dead is not None:
        weights = weights.masked_fill(dead, 0.0)  # a row with nothing to attend to contributes zeros
    return weights.to(q.dtype)  # back to the inputs' dtype


def scaled_dot_product_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    *,
    attn_mask: Tensor | None = None,
    is_causal: bool = False,
    scale: float | None = None,
    dropout_p: float = 0.0,
) -> Tensor:
    """``Attention(Q, K, V) = softmax(Q K^T / sqrt(D) + mask) V`` (Vaswani et al. 2017, eq. 1).

    Shapes: q (..., T_q, D), k (..., T_k, D), v (..., T_k, D_v) -> output (..., T_q, D_v); the leading
    dims are usually (B, H). Same arguments and mask convention as
    ``torch.nn.functional.scaled_dot_product_attention`` (``is_causal`` is top-left aligned).
    ``dropout_p`` drops attention weights (training only: pass 0.0 at evaluation).
    """
    _check_qkv(q, k, v)
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"dropout_p must be in [0, 1); got {dropout_p}")
    weights = attention_weights(
        q, k, attn_mask=attn_mask, is_causal=is_causal, scale=scale
    )  # (..., T_q, T_k)
    if dropout_p > 0.0:  # inverted dropout on the weights: A' = A * m / (1 - p), m ~ Bernoulli(1 - p)
        # Same distribution as torch's F.dropout, drawn as uniform >= p; on CPU this is ~2x faster than the
        # bernoulli_ path. ge_ and mul_ reuse the uniform buffer, so the mask costs one (T_q, T_k) tensor.
        mask = torch.rand_like(weights).ge_(dropout_p).mul_(1.0 / (1.0 - dropout_p))  # m / (1 - p)
        weights = weights * mask  # regularise which keys are used
    return weights @ v  # (..., T_q, D_v)  sum_j A_ij v_j
