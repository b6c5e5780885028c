"""Figures for the gat chapter."""

from __future__ import annotations

import torch

from mlatlas.gnn.datasets import karate_club
from mlatlas.gnn.figures.drawing import draw_graph, layout, one_thread
from mlatlas.gnn.gat import GAT, GATModelConfig
from mlatlas.gnn.node_classification import train_node_classifier
from mlatlas.plotting import PALETTE, new_figure


def karate_attention():
    """Edge width = attention (mean over 4 heads) that a trained GAT's first layer puts on each edge."""
    g = karate_club()
    mask = torch.zeros(34, dtype=torch.bool)
    mask[[0, 33]] = True
    with one_thread(), torch.random.fork_rng():
        torch.manual_seed(0)
        model = GAT(GATModelConfig(34, 16, 2, heads=4)).double()
        result = train_node_classifier(model, g, mask, epochs=100)
        with torch.no_grad():
            _, (edges, alpha) = model.conv1(g.x, g.edge_index, return_attention=True)
    keep = edges[0] != edges[1]  # draw the friendships; self-loops are the rest of the budget
    weight = alpha.mean(dim=1)[keep].numpy()  # (E,), mean over heads
    self_weight = alpha.mean(dim=1)[~keep].numpy()  # (N,)
    fig, (left, right) = new_figure(1, 2, width=9.0, height=3.6, gridspec_kw={"width_ratios": [1.5, 1]})
    pos = layout(g.edge_index, 34)
    draw_graph(
        left,
        pos,
        edges[:, keep],
        [PALETTE[int(c)] for c in result.predictions],
        edge_width=0.3 + 6 * weight,
        edge_alpha=0.5,
    )
    wrong = (result.predictions != g.y).nonzero().flatten().numpy()
    left.scatter(pos[wrong, 0], pos[wrong, 1], s=220, facecolors="none", edgecolors=PALETTE[3], linewidths=2)
    left.set_title(f"attention per edge; ringed: {len(wrong)} of 32 mispredicted")
    degree = torch.bincount(g.edge_index[1], minlength=34).numpy()
    right.scatter(degree, self_weight, s=18, label=r"learned $\alpha_{ii}$")
    right.plot(
        sorted(set(degree)),
        [1 / (d + 1) for d in sorted(set(degree))],
        color=PALETTE[1],
        label="uniform 1/(d+1)",
    )
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("degree")
    right.set_ylabel("attention a node pays itself")
    right.legend()
    return fig
