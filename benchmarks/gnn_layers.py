"""GCN, GAT and GraphSAGE training steps: ours vs PyTorch Geometric on a Cora-sized graph.

Run by hand (not a test):  .venv/bin/python benchmarks/gnn_layers.py [--repeats 30] [--threads 1]
(On a shared machine use --threads 1: with two threads, spin-waiting makes medians meaningless.)

The graph is generated (no download): 2,708 nodes, 5,278 random undirected pairs stored in both
directions (10,556 edges), 1,433 binary bag-of-words-like features (~1.3% ones), 7 classes, as in
Cora. Each model is the two-layer node classifier of its paper; one step is zero_grad, forward,
cross-entropy on 140 labelled nodes, backward, Adam step. The two implementations run alternately
in the same process, so machine load hits both; we print the median time per step and the ratio
ours / PyG (< 1 means ours is faster).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn
from torch_geometric.nn import GATConv, GCNConv, SAGEConv

from mlatlas.gnn.gat import GAT, GATModelConfig
from mlatlas.gnn.gcn import GCN, GCNModelConfig
from mlatlas.gnn.graphsage import GraphSAGE, SAGEModelConfig
from mlatlas.gnn.sparse_features import to_sparse_features

N, PAIRS, F, CLASSES, LABELLED = 2708, 5278, 1433, 7, 140


def cora_sized_graph(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    pairs = torch.randint(0, N, (2, PAIRS * 2), generator=g)
    pairs = pairs[:, pairs[0] != pairs[1]][:, :PAIRS]  # no self-loops
    edge_index = torch.cat([pairs, pairs.flip(0)], dim=1)  # (2, 10556)
    x = (torch.rand(N, F, generator=g) < 0.0127).float()  # (N, F) sparse binary features
    y = torch.randint(0, CLASSES, (N,), generator=g)
    mask = torch.zeros(N, dtype=torch.bool)
    mask[:LABELLED] = True
    return x, edge_index, y, mask


class PygGCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = GCNConv(F, 16), GCNConv(16, CLASSES)

    def forward(self, x, edge_index):
        x = nn.functional.dropout(x, 0.5, self.training)
        x = torch.relu(self.conv1(x, edge_index))
        x = nn.functional.dropout(x, 0.5, self.training)
        return self.conv2(x, edge_index)


class PygGAT(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = GATConv(F, 8, heads=8, dropout=0.6)
        self.conv2 = GATConv(64, CLASSES, heads=1, concat=False, dropout=0.6)

    def forward(self, x, edge_index):
        x = nn.functional.dropout(x, 0.6, self.training)
        x = nn.functional.elu(self.conv1(x, edge_index))
        x = nn.functional.dropout(x, 0.6, self.training)
        return self.conv2(x, edge_index)


class PygSAGE(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = SAGEConv(F, 16), SAGEConv(16, CLASSES)

    def forward(self, x, edge_index):
        x = nn.functional.dropout(x, 0.5, self.training)
        x = torch.relu(self.conv1(x, edge_index))
        x = nn.functional.dropout(x, 0.5, self.training)
        return self.conv2(x, edge_index)


def make_step(model, data):
    x, edge_index, y, mask = data
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    model.train()

    def step():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x, edge_index)[mask], y[mask])
        loss.backward()
        opt.step()

    return step


def time_alternating(steps, repeats: int, warmup: int = 3):
    """Per-step times of each callable, run round-robin so that load spikes hit all of them."""
    for _ in range(warmup):
        for step in steps:
            step()
    times = [[] for _ in steps]
    for _ in range(repeats):
        for step, t in zip(steps, times):
            t0 = time.perf_counter()
            step()
            t.append(time.perf_counter() - t0)
    return times


def summary(t):
    q = statistics.quantiles(t, n=4)
    return statistics.median(t), q[2] - q[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    data = cora_sized_graph()
    print(
        f"Cora-sized graph: N={N}, E={data[1].shape[1]}, F={F}; torch {torch.__version__}, "
        f"{args.threads} thread(s), {args.repeats} alternating repeats, median (and IQR) per training step"
    )
    models = {
        "GCN": (GCN(GCNModelConfig(F, 16, CLASSES)), PygGCN()),
        "GAT": (GAT(GATModelConfig(F, 8, CLASSES, heads=8)), PygGAT()),
        "SAGE": (GraphSAGE(SAGEModelConfig(F, 16, CLASSES)), PygSAGE()),
    }
    sparse_data = (to_sparse_features(data[0]), *data[1:])  # same numbers, stored as COO
    print("'ours' takes the same dense x as PyG; 'ours-sparse' the same features stored sparse (COO).")
    for name, (ours, theirs) in models.items():
        steps = [make_step(theirs, data), make_step(ours, data), make_step(ours, sparse_data)]
        (m_pyg, q_pyg), (m_dense, q_dense), (m_sparse, q_sparse) = map(
            summary, time_alternating(steps, args.repeats)
        )
        print(
            f"{name:5s} PyG {m_pyg * 1e3:7.2f} ms (IQR {q_pyg * 1e3:6.2f})  "
            f"ours {m_dense * 1e3:7.2f} ms (IQR {q_dense * 1e3:6.2f})  "
            f"ours-sparse {m_sparse * 1e3:7.2f} ms (IQR {q_sparse * 1e3:6.2f})  "
            f"ratio ours/PyG {m_dense / m_pyg:.2f}x, ours-sparse/PyG {m_sparse / m_pyg:.2f}x"
        )


if __name__ == "__main__":
    main()
