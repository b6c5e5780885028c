"""Sparse node features: dropout on the stored entries only, and sparse-times-dense linear maps.

Paper: Kipf, Welling (2017), "Semi-Supervised Classification with Graph Convolutional Networks",
arXiv:1609.02907 (section 3.3: Cora's features are sparse bag-of-words, and dropout is applied to them).
Bag-of-words features are ~99% zeros; dropping a zero changes nothing, so dropout only needs random
numbers for the nonzero values, and (with sparse storage) X W only needs to touch them too.

Features may be a dense (N, F) tensor or a sparse COO (N, F) tensor; the functions dispatch on that.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def to_sparse_features(x: Tensor) -> Tensor:
    """Dense (N, F) -> coalesced sparse COO (N, F) holding only the nonzero entries."""
    return x.to_sparse().coalesce()


def feature_dropout(x: Tensor, p: float, training: bool) -> Tensor:
    """Inverted dropout, x * mask / (1 - p) with mask ~ Bernoulli(1 - p), drawing random numbers only
    where x is nonzero.

    Sparse x: only the stored values are touched. Dense x that needs no gradient (input features):
    the nonzeros are found first, which on bag-of-words features skips ~99% of the random numbers
    that ``torch.nn.functional.dropout`` would draw. Dense x inside the network: plain dropout.
    """
    if not training or p == 0.0:
        return x
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    scale = 1.0 / (1.0 - p)
    if x.is_sparse:
        x = x.coalesce()
        values = x.values()  # (nnz,)
        keep = torch.rand(values.shape, dtype=values.dtype, device=values.device) >= p  # P(keep) = 1 - p
        # Same indices as a valid coalesced x, so the invariant checks can be skipped safely.
        return torch.sparse_coo_tensor(
            x.indices(), values * keep * scale, x.shape, is_coalesced=True, check_invariants=False
        )
    if x.requires_grad:
        return nn.functional.dropout(x, p, training)
    flat = x.reshape(-1)
    where = flat.nonzero().squeeze(1)  # positions of the nonzeros, (nnz,)
    values = flat.index_select(0, where)
    keep = torch.rand(values.shape, dtype=values.dtype, device=values.device) >= p  # P(keep) = 1 - p
    return torch.zeros_like(flat).index_copy_(0, where, values * keep * scale).view_as(x)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x W^T + b for dense or sparse x (N, F_in) and weight (F_out, F_in) -> dense (N, F_out)."""
    out = torch.sparse.mm(x, weight.T) if x.is_sparse else x @ weight.T  # (N, F_out)
    return out if bias is None else out + bias
