"""Graph classification with GIN: sum aggregation learns what mean and max cannot see.

Paper: Xu, Hu, Leskovec, Jegelka (2019), "How Powerful are Graph Neural Networks?",
arXiv:1810.00826 (section 5 and Figure 2: sum captures the full multiset, mean its distribution,
max only its underlying set).
The task gives every node the same feature and asks whether a connected graph of fixed size has
many extra edges beyond a spanning tree: a question about neighbour *counts*, visible to a sum only.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from mlatlas.gnn.datasets import extra_edge_graphs
from mlatlas.gnn.gin import GIN, GINModelConfig


class GraphTaskResult(NamedTuple):
    reduce: str
    train_accuracy: float
    test_accuracy: float


def train_gin(reduce: str = "sum", seed: int = 0, epochs: int = 150, lr: float = 0.01) -> GraphTaskResult:
    """Train a 2-layer GIN with the given aggregation on 200 graphs of 10 nodes, test on 200 more."""
    train = extra_edge_graphs(200, 10, torch.Generator().manual_seed(1000 + seed))
    test = extra_edge_graphs(200, 10, torch.Generator().manual_seed(2000 + seed))
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = GIN(GINModelConfig(1, 16, 2, 2, reduce=reduce)).double()
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        for _ in range(epochs):  # full batch: all 200 graphs as one disjoint union
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(train.x, train.edge_index, train.batch), train.y)
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        acc = [
            (model(d.x, d.edge_index, d.batch).argmax(1) == d.y).double().mean().item() for d in (train, test)
        ]
    return GraphTaskResult(reduce, acc[0], acc[1])


def seed_summary(seeds: int = 3) -> dict[str, float]:
    """Mean test accuracy over seeds 0..seeds-1 for each aggregation (keys ``sum``, ``mean``, ``max``)
    and the mean majority-label rate of the same test sets (``majority``), as the GIN chapter quotes."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small graphs: extra threads only spin-wait on a busy machine
    try:
        out = {
            r: sum(train_gin(r, seed=s).test_accuracy for s in range(seeds)) / seeds
            for r in ("sum", "mean", "max")
        }
    finally:
        torch.set_num_threads(threads)
    rates = []
    for s in range(seeds):
        y = extra_edge_graphs(200, 10, torch.Generator().manual_seed(2000 + s)).y.double().mean().item()
        rates.append(max(y, 1 - y))
    out["majority"] = sum(rates) / seeds
    return out


def demo(seeds: int = 3) -> None:
    """Test accuracy of sum / mean / max GINs on the extra-edges task (`mlatlas run gin`)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small graphs: extra threads only spin-wait on a busy machine
    try:
        for reduce in ("sum", "mean", "max"):
            acc = [train_gin(reduce, seed=s).test_accuracy for s in range(seeds)]
            print(
                f"GIN-{reduce:4s}: test accuracy {sum(acc) / len(acc):.1%} [{min(acc):.1%}, {max(acc):.1%}]"
            )
    finally:
        torch.set_num_threads(threads)
