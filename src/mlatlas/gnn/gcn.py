"""Graph Convolutional Network (GCN) layer.

Paper: Kipf, Welling (2017), "Semi-Supervised Classification with Graph Convolutional Networks",
arXiv:1609.02907.
Each node averages its neighbours' (and its own) linearly transformed features, weighted by
1 / sqrt(d_i d_j); stacking two such layers gives a strong semi-supervised node classifier.

Layer (Kipf & Welling eq. 2, with the renormalisation trick of section 2.2)::

    H' = D~^-1/2 A~ D~^-1/2 H W + b,   A~ = A + I,   D~_ii = sum_j A~_ij

Edge-list form: x_i' = sum_{j in N(i) + {i}} x_j W / sqrt(d~_i d~_j) + b, with d~ the in-degree
after adding one self-loop per node. Shape legend: N nodes, E edges, F features.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mlatlas.gnn.adjacency_matrix import add_self_loops, normalized_adjacency
from mlatlas.gnn.message_passing import aggregate, check_graph
from mlatlas.gnn.sparse_features import feature_dropout, linear


def gcn_norm(edge_index: Tensor, num_nodes: int, dtype: torch.dtype = torch.float64) -> tuple[Tensor, Tensor]:
    """Edges of A~ = A + I and their weights 1 / sqrt(d~_j d~_i); returns ((2, E'), (E',))."""
    edge_index = add_self_loops(edge_index, num_nodes)  # A~ = A + I
    source, target = edge_index
    deg = torch.bincount(target, minlength=num_nodes).to(dtype)  # d~_i >= 1 thanks to the loop
    deg_inv_sqrt = deg.rsqrt()
    return edge_index, deg_inv_sqrt[source] * deg_inv_sqrt[target]  # 1 / sqrt(d~_j d~_i)


@dataclass
class GCNConfig:
    in_features: int
    out_features: int
    bias: bool = True


class GCNLayer(nn.Module):
    """One GCN layer on an edge list: transform, then propagate with symmetric normalisation."""

    def __init__(self, config: GCNConfig):
        super().__init__()
        self.config = config
        self.lin = nn.Linear(config.in_features, config.out_features, bias=False)  # W
        self.bias = nn.Parameter(torch.zeros(config.out_features)) if config.bias else None

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        """x: (N, F_in) dense or sparse COO, edge_index: (2, E) -> (N, F_out)."""
        check_graph(x, edge_index)
        n = x.shape[0]
        h = linear(x, self.lin.weight)  # H W first: cheaper when F_out < F_in, (N, F_out)
        edge_index, norm = gcn_norm(edge_index, n, dtype=h.dtype)  # (2, E'), (E',)
        messages = h.index_select(0, edge_index[0]) * norm[:, None]  # x_j W / sqrt(d~_i d~_j), (E', F_out)
        out = aggregate(messages, edge_index[1], n, "sum")  # sum over N(i) + {i}, (N, F_out)
        return out if self.bias is None else out + self.bias

    def forward_dense(self, x: Tensor, a: Tensor) -> Tensor:
        """The same layer with a dense adjacency a (N, N), a[u, v] = #edges u -> v: the readable path."""
        a_hat = normalized_adjacency(a.T.to(x.dtype), kind="sym", self_loops=True)  # rows are targets
        out = a_hat @ self.lin(x)  # D~^-1/2 A~ D~^-1/2 H W, (N, F_out)
        return out if self.bias is None else out + self.bias


@dataclass
class GCNModelConfig:
    in_features: int
    hidden_features: int
    num_classes: int
    dropout: float = 0.5


class GCN(nn.Module):
    """The paper's two-layer node classifier: softmax(A^ ReLU(A^ X W0) W1) (eq. 9), logits out."""

    def __init__(self, config: GCNModelConfig):
        super().__init__()
        self.config = config
        self.conv1 = GCNLayer(GCNConfig(config.in_features, config.hidden_features))
        self.conv2 = GCNLayer(GCNConfig(config.hidden_features, config.num_classes))

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        p = self.config.dropout
        x = feature_dropout(x, p, self.training)  # only the stored entries if x is sparse
        x = torch.relu(self.conv1(x, edge_index))  # (N, hidden)
        x = nn.functional.dropout(x, p, self.training)
        return self.conv2(x, edge_index)  # (N, classes)
