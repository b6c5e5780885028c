"""Graph Attention Network (GAT) layer, multi-head.

Paper: Velickovic, Cucurull, Casanova, Romero, Lio, Bengio (2018), "Graph Attention Networks",
arXiv:1710.10903.
Instead of fixed degree weights, each node learns how much to listen to each neighbour: a small
attention score per edge, softmax-normalised over the neighbourhood, with several heads in parallel.

Per head (Velickovic et al. eqs. 1-4)::

    e_ij     = LeakyReLU(a_src . W x_j + a_dst . W x_i)          # eq. 1 with a = [a_dst || a_src]
    alpha_ij = softmax_{j in N(i) + {i}} e_ij                     # eq. 2-3
    x_i'     = sum_j alpha_ij W x_j                               # eq. 4

Each head k has its own W^k and a^k (eq. 5); the H matrices W^k are stacked into one linear map.
Heads are concatenated (hidden layers, eq. 5) or averaged (output layer, eq. 6); a bias follows.
The nonlinearity sigma of eqs. 4-6 is left to the model (ELU between layers), as in PyG's GATConv.
Shape legend: N nodes, E edges, F features, H heads, D features per head.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mlatlas.gnn.adjacency_matrix import add_self_loops
from mlatlas.gnn.message_passing import aggregate, check_graph, segment_softmax
from mlatlas.gnn.sparse_features import feature_dropout, linear


@dataclass
class GATConfig:
    in_features: int
    out_features: int  # D, per head
    heads: int = 1  # H
    concat: bool = True  # concatenate heads to (N, H * D), else average to (N, D)
    negative_slope: float = 0.2
    dropout: float = 0.0  # on the attention coefficients, as in the paper
    bias: bool = True


class GATLayer(nn.Module):
    """One multi-head GAT layer on an edge list (self-loops added, as in the paper)."""

    def __init__(self, config: GATConfig):
        super().__init__()
        self.config = config
        h, d = config.heads, config.out_features
        self.lin = nn.Linear(config.in_features, h * d, bias=False)  # the H per-head W^k, stacked
        self.att_src = nn.Parameter(torch.empty(h, d))  # a_src, the half of a that sees x_j
        self.att_dst = nn.Parameter(torch.empty(h, d))  # a_dst, the half of a that sees x_i
        self.bias = nn.Parameter(torch.zeros(h * d if config.concat else d)) if config.bias else None
        nn.init.xavier_uniform_(self.lin.weight)
        nn.init.xavier_uniform_(self.att_src)
        nn.init.xavier_uniform_(self.att_dst)

    def forward(self, x: Tensor, edge_index: Tensor, return_attention: bool = False):
        """x: (N, F), edge_index: (2, E) -> (N, H*D) or (N, D); optionally also (edges, alpha (E', H))."""
        check_graph(x, edge_index)
        n, h, d = x.shape[0], self.config.heads, self.config.out_features
        wx = linear(x, self.lin.weight).view(n, h, d)  # W x (x dense or sparse), (N, H, D)
        score_src = (wx * self.att_src).sum(-1)  # a_src . W x_j, (N, H)
        score_dst = (wx * self.att_dst).sum(-1)  # a_dst . W x_i, (N, H)
        edge_index = add_self_loops(edge_index, n)  # every node attends to itself, (2, E')
        source, target = edge_index
        e = score_src.index_select(0, source) + score_dst.index_select(0, target)  # (E', H)
        e = nn.functional.leaky_relu(e, self.config.negative_slope)  # eq. 1
        alpha = segment_softmax(e, target, n)  # eqs. 2-3, (E', H)
        alpha = nn.functional.dropout(alpha, self.config.dropout, self.training)
        messages = wx.index_select(0, source) * alpha.unsqueeze(-1)  # alpha_ij W x_j, (E', H, D)
        out = aggregate(messages, target, n, "sum")  # eq. 4, (N, H, D)
        out = out.reshape(n, h * d) if self.config.concat else out.mean(dim=1)  # eq. 5 or eq. 6
        if self.bias is not None:
            out = out + self.bias
        return (out, (edge_index, alpha)) if return_attention else out


@dataclass
class GATModelConfig:
    in_features: int
    hidden_features: int  # per head
    num_classes: int
    heads: int = 8
    dropout: float = 0.6


class GAT(nn.Module):
    """The paper's transductive model: 8 concatenated heads, ELU, then one averaged output head."""

    def __init__(self, config: GATModelConfig):
        super().__init__()
        self.config = config
        p = config.dropout
        self.conv1 = GATLayer(GATConfig(config.in_features, config.hidden_features, config.heads, dropout=p))
        width = config.hidden_features * config.heads
        self.conv2 = GATLayer(GATConfig(width, config.num_classes, heads=1, concat=False, dropout=p))

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        p = self.config.dropout
        x = feature_dropout(x, p, self.training)  # only the stored entries if x is sparse
        x = nn.functional.elu(self.conv1(x, edge_index))  # (N, H * hidden)
        x = nn.functional.dropout(x, p, self.training)
        return self.conv2(x, edge_index)  # (N, classes)
