"""The anatomy of a modern (Llama-style) decoder: RMSNorm, RoPE, grouped-query attention, SwiGLU.

Papers: Hugo Touvron et al. (2023), "LLaMA: Open and Efficient Foundation Language Models",
arXiv:2302.13971; the pieces: RMSNorm (arXiv:1910.07467), RoPE (arXiv:2104.09864), GQA
(arXiv:2305.13245), SwiGLU (arXiv:2002.05202); pre-normalisation from Xiong et al. (2020), arXiv:2002.04745.

A decoder block is two residual branches, each normalised on the way in (pre-norm):
``h = x + Attn(RMSNorm(x))`` then ``y = h + SwiGLU(RMSNorm(h))``. Positions enter only through RoPE.

Shapes: B batch, T sequence, C model width, V vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch
from torch import Tensor, nn

from mlatlas.transformers.gqa import GQAConfig, GroupedQueryAttention, KVCacheLike
from mlatlas.transformers.rmsnorm import RMSNorm
from mlatlas.transformers.rope import RotaryEmbedding
from mlatlas.transformers.swiglu import SwiGLU


@dataclass(frozen=True)
class DecoderConfig:
    vocab_size: int = 256  # V
    d_model: int = 64  # C
    num_layers: int = 2
    num_heads: int = 4  # H
    num_key_value_heads: int = 2  # H_kv
    intermediate_size: int = 176  # F, about 8C/3 (SwiGLU has three matrices)
    max_positions: int = 1024
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-6

    def __post_init__(self) -> None:
        if (
            min(self.vocab_size, self.d_model, self.num_layers, self.intermediate_size, self.max_positions)
            <= 0
        ):
            raise ValueError(
                "vocab_size, d_model, num_layers, intermediate_size, max_positions must be positive"
            )
        GQAConfig(self.d_model, self.num_heads, self.num_key_value_heads)  # validates the head counts

    @property
    def head_dim(self) -> int:
        return self.d_model // self.num_heads


class DecoderBlock(nn.Module):
    """One Llama decoder layer (same parameter names as ``transformers``' ``LlamaDecoderLayer``)."""

    def __init__(self, config: DecoderConfig, *, dtype: torch.dtype | None = None):
        super().__init__()
        c = config.d_model
        self.input_layernorm = RMSNorm(c, config.rms_norm_eps, dtype=dtype)
        self.self_attn = GroupedQueryAttention(
            GQAConfig(c, config.num_heads, config.num_key_value_heads), dtype=dtype
        )
        self.post_attention_layernorm = RMSNorm(c, config.rms_norm_eps, dtype=dtype)
        self.mlp = SwiGLU(c, config.intermediate_size, dtype=dtype)

    def forward(
        self, x: Tensor, position_embeddings: tuple[Tensor, Tensor], kv_cache: KVCacheLike | None = None
    ) -> Tensor:
        """x (B, T, C), (cos, sin) each (T, D) or (B, T, D) -> (B, T, C)."""
        h = x + self.self_attn(  # h = x + Attn(RMSNorm(x))
            self.input_layernorm(x),
            position_embeddings=position_embeddings,
            is_causal=True,
            kv_cache=kv_cache,
        )
        return h + self.mlp(self.post_attention_layernorm(h))  # y = h + SwiGLU(RMSNorm(h))


class CacheLike(Protocol):
    """A per-model cache: ``seq_len`` tokens already cached, ``layer(i)`` the cache of layer i."""

    @property
    def seq_len(self) -> int: ...

    def layer(self, index: int) -> KVCacheLike: ...


class ModernDecoder(nn.Module):
    """A Llama-style language model: embeddings, N decoder blocks, final RMSNorm, untied LM head.

    ``forward(input_ids, cache=None)`` returns logits (B, T, V). With a ``cache`` (see ``kv_cache.KVCache``)
    the tokens are taken to follow the ``cache.seq_len`` tokens already seen, and their keys/values are
    appended to it.
    """

    def __init__(self, config: DecoderConfig, *, dtype: torch.dtype | None = None):
        super().__init__()
        self.config = config
        self.embed_tokens = nn.Embedding(config.vocab_size, config.d_model, dtype=dtype)
        self.layers = nn.ModuleList(DecoderBlock(config, dtype=dtype) for _ in range(config.num_layers))
        self.norm = RMSNorm(config.d_model, config.rms_norm_eps, dtype=dtype)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False, dtype=dtype)
        self.rotary = RotaryEmbedding(config.head_dim, config.max_positions, config.rope_theta)

    def forward(self, input_ids: Tensor, cache: CacheLike | None = None) -> Tensor:
        """input_ids (B, T) of token ids -> logits (B, T, V)."""
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids must be (B, T); got shape {tuple(input_ids.shape)}")
        past = cache.seq_len if cache is not None else 0
        t = input_ids.shape[1]
        if past + t > self.config.max_positions:
            raise ValueError(
                f"{past + t} positions exceed max_positions={self.config.max_positions}; "
                "use a shorter sequence or a larger max_positions"
            )
        x = self.embed_tokens(input_ids)  # (B, T, C)
        positions = torch.arange(past, past + t, device=input_ids.device)  # (T,) absolute positions
        cos_sin = self.rotary(positions, dtype=x.dtype)  # (T, D) each
        for i, block in enumerate(self.layers):
            x = block(x, cos_sin, cache.layer(i) if cache is not None else None)  # (B, T, C)
        return self.lm_head(self.norm(x))  # (B, T, V)
