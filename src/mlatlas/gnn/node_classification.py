"""Semi-supervised node classification: train on a few labelled nodes, predict the rest.

Paper: Kipf, Welling (2017), "Semi-Supervised Classification with Graph Convolutional Networks",
arXiv:1609.02907 (section 3: cross-entropy on the labelled nodes only, Adam, dropout, weight decay).
The loss sees a handful of labels, but every forward pass sees the whole graph, so the labels
spread along edges; this is what the GCN, GAT and GraphSAGE chapters' accuracy numbers come from.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import torch
from torch import Tensor, nn

from mlatlas.gnn.datasets import Graph, karate_club, stochastic_block_model
from mlatlas.gnn.gat import GAT, GATModelConfig
from mlatlas.gnn.gcn import GCN, GCNModelConfig
from mlatlas.gnn.graphsage import GraphSAGE, SAGEModelConfig


class TrainResult(NamedTuple):
    losses: tuple[float, ...]  # training loss per epoch
    train_accuracy: float
    test_accuracy: float  # on the nodes whose labels were hidden
    predictions: Tensor  # (N,)


def train_node_classifier(
    model: nn.Module,
    graph: Graph,
    train_mask: Tensor,
    epochs: int = 200,
    lr: float = 0.01,
    weight_decay: float = 5e-4,
) -> TrainResult:
    """Full-batch training with Adam on the cross-entropy of the nodes in ``train_mask`` (N,) bool."""
    if train_mask.dtype != torch.bool or train_mask.shape != graph.y.shape:
        raise ValueError("train_mask must be a bool tensor with one entry per node")
    if not bool(train_mask.any()):
        raise ValueError("train_mask selects no node: label at least one node per class")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    losses = []
    for _ in range(epochs):
        model.train()
        optimizer.zero_grad()
        logits = model(graph.x, graph.edge_index)  # (N, classes)
        loss = nn.functional.cross_entropy(logits[train_mask], graph.y[train_mask])  # labelled nodes only
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        pred = model(graph.x, graph.edge_index).argmax(dim=1)  # (N,)
    correct = pred == graph.y
    test = ~train_mask
    test_accuracy = correct[test].double().mean().item() if bool(test.any()) else float("nan")
    return TrainResult(tuple(losses), correct[train_mask].double().mean().item(), test_accuracy, pred)


def _model(kind: str, in_features: int, num_classes: int, hidden: int) -> nn.Module:
    if kind == "gcn":
        return GCN(GCNModelConfig(in_features, hidden, num_classes))
    if kind == "gat":
        return GAT(GATModelConfig(in_features, hidden, num_classes, heads=4))
    if kind == "sage":
        return GraphSAGE(SAGEModelConfig(in_features, hidden, num_classes))
    if kind == "mlp":  # the graph-blind baseline: a GCN on a graph with no edges is an MLP up to self-loops
        return GCN(GCNModelConfig(in_features, hidden, num_classes))
    raise ValueError(f"kind must be 'gcn', 'gat', 'sage' or 'mlp', got {kind!r}")


@lru_cache(maxsize=64)  # the chapters' figures and seed_summary ask for the same seeded runs
def karate_experiment(kind: str = "gcn", seed: int = 0, epochs: int = 100) -> TrainResult:
    """Label only the two leaders (nodes 0 and 33); predict which club the other 32 members join."""
    graph = karate_club()
    train_mask = torch.zeros(34, dtype=torch.bool)
    train_mask[[0, 33]] = True
    with torch.random.fork_rng():  # seeded weights and dropout without touching the caller's RNG
        torch.manual_seed(seed)
        model = _model(kind, 34, 2, hidden=16).double()
        return train_node_classifier(model, graph, train_mask, epochs=epochs)


def sbm_graph(seed: int = 0) -> Graph:
    """Three blocks of 60 nodes; features are a weak hint of the block (noise 1.5 on unit means)."""
    generator = torch.Generator().manual_seed(seed)
    return stochastic_block_model((60, 60, 60), 0.1, 0.01, generator, num_features=16, feature_noise=1.5)


@lru_cache(maxsize=64)
def sbm_experiment(
    kind: str = "gcn", seed: int = 0, labels_per_class: int = 5, epochs: int = 100
) -> TrainResult:
    """Classify SBM blocks from a few labels; kind="mlp" trains the same model with the edges removed."""
    graph = sbm_graph(seed)
    train_mask = torch.zeros(graph.y.numel(), dtype=torch.bool)
    for c in range(int(graph.y.max()) + 1):
        train_mask[(graph.y == c).nonzero().flatten()[:labels_per_class]] = True
    if kind == "mlp":
        graph = graph._replace(edge_index=torch.empty((2, 0), dtype=torch.long))
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = _model(kind, graph.x.shape[1], 3, hidden=16).double()
        return train_node_classifier(model, graph, train_mask, epochs=epochs)


def seed_summary(seeds: int = 5) -> dict[str, float]:
    """Accuracy over seeds 0..seeds-1 for every model on both tasks, as the chapters quote it.

    Keys are ``<task>_<kind>_<stat>`` with task ``karate`` (kinds gcn, gat, sage) or ``sbm``
    (kinds mlp, gcn, gat, sage) and stat ``mean``, ``min`` or ``max``; values are fractions.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny graphs: extra threads only spin-wait on a busy machine
    out: dict[str, float] = {}
    try:
        runs = [("karate", k, karate_experiment) for k in ("gcn", "gat", "sage")]
        runs += [("sbm", k, sbm_experiment) for k in ("mlp", "gcn", "gat", "sage")]
        for task, kind, experiment in runs:
            acc = [experiment(kind, seed=s).test_accuracy for s in range(seeds)]
            out[f"{task}_{kind}_mean"] = sum(acc) / len(acc)
            out[f"{task}_{kind}_min"], out[f"{task}_{kind}_max"] = min(acc), max(acc)
    finally:
        torch.set_num_threads(threads)
    return out


def demo(seeds: int = 5) -> None:
    """Print the accuracies the chapters quote, as mean [min, max] over seeds (`mlatlas run gcn`).

    With two labels, which members dropout hides in the first epochs changes the outcome, so a
    single seed is an anecdote; the chapters quote these averages (computed by ``seed_summary``).
    """
    summary = seed_summary(seeds)
    for task, kinds, who in (
        ("karate", ("gcn", "gat", "sage"), "2 labels -> {} of the other 32 members"),
        ("sbm", ("mlp", "gcn", "gat", "sage"), "15 labels -> {} of the other 165 nodes"),
    ):
        name = "karate club" if task == "karate" else "block model"
        for kind in kinds:
            m, lo, hi = (summary[f"{task}_{kind}_{stat}"] for stat in ("mean", "min", "max"))
            print(f"{name}, {kind:4s}: " + who.format(f"{m:.1%} [{lo:.1%}, {hi:.1%}] over {seeds} seeds"))
