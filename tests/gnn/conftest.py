"""Small graphs shared by the GNN tests: awkward cases on purpose (loops, isolated nodes, multi-edges)."""

import pytest
import torch

from mlatlas.gnn.datasets import karate_club


def awkward_graph(seed: int, num_nodes: int = 9, num_edges: int = 20, features: int = 5) -> tuple:
    """A directed graph with self-loops, a repeated edge and two isolated nodes (the last two)."""
    g = torch.Generator().manual_seed(seed)
    live = num_nodes - 2  # nodes num_nodes-2 and num_nodes-1 have no edges at all
    edges = torch.randint(0, live, (2, num_edges), generator=g)
    extra = torch.tensor([[0, 0, 1, 1, 3], [0, 0, 2, 2, 3]])  # double loop at 0, double edge 1->2, loop at 3
    edge_index = torch.cat([edges, extra], dim=1)
    x = torch.randn(num_nodes, features, generator=g, dtype=torch.float64)
    return x, edge_index


def karate_graph(features: int = 5) -> tuple:
    """The karate club's edges with random float64 features."""
    x = torch.randn(34, features, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    return x, karate_club().edge_index


@pytest.fixture(params=["awkward0", "awkward1", "awkward2", "karate"])
def graph(request):
    """(x (N, F) float64, edge_index (2, E)): three awkward random graphs and the karate club."""
    if request.param == "karate":
        return karate_graph()
    return awkward_graph(int(request.param[-1]))


@pytest.fixture(autouse=True)
def one_thread():
    """These graphs are tiny: one intra-op thread avoids spin-waiting on a shared 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
