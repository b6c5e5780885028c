"""T5: one encoder–decoder for every task, written as text in and text out.

Paper: Colin Raffel, Noam Shazeer, Adam Roberts, Katherine Lee, Sharan Narang, Michael Matena, Yanqi
Zhou, Wei Li, Peter J. Liu (2019), "Exploring the Limits of Transfer Learning with a Unified
Text-to-Text Transformer", arXiv:1910.10683.

Translation, classification and summarisation all become "read this string, write that string", so
a single encoder–decoder and a single cross-entropy loss serve them all. T5's blocks differ from the
2017 ones in small, influential ways: RMS-style LayerNorm without bias *before* each sub-layer, no
biases anywhere, unscaled dot products, and learned *relative* position buckets added to the scores
(computed once per stack and shared by all its layers) instead of absolute position embeddings.

Shapes: B batch, T_e encoder length, T_d decoder length, C d_model, H heads, D d_kv, V vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from mlatlas.transformers.attention import causal_mask, scaled_dot_product_attention
from mlatlas.transformers.multi_head_attention import merge_heads, split_heads
from mlatlas.transformers.relative_positional_encoding import T5RelativeBias
from mlatlas.transformers.rmsnorm import RMSNorm

IGNORE_INDEX = -100


@dataclass
class T5Config:
    vocab_size: int = 32
    d_model: int = 64  # C
    d_kv: int = 16  # D
    d_ff: int = 128
    num_heads: int = 4  # H
    num_layers: int = 2  # encoder
    num_decoder_layers: int = 2
    relative_attention_num_buckets: int = 32
    relative_attention_max_distance: int = 128
    layer_norm_eps: float = 1e-6
    dropout: float = 0.0
    pad_token_id: int = 0  # also the decoder's start token
    scale_decoder_outputs: bool = True  # T5 v1.0 multiplies by C^-1/2 before the tied output layer


class T5Attention(nn.Module):
    """softmax(Q Kᵀ + bias) V: note the missing 1/√D (the original T5 code folds it into the query
    weights' initialisation; this module keeps PyTorch's default initialisation)."""

    def __init__(self, config: T5Config):
        super().__init__()
        inner = config.num_heads * config.d_kv
        self.num_heads = config.num_heads
        self.q = nn.Linear(config.d_model, inner, bias=False)
        self.k = nn.Linear(config.d_model, inner, bias=False)
        self.v = nn.Linear(config.d_model, inner, bias=False)
        self.o = nn.Linear(inner, config.d_model, bias=False)

    def forward(
        self, x: torch.Tensor, memory: torch.Tensor | None = None, bias: torch.Tensor | None = None
    ) -> torch.Tensor:
        """x (B, T_q, C), memory (B, T_k, C) or None for self-attention, bias (B|1, H, T_q, T_k) additive."""
        memory = x if memory is None else memory
        q = split_heads(self.q(x), self.num_heads)  # (B, H, T_q, D)
        k = split_heads(self.k(memory), self.num_heads)  # (B, H, T_k, D)
        v = split_heads(self.v(memory), self.num_heads)  # (B, H, T_k, D)
        out = scaled_dot_product_attention(q, k, v, attn_mask=bias, scale=1.0)  # (B, H, T_q, D)
        return self.o(merge_heads(out))  # (B, T_q, C)


class T5FeedForward(nn.Module):
    """FFN(x) = W_o ReLU(W_i x), no biases."""

    def __init__(self, config: T5Config):
        super().__init__()
        self.wi = nn.Linear(config.d_model, config.d_ff, bias=False)
        self.wo = nn.Linear(config.d_ff, config.d_model, bias=False)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.wo(self.dropout(F.relu(self.wi(x))))


class T5Block(nn.Module):
    """Pre-norm residual sub-layers: self-attention, (decoder only) cross-attention, feed-forward."""

    def __init__(self, config: T5Config, is_decoder: bool):
        super().__init__()
        eps = config.layer_norm_eps
        self.self_norm, self.self_attn = RMSNorm(config.d_model, eps), T5Attention(config)
        self.cross_norm = RMSNorm(config.d_model, eps) if is_decoder else None
        self.cross_attn = T5Attention(config) if is_decoder else None
        self.ff_norm, self.ff = RMSNorm(config.d_model, eps), T5FeedForward(config)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x, self_bias, memory=None, cross_bias=None):
        x = x + self.dropout(self.self_attn(self.self_norm(x), bias=self_bias))  # (B, T, C)
        if self.cross_attn is not None:
            x = x + self.dropout(self.cross_attn(self.cross_norm(x), memory, bias=cross_bias))
        return x + self.dropout(self.ff(self.ff_norm(x)))


def padding_bias(attention_mask: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
    """(B, T_k) with 1 = real token, 0 = padding → additive (B, 1, 1, T_k) bias (0 or −inf)."""
    if attention_mask is None:
        return None
    bias = torch.zeros(attention_mask.shape, dtype=dtype, device=attention_mask.device)
    return bias.masked_fill(attention_mask == 0, float("-inf"))[:, None, None, :]


class T5Stack(nn.Module):
    """Encoder or decoder: embeddings in, one relative-position bias shared by all layers, final RMSNorm."""

    def __init__(self, config: T5Config, is_decoder: bool, num_layers: int):
        super().__init__()
        self.is_decoder = is_decoder
        self.relative_bias = T5RelativeBias(
            config.num_heads,
            num_buckets=config.relative_attention_num_buckets,
            max_distance=config.relative_attention_max_distance,
            bidirectional=not is_decoder,
        )
        self.blocks = nn.ModuleList(T5Block(config, is_decoder) for _ in range(num_layers))
        self.final_norm = RMSNorm(config.d_model, config.layer_norm_eps)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x, attention_mask=None, memory=None, memory_mask=None):
        T = x.shape[1]
        bias = self.relative_bias(T, T)[None].to(x.dtype)  # (1, H, T, T) learned bucket biases
        if self.is_decoder:
            bias = bias.masked_fill(~causal_mask(T, T, device=x.device), float("-inf"))  # no peeking ahead
        pad = padding_bias(attention_mask, x.dtype)
        if pad is not None:
            bias = bias + pad  # (B, H, T, T)
        cross_bias = padding_bias(memory_mask, x.dtype)  # cross-attention has no position bias
        x = self.dropout(x)
        for block in self.blocks:
            x = block(x, bias, memory, cross_bias)
        return self.dropout(self.final_norm(x))


class T5(nn.Module):
    """Text-to-text: p(y | x) = Π_t softmax(Decoder(y_<t, Encoder(x)) Eᵀ), with one shared embedding E."""

    def __init__(self, config: T5Config):
        super().__init__()
        self.config = config
        self.shared = nn.Embedding(config.vocab_size, config.d_model)
        self.encoder = T5Stack(config, is_decoder=False, num_layers=config.num_layers)
        self.decoder = T5Stack(config, is_decoder=True, num_layers=config.num_decoder_layers)

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.encoder(self.shared(input_ids), attention_mask)  # (B, T_e, C)

    def decode(
        self, decoder_input_ids: torch.Tensor, memory: torch.Tensor, memory_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        h = self.decoder(self.shared(decoder_input_ids), None, memory, memory_mask)  # (B, T_d, C)
        if self.config.scale_decoder_outputs:
            h = h * self.config.d_model**-0.5
        return h @ self.shared.weight.T  # (B, T_d, V) tied output layer

    def shift_right(self, labels: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: the decoder reads [start] y_1 … y_{T−1} to predict y_1 … y_T."""
        start = torch.full_like(labels[:, :1], self.config.pad_token_id)
        shifted = torch.cat([start, labels[:, :-1]], dim=1)
        return shifted.masked_fill(shifted == IGNORE_INDEX, self.config.pad_token_id)

    def forward(self, input_ids, labels, attention_mask=None):
        """Logits (B, T_d, V) and the cross-entropy over label positions ≠ IGNORE_INDEX."""
        memory = self.encode(input_ids, attention_mask)
        logits = self.decode(self.shift_right(labels), memory, attention_mask)
        loss = F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE_INDEX
        )
        return logits, loss

    @torch.no_grad()
    def generate(
        self, input_ids: torch.Tensor, max_new_tokens: int, attention_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Greedy decoding from the start token: (B, 1 + max_new_tokens), the start token first."""
        memory = self.encode(input_ids, attention_mask)
        out = torch.full(
            (input_ids.shape[0], 1), self.config.pad_token_id, dtype=torch.long, device=input_ids.device
        )
        for _ in range(max_new_tokens):
            nxt = self.decode(out, memory, attention_mask)[:, -1].argmax(-1, keepdim=True)  # (B, 1)
            out = torch.cat([out, nxt], dim=1)
        return out
