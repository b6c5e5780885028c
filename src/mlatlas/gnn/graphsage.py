"""GraphSAGE layer with mean aggregation.

Paper: Hamilton, Ying, Leskovec (2017), "Inductive Representation Learning on Large Graphs",
arXiv:1706.02216.
A node keeps its own features on a separate weight and adds the average of its neighbours'; since
nothing depends on the node ids, the same weights apply to nodes and graphs never seen in training.

Layer (Hamilton et al. Algorithm 1, lines 4-5, with concatenation written as a sum of two linears)::

    x_i' = W_self x_i + W_neigh mean_{j in N(i)} x_j + b,      then optionally x_i' / ||x_i'||_2

No self-loops are added; a node without neighbours gets W_self x_i + b.
Shape legend: N nodes, E edges, F features.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mlatlas.gnn.message_passing import aggregate, check_graph
from mlatlas.gnn.sparse_features import feature_dropout, linear


@dataclass
class SAGEConfig:
    in_features: int
    out_features: int
    normalize: bool = False  # L2-normalise each output row (Algorithm 1, line 7)
    bias: bool = True


class SAGELayer(nn.Module):
    """GraphSAGE-mean on an edge list."""

    def __init__(self, config: SAGEConfig):
        super().__init__()
        self.config = config
        self.lin_neigh = nn.Linear(config.in_features, config.out_features, bias=config.bias)  # W_neigh, b
        self.lin_self = nn.Linear(config.in_features, config.out_features, bias=False)  # W_self

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        """x: (N, F_in), edge_index: (2, E) -> (N, F_out)."""
        check_graph(x, edge_index)
        # The mean is linear, so W_neigh mean_j x_j = mean_j W_neigh x_j: transform first, then
        # aggregate F_out columns instead of F_in (the paper aggregates first; the result is the same).
        weight = torch.cat([self.lin_neigh.weight, self.lin_self.weight], dim=0)  # (2 F_out, F_in)
        h_neigh, h_self = linear(x, weight).chunk(2, dim=1)  # W_neigh x, W_self x: (N, F_out) each
        m = aggregate(h_neigh.index_select(0, edge_index[0]), edge_index[1], x.shape[0], "mean")  # (N, F_out)
        out = h_self + m  # W_self x_i + W_neigh mean_j x_j
        if self.lin_neigh.bias is not None:
            out = out + self.lin_neigh.bias
        if self.config.normalize:
            out = nn.functional.normalize(out, p=2.0, dim=-1)  # x_i' / ||x_i'||_2
        return out


@dataclass
class SAGEModelConfig:
    in_features: int
    hidden_features: int
    num_classes: int
    dropout: float = 0.5


class GraphSAGE(nn.Module):
    """Two SAGE-mean layers with ReLU: a node classifier that also works on unseen graphs."""

    def __init__(self, config: SAGEModelConfig):
        super().__init__()
        self.config = config
        self.conv1 = SAGELayer(SAGEConfig(config.in_features, config.hidden_features))
        self.conv2 = SAGELayer(SAGEConfig(config.hidden_features, config.num_classes))

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        p = self.config.dropout
        x = feature_dropout(x, p, self.training)  # only the stored entries if x is sparse
        x = torch.relu(self.conv1(x, edge_index))  # (N, hidden)
        x = nn.functional.dropout(x, p, self.training)
        return self.conv2(x, edge_index)  # (N, classes)
