"""Looped transformers: one block, applied again and again with the same weights.

Papers: Mostafa Dehghani, Stephan Gouws, Oriol Vinyals, Jakob Uszkoreit, Łukasz Kaiser (2018),
"Universal Transformers", arXiv:1807.03819; Zhenzhong Lan et al. (2019), "ALBERT", arXiv:1909.11942;
Angeliki Giannou, Shashank Rajput, Jy-yong Sohn, Kangwook Lee, Jason D. Lee, Dimitris Papailiopoulos
(2023), "Looped Transformers as Programmable Computers", arXiv:2301.13196; Liu Yang, Kangwook Lee,
Robert Nowak, Dimitris Papailiopoulos (2023), "Looped Transformers are Better at Learning Learning
Algorithms", arXiv:2311.12424.

A standard L-layer transformer has L different blocks; a looped one has a single block f and computes
h_{l+1} = f(h_l) (optionally f(h_l + x), "input injection") L times. Depth, compute and the shape of
the computation stay the same; the parameter count drops by a factor L, and the loop count can be
changed at inference time, like the iteration count of an algorithm.

Shapes: B batch, T sequence, C width.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from mlatlas.transformers.vit import EncoderBlock


@dataclass
class LoopedConfig:
    width: int = 32  # C
    num_heads: int = 4
    num_loops: int = 6  # L: how many times the shared block is applied
    mlp_ratio: float = 4.0
    input_injection: bool = False  # add the input x back before every loop (Yang et al. 2023)


class LoopedTransformer(nn.Module):
    """h₀ = x;  h_{l+1} = f(h_l [+ x]) for l = 0 … L−1, with one block f shared by every step."""

    def __init__(self, config: LoopedConfig):
        super().__init__()
        self.config = config
        self.block = EncoderBlock(config.width, config.num_heads, config.mlp_ratio)  # the only weights
        self.norm = nn.LayerNorm(config.width)

    def forward(self, x: torch.Tensor, num_loops: int | None = None, return_all: bool = False):
        """x (B, T, C) → LN(h_L) (B, T, C); ``num_loops`` overrides L at inference time.

        With ``return_all`` also returns the list [h₀, …, h_L] (before the final norm).
        """
        loops = self.config.num_loops if num_loops is None else num_loops
        if loops < 0:
            raise ValueError(f"num_loops must be >= 0; got {loops}")
        h, states = x, [x]
        for _ in range(loops):
            h = self.block(h + x if self.config.input_injection else h)  # the same f every time
            states.append(h)
        out = self.norm(h)
        return (out, states) if return_all else out


class UnrolledTransformer(nn.Module):
    """The same computation with L *separate* blocks: the standard, untied transformer."""

    def __init__(self, blocks: list[nn.Module], norm: nn.Module, input_injection: bool = False):
        super().__init__()
        self.blocks = nn.ModuleList(blocks)
        self.norm = norm
        self.input_injection = input_injection

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        for block in self.blocks:
            h = block(h + x if self.input_injection else h)
        return self.norm(h)


def unroll(model: LoopedTransformer) -> UnrolledTransformer:
    """L independent copies of the shared block: equal outputs today, free to diverge under training."""
    blocks = [copy.deepcopy(model.block) for _ in range(model.config.num_loops)]
    return UnrolledTransformer(blocks, copy.deepcopy(model.norm), model.config.input_injection)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def block_parameters(width: int, mlp_ratio: float = 4.0) -> int:
    """Parameters of one pre-LN block, by hand: 4 attention projections, a 2-layer MLP and 2 LayerNorms.

    4(C² + C) + (C·hC + hC) + (hC·C + C) + 4C with h = mlp_ratio — about 12C² for h = 4.
    """
    hidden = int(mlp_ratio * width)
    attention = 4 * (width * width + width)
    mlp = width * hidden + hidden + hidden * width + width
    norms = 2 * 2 * width
    return attention + mlp + norms
