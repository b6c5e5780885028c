"""Message passing: gather from neighbours, aggregate, update.

Paper: Gilmer, Schoenholz, Riley, Vinyals, Dahl (2017), "Neural Message Passing for Quantum
Chemistry", arXiv:1704.01212.
Every layer in this book is one round of the same loop: each edge j -> i carries a message built
from the source x_j (and the target x_i), each node sums/averages/maxes what arrives, then updates.

A graph is two plain tensors: node features ``x`` of shape (N, F) and an ``edge_index`` of shape
(2, E) whose column ``(j, i)`` is an edge from source j to target i. An undirected graph stores
both directions. Shape legend: N nodes, E edges, F features, H heads, D head width.

Round k of message passing (Gilmer et al. 2017, eqs. 1-2)::

    m_i = AGG_{j in N(i)} phi(x_i, x_j)        # message + aggregate
    x_i' = gamma(x_i, m_i)                     # update

Gilmer et al.'s AGG is a sum (their message also sees the edge features e_ij, which we omit); we
also allow a mean or a max, as later layers (GraphSAGE) do.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

REDUCTIONS = ("sum", "mean", "max")


def check_graph(x: Tensor, edge_index: Tensor) -> None:
    """Raise a ValueError that says what to fix if ``(x, edge_index)`` is not a valid graph.

    ``x``: (N, F) floating point, N >= 1. ``edge_index``: (2, E) int64 with every entry in [0, N).
    """
    if not isinstance(x, Tensor) or not isinstance(edge_index, Tensor):
        raise ValueError("x and edge_index must be torch tensors")
    if x.dim() != 2:
        raise ValueError(f"x must have shape (N, F), got {tuple(x.shape)}; use x.unsqueeze(-1) for 1 feature")
    if x.shape[0] == 0:
        raise ValueError("empty graph: x has 0 rows; a graph needs at least one node")
    if not x.is_floating_point():
        raise ValueError(f"x must be a floating point tensor, got {x.dtype}; convert it with x.float()")
    if edge_index.dtype != torch.long:
        raise ValueError(f"edge_index must have dtype torch.long, got {edge_index.dtype}; use .long()")
    if edge_index.dim() != 2 or edge_index.shape[0] != 2:
        raise ValueError(
            f"edge_index must have shape (2, E), got {tuple(edge_index.shape)}; "
            "if you have a list of (source, target) pairs, transpose it with .t()"
        )
    n = x.shape[0]
    if edge_index.numel() > 0:
        lo, hi = int(edge_index.min()), int(edge_index.max())
        if lo < 0:
            raise ValueError(f"edge_index has negative node id {lo}; node ids run from 0 to N-1")
        if hi >= n:
            raise ValueError(f"edge_index has node {hi} but x has only {n} rows; ids run from 0 to {n - 1}")


def gather(x: Tensor, edge_index: Tensor) -> tuple[Tensor, Tensor]:
    """Per-edge copies of the source and target features: ``(x_j, x_i)``, each (E, *F)."""
    source, target = edge_index
    return x.index_select(0, source), x.index_select(0, target)  # (E, *F), (E, *F)


def aggregate(messages: Tensor, target: Tensor, num_nodes: int, reduce: str = "sum") -> Tensor:
    """Combine the messages (E, *F) arriving at each target node into (N, *F).

    ``sum``: m_i = sum_j m_ij; ``mean``: divide by the in-degree; ``max``: elementwise maximum.
    A node with no incoming edge receives zeros under every reduction.
    """
    if reduce not in REDUCTIONS:
        raise ValueError(f"reduce must be one of {REDUCTIONS}, got {reduce!r}")
    out = messages.new_zeros((num_nodes, *messages.shape[1:]))  # (N, *F)
    if reduce == "max":
        index = target.view(-1, *([1] * (messages.dim() - 1))).expand_as(messages)  # (E, *F)
        return out.scatter_reduce(0, index, messages, reduce="amax", include_self=False)
    out = out.index_add(0, target, messages)  # sum_j m_ij
    if reduce == "mean":
        count = torch.bincount(target, minlength=num_nodes).clamp_(min=1)  # in-degree, (N,)
        out = out / count.view(-1, *([1] * (messages.dim() - 1))).to(out.dtype)
    return out


def segment_softmax(scores: Tensor, target: Tensor, num_nodes: int) -> Tensor:
    """Softmax of per-edge ``scores`` (E, *H) over the edges that share a target node.

    alpha_ij = exp(s_ij) / sum_{k in N(i)} exp(s_ik), computed after subtracting each group's max.
    """
    index = target.view(-1, *([1] * (scores.dim() - 1))).expand_as(scores)  # (E, *H)
    group_max = scores.new_full((num_nodes, *scores.shape[1:]), float("-inf"))
    group_max = group_max.scatter_reduce(0, index, scores.detach(), reduce="amax")  # (N, *H)
    exp = (scores - group_max.index_select(0, target)).exp()  # shift for stability, (E, *H)
    denom = exp.new_zeros(group_max.shape).index_add(0, target, exp)  # (N, *H)
    return exp / denom.index_select(0, target)


def propagate(
    x: Tensor,
    edge_index: Tensor,
    message: Callable[[Tensor, Tensor], Tensor] | None = None,
    reduce: str = "sum",
) -> Tensor:
    """One round of gather -> message -> aggregate; the caller applies its own update.

    x: (N, F), edge_index: (2, E). ``message(x_j, x_i)`` maps per-edge features (E, F) to per-edge
    messages (E, *F_message) (default: ``x_j``). Returns m of shape (N, *F_message).
    """
    check_graph(x, edge_index)
    if message is None:
        m_ij = x.index_select(0, edge_index[0])  # phi = x_j: skip gathering x_i, (E, *F)
    else:
        x_j, x_i = gather(x, edge_index)  # (E, *F)
        m_ij = message(x_j, x_i)  # phi(x_i, x_j)
    return aggregate(m_ij, edge_index[1], x.shape[0], reduce)  # AGG_j m_ij, (N, *F)
