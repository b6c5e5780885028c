"""Learned absolute positional embeddings: a trained table with one vector per position.

Papers: Jonas Gehring, Michael Auli, David Grangier, Denis Yarats, Yann Dauphin (2017), "Convolutional
Sequence to Sequence Learning", arXiv:1705.03122; used by BERT (arXiv:1810.04805) and GPT-2.

Treat position like a token: look its vector up in a parameter table of ``max_positions`` rows and add it
to the token embedding. Flexible, but a model cannot say anything about positions it never trained on.

Shapes: B batch, T sequence, C model width.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class LearnedPositionalEncoding(nn.Module):
    """``x + P[offset : offset + T]`` with P a (max_positions, C) trained table (GPT-2's ``wpe``)."""

    def __init__(
        self, max_positions: int, d_model: int, *, init_std: float = 0.02, dtype: torch.dtype | None = None
    ):
        super().__init__()
        if max_positions <= 0 or d_model <= 0:
            raise ValueError(f"max_positions and d_model must be positive; got {max_positions}, {d_model}")
        self.table = nn.Embedding(max_positions, d_model, dtype=dtype)  # P, (max_positions, C)
        nn.init.normal_(self.table.weight, std=init_std)  # 0.02 as HF and nanoGPT (OpenAI GPT-2: 0.01)

    @property
    def max_positions(self) -> int:
        return self.table.num_embeddings

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        """x (B, T, C) -> x + P[offset : offset + T], (B, T, C). ``offset`` > 0 when decoding with a cache."""
        t = x.shape[1]
        if offset < 0 or offset + t > self.max_positions:
            raise ValueError(
                f"positions {offset}..{offset + t - 1} fall outside the learned table of "
                f"{self.max_positions}: a learned encoding cannot extrapolate; "
                "build it with more max_positions"
            )
        positions = torch.arange(offset, offset + t, device=x.device)  # (T,)
        return x + self.table(positions)  # (B, T, C) broadcast over the batch
