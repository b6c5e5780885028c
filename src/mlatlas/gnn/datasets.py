"""Small graphs for the GNN book: Zachary's karate club and a stochastic block model.

Papers: Zachary (1977), "An Information Flow Model for Conflict and Fission in Small Groups",
J. Anthropological Research 33(4); Holland, Laskey, Leinhardt (1983), "Stochastic blockmodels:
First steps", Social Networks 5(2).
The karate club is stored here as data (tests check it against networkx's copy); the block model
is generated from an explicit torch.Generator so every figure and test sees the same graph.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

# The 78 friendships of Zachary's club (undirected, each pair once, u < v).
KARATE_EDGES = (
    (0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (0, 6), (0, 7), (0, 8), (0, 10), (0, 11), (0, 12), (0, 13),
    (0, 17), (0, 19), (0, 21), (0, 31), (1, 2), (1, 3), (1, 7), (1, 13), (1, 17), (1, 19), (1, 21),
    (1, 30), (2, 3), (2, 7), (2, 8), (2, 9), (2, 13), (2, 27), (2, 28), (2, 32), (3, 7), (3, 12),
    (3, 13), (4, 6), (4, 10), (5, 6), (5, 10), (5, 16), (6, 16), (8, 30), (8, 32), (8, 33), (9, 33),
    (13, 33), (14, 32), (14, 33), (15, 32), (15, 33), (18, 32), (18, 33), (19, 33), (20, 32), (20, 33),
    (22, 32), (22, 33), (23, 25), (23, 27), (23, 29), (23, 32), (23, 33), (24, 25), (24, 27), (24, 31),
    (25, 31), (26, 29), (26, 33), (27, 33), (28, 31), (28, 33), (29, 32), (29, 33), (30, 32), (30, 33),
    (31, 32), (31, 33), (32, 33),
)  # fmt: skip
# The club each member joined after the split: 0 = Mr. Hi (node 0), 1 = the Officer (node 33).
KARATE_CLUB = (
    0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
)  # fmt: skip


class Graph(NamedTuple):
    """A graph as plain tensors: features x (N, F), edge_index (2, E) both directions, labels y (N,)."""

    x: Tensor
    edge_index: Tensor
    y: Tensor


def undirected_edge_index(pairs: Tensor) -> Tensor:
    """(P, 2) unordered pairs -> (2, 2P) edge_index holding both directions j->i and i->j."""
    pairs = pairs.t()  # (2, P)
    return torch.cat([pairs, pairs.flip(0)], dim=1)  # (2, E)


def karate_club(dtype: torch.dtype = torch.float64) -> Graph:
    """Zachary's karate club: 34 nodes, 156 directed edges, one-hot identity features, club labels."""
    edge_index = undirected_edge_index(torch.tensor(KARATE_EDGES, dtype=torch.long))
    x = torch.eye(34, dtype=dtype)  # (N, N): no features beyond identity
    return Graph(x, edge_index, torch.tensor(KARATE_CLUB, dtype=torch.long))


def stochastic_block_model(
    sizes: tuple[int, ...],
    p_in: float,
    p_out: float,
    generator: torch.Generator,
    num_features: int = 16,
    feature_noise: float = 1.0,
    dtype: torch.dtype = torch.float64,
    means: Tensor | None = None,
) -> Graph:
    """A planted-partition graph whose node features are noisy hints of the block.

    Each pair in the same block is linked with probability ``p_in``, across blocks ``p_out``.
    Node features are ``mu_{y_i} + feature_noise * eps_i`` with one random unit mean per block, so a
    classifier that ignores the graph only sees the noisy hint. Pass ``means`` (K, F) to reuse the
    block means of another graph (e.g. to test a trained model on a new graph of the same kind).
    """
    if not sizes or min(sizes) < 1:
        raise ValueError(f"sizes must list at least one block of at least one node, got {sizes}")
    if not (0.0 <= p_out <= 1.0 and 0.0 <= p_in <= 1.0):
        raise ValueError(f"p_in and p_out are probabilities in [0, 1], got {p_in}, {p_out}")
    y = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))  # (N,)
    n = y.numel()
    same = y[:, None] == y[None, :]  # (N, N)
    prob = torch.where(same, torch.tensor(p_in), torch.tensor(p_out)).to(torch.float64)
    coin = torch.rand((n, n), generator=generator, dtype=torch.float64)  # (N, N)
    upper = torch.triu((coin < prob), diagonal=1)  # each unordered pair once, no self-loops
    edge_index = undirected_edge_index(upper.nonzero())  # (2, E)
    if means is None:
        means = torch.randn((len(sizes), num_features), generator=generator, dtype=dtype)
        means = means / means.norm(dim=1, keepdim=True)  # unit block means, (K, F)
    if means.shape != (len(sizes), num_features):
        raise ValueError(f"means must have shape ({len(sizes)}, {num_features}), got {tuple(means.shape)}")
    noise = torch.randn((n, num_features), generator=generator, dtype=dtype)
    x = means[y] + feature_noise * noise  # (N, F)
    return Graph(x, edge_index, y)


class GraphBatch(NamedTuple):
    """Many graphs as one disjoint union: x (N, F), edge_index (2, E), batch (N,) graph ids, y (G,)."""

    x: Tensor
    edge_index: Tensor
    batch: Tensor
    y: Tensor


def extra_edge_graphs(
    num_graphs: int, num_nodes: int, generator: torch.Generator, max_extra: int = 6, threshold: int = 3
) -> GraphBatch:
    """Connected graphs without node features; the label says whether there are >= threshold extra edges.

    Each graph is a random tree on ``num_nodes`` nodes (node k joins a uniformly chosen earlier node)
    plus m ~ Uniform{0..max_extra} extra distinct edges; y = [m >= threshold]. Every graph has the same
    number of nodes and no isolated node, so only the *counts* of neighbours carry the label.
    """
    if num_nodes < 3 or max_extra > (num_nodes - 1) * (num_nodes - 2) // 2:
        raise ValueError("need num_nodes >= 3 and room for max_extra edges beyond the tree")
    edges, batch, labels = [], [], []
    for g in range(num_graphs):
        offset = g * num_nodes
        parents = [int(torch.randint(0, k, (1,), generator=generator)) for k in range(1, num_nodes)]
        present = {(p, k) for k, p in zip(range(1, num_nodes), parents)}  # (smaller, larger) pairs
        m = int(torch.randint(0, max_extra + 1, (1,), generator=generator))
        while len(present) < num_nodes - 1 + m:
            i, j = sorted(torch.randperm(num_nodes, generator=generator)[:2].tolist())
            present.add((i, j))
        edges.extend((i + offset, j + offset) for i, j in sorted(present))
        batch.extend([g] * num_nodes)
        labels.append(int(m >= threshold))
    edge_index = undirected_edge_index(torch.tensor(edges, dtype=torch.long))
    x = torch.ones(num_graphs * num_nodes, 1, dtype=torch.float64)  # no features at all
    return GraphBatch(x, edge_index, torch.tensor(batch), torch.tensor(labels))
