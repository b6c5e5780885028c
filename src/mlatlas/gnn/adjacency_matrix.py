"""The adjacency matrix: a graph as a matrix, its degrees, and its normalised forms.

Paper: Kipf, Welling (2017), "Semi-Supervised Classification with Graph Convolutional Networks",
arXiv:1609.02907 (the renormalisation trick D^-1/2 (A + I) D^-1/2, section 2.2).
An edge list and a dense matrix hold the same graph; multiplying by A sums neighbour features, and
normalising A by degrees turns that sum into an average that does not grow with node degree.

Convention (networkx's): ``A[u, v]`` counts the edges u -> v. Messages flow along edges, so a node
receives ``(A^T X)_i = sum_{j -> i} x_j``; for an undirected graph A is symmetric and this is A X.
"""

from __future__ import annotations

import torch
from torch import Tensor


def adjacency_matrix(
    edge_index: Tensor, num_nodes: int, edge_weight: Tensor | None = None, dtype: torch.dtype = torch.float64
) -> Tensor:
    """Dense (N, N) adjacency with ``A[u, v] = sum of weights of edges u -> v`` (multi-edges add up)."""
    if num_nodes < 1:
        raise ValueError(f"num_nodes must be at least 1, got {num_nodes}")
    if edge_index.dtype != torch.long or edge_index.dim() != 2 or edge_index.shape[0] != 2:
        raise ValueError("edge_index must be a (2, E) tensor of dtype torch.long")
    if edge_index.numel() and (int(edge_index.min()) < 0 or int(edge_index.max()) >= num_nodes):
        raise ValueError(f"edge_index refers to node {int(edge_index.max())}, but num_nodes is {num_nodes}")
    if edge_weight is None:
        edge_weight = torch.ones(edge_index.shape[1], dtype=dtype)
    a = torch.zeros(num_nodes * num_nodes, dtype=dtype)
    a.index_add_(0, edge_index[0] * num_nodes + edge_index[1], edge_weight.to(dtype))  # A[u, v] += w
    return a.view(num_nodes, num_nodes)  # (N, N)


def edge_index_from_adjacency(a: Tensor) -> Tensor:
    """The (2, E) edge list of the nonzero entries of a dense adjacency (weights dropped)."""
    return a.nonzero().t().contiguous()  # (2, E)


def degree(edge_index: Tensor, num_nodes: int, dtype: torch.dtype = torch.float64) -> Tensor:
    """In-degree d_i = number of edges j -> i, shape (N,). Equals the degree for undirected graphs."""
    return torch.bincount(edge_index[1], minlength=num_nodes).to(dtype)


def remove_self_loops(edge_index: Tensor) -> Tensor:
    """Drop every edge i -> i."""
    return edge_index[:, edge_index[0] != edge_index[1]]


def add_self_loops(edge_index: Tensor, num_nodes: int) -> Tensor:
    """Remove existing self-loops, then add exactly one loop i -> i per node (the "+ I" in A + I)."""
    loops = torch.arange(num_nodes, device=edge_index.device).repeat(2, 1)  # (2, N)
    return torch.cat([remove_self_loops(edge_index), loops], dim=1)  # (2, E')


def normalized_adjacency(a: Tensor, kind: str = "sym", self_loops: bool = True) -> Tensor:
    """Degree-normalised adjacency of a dense (N, N) matrix.

    ``sym``: D^-1/2 A D^-1/2 (Kipf & Welling eq. 8 with self_loops=True: A~ = A + I, D~_ii = sum_j A~_ij);
    ``rw``:  D^-1 A, each row an average (a random-walk transition matrix).
    Degrees are row sums; a node of degree 0 gets a zero row rather than a division by zero.
    With ``self_loops`` the diagonal is first set to 1 (existing loops are replaced, not doubled).
    """
    if kind not in ("sym", "rw"):
        raise ValueError(f"kind must be 'sym' or 'rw', got {kind!r}")
    if self_loops:
        a = a.clone()
        a.fill_diagonal_(1.0)  # A~ = A + I
    d = a.sum(dim=1)  # D_ii = sum_j A_ij, (N,)
    if kind == "rw":
        d_inv = torch.where(d > 0, 1.0 / d, torch.zeros_like(d))
        return d_inv[:, None] * a  # D^-1 A
    d_inv_sqrt = torch.where(d > 0, d.rsqrt(), torch.zeros_like(d))
    return d_inv_sqrt[:, None] * a * d_inv_sqrt[None, :]  # D^-1/2 A D^-1/2
