"""Figures for the graphsage chapter."""

from __future__ import annotations

import torch

from mlatlas.gnn.datasets import stochastic_block_model
from mlatlas.gnn.figures.drawing import one_thread
from mlatlas.gnn.graphsage import GraphSAGE, SAGEModelConfig
from mlatlas.gnn.node_classification import train_node_classifier
from mlatlas.plotting import PALETTE, new_figure

BLOCK_SIZES = (20, 60, 200, 600)  # nodes per block in the unseen graphs
DEGREE_IN, DEGREE_OUT = 10.0, 1.0  # expected friends inside / outside the block, kept at every size


def block_model(size: int, means: torch.Tensor, seed: int):
    p_in, p_out = DEGREE_IN / size, DEGREE_OUT / (2 * size)
    gen = torch.Generator().manual_seed(seed)
    return stochastic_block_model((size,) * 3, p_in, p_out, gen, 16, feature_noise=1.0, means=means)


def transfer_accuracies() -> tuple[list[float], float]:
    """Train once on a 180-node block model (15 labels), then score every node of new graphs.

    Returns the accuracy on each unseen graph (3 * BLOCK_SIZES nodes) and the accuracy on the
    training graph's unlabelled nodes. Seeded: the chapter quotes these numbers.
    """
    g = torch.Generator().manual_seed(0)
    means = torch.randn(3, 16, generator=g, dtype=torch.float64)
    means = means / means.norm(dim=1, keepdim=True)  # the three blocks' feature hints, shared by all graphs
    train = block_model(60, means, seed=1)
    mask = torch.zeros(train.y.numel(), dtype=torch.bool)
    mask[::12] = True  # 15 labelled nodes, 5 per block
    accuracy = []
    with one_thread(), torch.random.fork_rng():
        torch.manual_seed(0)
        model = GraphSAGE(SAGEModelConfig(16, 16, 3)).double()
        result = train_node_classifier(model, train, mask, epochs=100)
        model.eval()
        with torch.no_grad():
            for size in BLOCK_SIZES:
                new = block_model(size, means, seed=100 + size)
                accuracy.append((model(new.x, new.edge_index).argmax(1) == new.y).double().mean().item())
    return accuracy, result.test_accuracy


def inductive_transfer():
    """Train once on a 180-node block model, then classify every node of new graphs up to 1,800 nodes."""
    accuracy, train_accuracy = transfer_accuracies()
    fig, ax = new_figure(width=6.0, height=3.2)
    n = [3 * s for s in BLOCK_SIZES]
    ax.plot(n, accuracy, "o-", color=PALETTE[2], label="new graphs, same weights")
    for x, a in zip(n, accuracy):
        ax.annotate(f"{a:.0%}", (x, a), textcoords="offset points", xytext=(0, 7), ha="center")
    ax.axhline(
        train_accuracy, ls="--", color=PALETTE[0], label="unlabelled nodes of the training graph"
    )
    ax.axhline(1 / 3, ls=":", color=PALETTE[3], label="chance")
    ax.set_xscale("log")
    ax.set_xlabel("nodes in the graph (trained on 180)")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.05)
    ax.legend(loc="lower right")
    return fig
