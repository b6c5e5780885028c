"""Why attention needs positions: without them it cannot tell one word order from another.

Paper: Vaswani et al. (2017), "Attention Is All You Need", arXiv:1706.03762, section 3.5; survey:
Philipp Dufter, Martin Schmitt, Hinrich Schütze (2022), "Position Information in Transformers: An
Overview", arXiv:2102.11090.

Self-attention treats its input as a set: permute the tokens and the outputs are permuted the same
way (equivariance), so any order-blind summary of them is unchanged. This module measures that.

Shapes: B batch, T sequence, C model width.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor


def equivariance_error(layer: Callable[[Tensor], Tensor], x: Tensor, perm: Tensor) -> float:
    """``max |layer(x[:, perm]) - layer(x)[:, perm]|``: zero iff the layer is permutation-equivariant on x.

    x (B, T, C); perm a permutation of range(T).
    """
    if sorted(perm.tolist()) != list(range(x.shape[1])):
        raise ValueError(f"perm must be a permutation of range({x.shape[1]}); got {perm.tolist()}")
    with torch.no_grad():
        return (layer(x[:, perm]) - layer(x)[:, perm]).abs().max().item()


def with_positions(layer: Callable[[Tensor], Tensor], pe: Tensor) -> Callable[[Tensor], Tensor]:
    """The layer applied after adding an absolute positional encoding pe (T, C): ``layer(x + pe)``.

    Position p's vector goes to whatever token sits at p, so shuffling tokens changes what each sees.
    """
    return lambda x: layer(x + pe[: x.shape[1]])
