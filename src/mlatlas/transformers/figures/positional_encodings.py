"""Figures for the positional-encodings chapter."""

from __future__ import annotations

import torch

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.alibi import alibi_bias
from mlatlas.transformers.attention import scaled_dot_product_attention
from mlatlas.transformers.gqa import GQAConfig, GroupedQueryAttention
from mlatlas.transformers.learned_positional_encoding import LearnedPositionalEncoding
from mlatlas.transformers.multi_head_attention import (
    MultiHeadAttention,
    MultiHeadAttentionConfig,
    split_heads,
)
from mlatlas.transformers.positional_encodings import equivariance_error, with_positions
from mlatlas.transformers.rope import rope_cos_sin
from mlatlas.transformers.sinusoidal_positional_encoding import sinusoidal_positional_encoding


def equivariance_by_scheme():
    """How far shuffling the input moves each layer's output away from 'the same rows, shuffled'."""
    torch.manual_seed(0)
    c, t = 32, 10
    mha = MultiHeadAttention(MultiHeadAttentionConfig(c, 4), dtype=torch.float64).eval()
    gqa = GroupedQueryAttention(GQAConfig(c, 4, 4), dtype=torch.float64)
    learned = LearnedPositionalEncoding(t, c, init_std=1.0, dtype=torch.float64)
    rope = rope_cos_sin(torch.arange(t), c // 4, dtype=torch.float64)
    bias = alibi_bias(4, t, causal=False)

    def alibi_layer(x):
        q = split_heads(mha.q_proj(x), 4)
        k, v = split_heads(mha.k_proj(x), 4), split_heads(mha.v_proj(x), 4)
        return scaled_dot_product_attention(q, k, v, attn_mask=bias).transpose(1, 2).reshape(x.shape)

    layers = {
        "no positions": mha,
        "sinusoidal added": with_positions(mha, sinusoidal_positional_encoding(t, c)),
        "learned table added": lambda x: mha(learned(x)),
        "RoPE on q, k": lambda x: gqa(x, position_embeddings=rope),
        "ALiBi bias": alibi_layer,
        "causal mask only": lambda x: mha(x, is_causal=True),
    }
    g = torch.Generator().manual_seed(2)
    x = torch.randn(1, t, c, generator=g, dtype=torch.float64)
    perm = torch.randperm(t, generator=g)
    errors = {name: max(equivariance_error(layer, x, perm), 1e-17) for name, layer in layers.items()}
    fig, ax = new_figure(width=6.4, height=3.0)
    names = list(errors)
    ax.barh(names, [errors[n] for n in names], color=[PALETTE[7]] + [PALETTE[0]] * 4 + [PALETTE[1]])
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("max |f(shuffled x) − shuffled f(x)|  (float64)")
    ax.axvline(1e-12, color=PALETTE[3], linestyle="--", linewidth=1)
    ax.text(1.3e-12, 0.1, "rounding", color=PALETTE[3], fontsize=8)
    return fig
