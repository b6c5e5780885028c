"""Graph Isomorphism Network (GIN) layer and a GIN graph classifier.

Paper: Xu, Hu, Leskovec, Jegelka (2019), "How Powerful are Graph Neural Networks?",
arXiv:1810.00826.
A message-passing layer is at most as discriminative as the 1-WL test, and reaches it when its
aggregation is injective on multisets: sum (not mean or max) followed by an MLP does exactly that.

Layer (Xu et al. eq. 4.1)::

    x_i' = MLP( (1 + eps) x_i + sum_{j in N(i)} x_j )

Graph readout (eq. 4.2): concatenate sum_i x_i^(k) over layers k = 0..K. The ``reduce`` option
swaps the sum for mean or max so the page can show what those lose (Xu et al. section 5).
Shape legend: N nodes, E edges, F features.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mlatlas.gnn.message_passing import aggregate, check_graph, propagate


@dataclass
class GINConfig:
    in_features: int
    hidden_features: int
    out_features: int
    train_eps: bool = False
    eps: float = 0.0
    reduce: str = "sum"  # "sum" is GIN; "mean" / "max" are the paper's weaker ablations


class GINLayer(nn.Module):
    """One GIN layer whose update is a two-layer MLP, Linear -> ReLU -> Linear."""

    def __init__(self, config: GINConfig):
        super().__init__()
        self.config = config
        self.mlp = nn.Sequential(
            nn.Linear(config.in_features, config.hidden_features),
            nn.ReLU(),
            nn.Linear(config.hidden_features, config.out_features),
        )
        eps = torch.tensor([config.eps])
        self.eps = nn.Parameter(eps) if config.train_eps else nn.Buffer(eps)

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        """x: (N, F_in), edge_index: (2, E) -> (N, F_out)."""
        check_graph(x, edge_index)
        m = propagate(x, edge_index, reduce=self.config.reduce)  # sum_{j in N(i)} x_j, (N, F_in)
        return self.mlp((1 + self.eps.to(x.dtype)) * x + m)  # MLP((1 + eps) x_i + m_i), (N, F_out)


@dataclass
class GINModelConfig:
    in_features: int
    hidden_features: int
    num_layers: int
    num_classes: int
    reduce: str = "sum"


class GIN(nn.Module):
    """Stacked GIN layers and a readout that sums nodes at every depth (eq. 4.2), then a linear head."""

    def __init__(self, config: GINModelConfig):
        super().__init__()
        self.config = config
        widths = [config.in_features] + [config.hidden_features] * config.num_layers
        self.layers = nn.ModuleList(
            GINLayer(GINConfig(f_in, config.hidden_features, f_out, reduce=config.reduce))
            for f_in, f_out in zip(widths[:-1], widths[1:])
        )
        self.head = nn.Linear(sum(widths), config.num_classes)

    def embed(self, x: Tensor, edge_index: Tensor, batch: Tensor | None = None) -> Tensor:
        """Graph embeddings: concat_k sum_{i in G} x_i^(k).

        One graph: returns (F_in + K * hidden,). A batch of graphs stored as one disjoint union, with
        ``batch`` (N,) giving each node's graph id: returns (num_graphs, F_in + K * hidden).
        """
        if batch is None:
            pool = lambda h: h.sum(dim=0)  # noqa: E731
        else:
            num_graphs = int(batch.max()) + 1
            pool = lambda h: aggregate(h, batch, num_graphs, "sum")  # noqa: E731  (G, F)
        readouts = [pool(x)]  # layer 0 too
        for layer in self.layers:
            x = torch.relu(layer(x, edge_index))  # (N, hidden)
            readouts.append(pool(x))  # sum pooling keeps multiset sizes
        return torch.cat(readouts, dim=-1)

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor | None = None) -> Tensor:
        return self.head(self.embed(x, edge_index, batch))  # (classes,) or (G, classes)
