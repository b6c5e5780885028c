"""Figures for the gcn chapter."""

from __future__ import annotations

import numpy as np

from mlatlas.gnn.datasets import karate_club
from mlatlas.gnn.figures.drawing import draw_graph, layout, one_thread
from mlatlas.gnn.node_classification import karate_experiment, sbm_experiment
from mlatlas.plotting import PALETTE, new_figure


def karate_and_block_model():
    """Left: GCN predictions on the karate club from two labels. Right: GCN vs MLP on a block model."""
    with one_thread():
        karate = karate_experiment("gcn", seed=0)
        accuracies = {kind: sbm_experiment(kind, seed=0).test_accuracy for kind in ("mlp", "gcn")}
    g = karate_club()
    pred, y = karate.predictions.numpy(), g.y.numpy()
    pos = layout(g.edge_index, 34)
    fig, (left, right) = new_figure(1, 2, width=9.0, height=3.6, gridspec_kw={"width_ratios": [1.5, 1]})
    draw_graph(left, pos, g.edge_index, [PALETTE[c] for c in pred])
    wrong = np.flatnonzero(pred != y)
    left.scatter(pos[[0, 33], 0], pos[[0, 33], 1], s=260, marker="*", c=[PALETTE[0], PALETTE[1]], zorder=3)
    left.scatter(pos[wrong, 0], pos[wrong, 1], s=220, facecolors="none", edgecolors=PALETTE[3], linewidths=2)
    left.set_title(f"karate: 2 labels (stars), {int((pred == y).sum()) - 2}/32 others right")
    names = {"mlp": "MLP (no edges)", "gcn": "GCN"}
    bars = right.bar(
        [names[k] for k in accuracies], list(accuracies.values()), color=[PALETTE[7], PALETTE[0]]
    )
    right.bar_label(bars, labels=[f"{a:.1%}" for a in accuracies.values()])
    right.axhline(1 / 3, ls="--", lw=1, color=PALETTE[3], label="chance")
    right.legend(loc="upper left")
    right.set_ylim(0, 1)
    right.set_ylabel("test accuracy")
    right.set_title("block model, 5 labels per block")
    return fig
