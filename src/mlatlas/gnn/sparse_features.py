"""Sparse node features: dropout on the stored entries only, and sparse-times-dense linear maps.

Paper: Kipf, Welling (2017), "Semi-Supervised Classification with Graph Convolutional Networks",
arXiv:1609.02907 (section 3.3: Cora's features are sparse bag-of-words, and dropout is applied to them).
Bag-of-words features are ~99% zeros; dropping a zero changes nothing, so dropout only needs random
numbers for the stored values, and X W only needs to touch them. Same maths, ~1% of the work.

Features may be a dense (N, F) tensor or a sparse COO (N, F) tensor; the functions dispatch on that.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def to_sparse_features(x: Tensor) -> Tensor:
    """Dense (N, F) -> coalesced sparse COO (N, F) holding only the nonzero entries."""
    return x.to_sparse().coalesce()


def feature_dropout(x: Tensor, p: float, training: bool) -> Tensor:
    """Inverted dropout, x * mask / (1 - p), with mask ~ Bernoulli(1 - p) drawn only where x is stored."""
    if not training or p == 0.0 or not x.is_sparse:
        return nn.functional.dropout(x, p, training)
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    x = x.coalesce()
    values = x.values()  # (nnz,)
    keep = torch.rand(values.shape, dtype=values.dtype, device=values.device) >= p  # P(keep) = 1 - p
    # Same indices as a valid coalesced x, so the invariant checks can be skipped safely.
    return torch.sparse_coo_tensor(
        x.indices(), values * keep / (1.0 - p), x.shape, is_coalesced=True, check_invariants=False
    )


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x W^T + b for dense or sparse x (N, F_in) and weight (F_out, F_in) -> dense (N, F_out)."""
    out = torch.sparse.mm(x, weight.T) if x.is_sparse else x @ weight.T  # (N, F_out)
    return out if bias is None else out + bias
