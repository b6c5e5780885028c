"""Figures for the message-passing chapter."""

from __future__ import annotations

import torch

from mlatlas.gnn.adjacency_matrix import add_self_loops
from mlatlas.gnn.datasets import karate_club
from mlatlas.gnn.figures.drawing import draw_graph, layout
from mlatlas.gnn.message_passing import propagate
from mlatlas.plotting import new_figure

ROUNDS = (0, 1, 2, 4)


def signal_spreading():
    """Two leaders hold +1 and -1; each round every member averages itself and its friends."""
    g = karate_club()
    edges = add_self_loops(g.edge_index, 34)  # each node keeps its own value in the average
    x = torch.zeros(34, 1, dtype=torch.float64)
    x[0], x[33] = 1.0, -1.0
    states = {0: x}
    for k in range(1, max(ROUNDS) + 1):
        x = propagate(x, edges, reduce="mean")  # x_i <- mean_{j in N(i) + {i}} x_j
        states[k] = x
    pos = layout(g.edge_index, 34)
    fig, axes = new_figure(1, len(ROUNDS), width=10.0, height=2.9)
    for ax, k in zip(axes, ROUNDS):
        v = states[k][:, 0].numpy()
        scale = max(abs(v).max(), 1e-12)
        draw_graph(ax, pos, g.edge_index, v, size=40, cmap="coolwarm_r", vmin=-scale, vmax=scale)
        reached = int((states[k][:, 0] != 0).sum())
        ax.set_title(f"after {k} round{'s' if k != 1 else ''}: {reached}/34 reached")
    return fig
