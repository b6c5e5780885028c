"""Flamingo's two additions to a frozen language model: the Perceiver resampler and gated cross-attention.

Paper: Jean-Baptiste Alayrac, Jeff Donahue, Pauline Luc, Antoine Miech, Iain Barr, Yana Hasson, Karel Lenc,
Arthur Mensch, Katie Millican, Malcolm Reynolds, et al. (2022), "Flamingo: a Visual Language Model for
Few-Shot Learning", arXiv:2204.14198.
The resampler turns any number of visual features into R learned latent tokens; new cross-attention
blocks, inserted before the frozen LM blocks, let text read them through tanh gates that start at 0,
so at initialisation the model *is* the language model (Flamingo sec. 2.2, Figure 4).

    y = x + tanh(alpha_xattn) * XAttn(LN(x), visual)
    y = y + tanh(alpha_dense) * FFW(LN(y))

Shapes: B batch, T text length, M frames, N features per frame, R latents, C width.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from mlatlas.transformers.gpt import GPT
from mlatlas.transformers.multi_head_attention import MultiHeadAttention, MultiHeadAttentionConfig


def feed_forward(width: int) -> nn.Sequential:
    return nn.Sequential(
        nn.LayerNorm(width), nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width)
    )


class PerceiverResampler(nn.Module):
    """R learned latents cross-attend to [features; latents]: (B, M, N, C) -> (B, R, C) for any M, N."""

    def __init__(
        self, width: int, num_heads: int, num_latents: int, num_layers: int = 2, max_frames: int = 8
    ):
        super().__init__()
        self.latents = nn.Parameter(torch.randn(num_latents, width) * 0.02)  # (R, C)
        self.time_embedding = nn.Parameter(torch.randn(max_frames, width) * 0.02)  # (M_max, C), frames only
        self.norm_x = nn.ModuleList(nn.LayerNorm(width) for _ in range(num_layers))
        self.norm_latents = nn.ModuleList(nn.LayerNorm(width) for _ in range(num_layers))
        self.attn = nn.ModuleList(
            MultiHeadAttention(MultiHeadAttentionConfig(width, num_heads)) for _ in range(num_layers)
        )
        self.ff = nn.ModuleList(feed_forward(width) for _ in range(num_layers))
        self.norm_out = nn.LayerNorm(width)

    def forward(self, features: Tensor) -> Tensor:
        b, m, n, c = features.shape
        if m > self.time_embedding.shape[0]:
            raise ValueError(f"{m} frames but max_frames={self.time_embedding.shape[0]}; raise max_frames")
        x = (features + self.time_embedding[:m, None]).reshape(b, m * n, c)  # (B, M N, C) flattened
        z = self.latents.expand(b, -1, -1)  # (B, R, C)
        for norm_x, norm_z, attn, ff in zip(self.norm_x, self.norm_latents, self.attn, self.ff):
            zn = norm_z(z)
            kv = torch.cat([norm_x(x), zn], dim=1)  # keys and values: features and the latents themselves
            z = z + attn(zn, kv, kv)  # (B, R, C)
            z = z + ff(z)
        return self.norm_out(z)  # (B, R, C)


class GatedCrossAttentionBlock(nn.Module):
    """x + tanh(a) XAttn(LN(x), visual), then + tanh(b) FFW(.); both gates start at 0."""

    def __init__(self, width: int, num_heads: int):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.attn = MultiHeadAttention(MultiHeadAttentionConfig(width, num_heads))
        self.attn_gate = nn.Parameter(torch.zeros(1))  # alpha_xattn
        self.ff = feed_forward(width)
        self.ff_gate = nn.Parameter(torch.zeros(1))  # alpha_dense

    def forward(self, x: Tensor, visual: Tensor) -> Tensor:
        """x (B, T, C) text states, visual (B, R, C) -> (B, T, C)."""
        x = x + torch.tanh(self.attn_gate) * self.attn(self.norm(x), visual, visual)  # text reads images
        return x + torch.tanh(self.ff_gate) * self.ff(x)


class FlamingoLM(nn.Module):
    """A frozen GPT with a gated cross-attention block inserted before each of its blocks."""

    def __init__(self, lm: GPT, num_heads: int):
        super().__init__()
        self.lm = lm.requires_grad_(False)  # Flamingo freezes the language model
        c = lm.config.n_embd
        self.xattn = nn.ModuleList(GatedCrossAttentionBlock(c, num_heads) for _ in lm.blocks)

    def forward(self, ids: Tensor, visual: Tensor) -> Tensor:
        """ids (B, T), visual tokens (B, R, C) -> logits (B, T, V)."""
        lm = self.lm
        h = lm.drop(lm.wte(ids) + lm.wpe(torch.arange(ids.shape[1], device=ids.device)))  # (B, T, C)
        for xattn, block in zip(self.xattn, lm.blocks):
            h = block(xattn(h, visual))  # new, trainable; then the frozen block
        return lm.lm_head(lm.ln_f(h))  # (B, T, V)
