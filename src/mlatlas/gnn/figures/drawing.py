"""Shared helpers for the GNN book's figures: node positions, drawing a graph, a single-thread guard."""

from __future__ import annotations

import contextlib

import networkx as nx
import numpy as np
import torch
from matplotlib.collections import LineCollection

from mlatlas.plotting import INK


def layout(edge_index: torch.Tensor, num_nodes: int, seed: int = 3) -> np.ndarray:
    """Deterministic force-directed positions (N, 2) for drawing (networkx's spring layout)."""
    g = nx.Graph()
    g.add_nodes_from(range(num_nodes))
    g.add_edges_from(edge_index.t().tolist())
    pos = nx.spring_layout(g, seed=seed)
    return np.array([pos[i] for i in range(num_nodes)])


def draw_graph(ax, pos, edge_index, node_color, size=60, edge_width=None, edge_alpha=0.35, **scatter_kw):
    """Edges as lines (optionally with per-edge widths), nodes as a scatter coloured by node_color."""
    e = edge_index.t().numpy()
    segments = np.stack([pos[e[:, 0]], pos[e[:, 1]]], axis=1)  # (E, 2, 2)
    widths = 0.8 if edge_width is None else edge_width
    ax.add_collection(LineCollection(segments, colors=INK, linewidths=widths, alpha=edge_alpha, zorder=1))
    sc = ax.scatter(
        pos[:, 0], pos[:, 1], c=node_color, s=size, zorder=2, edgecolors=INK, linewidths=0.5, **scatter_kw
    )
    ax.set_aspect("equal")
    ax.axis("off")
    return sc


@contextlib.contextmanager
def one_thread():
    """Tiny models train faster on one intra-op thread (no spin-waiting on a busy machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
