"""The gather-aggregate-update core: dense identities, PyG's scatter softmax, permutation equivariance."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_geometric.utils import softmax as pyg_softmax

from mlatlas.gnn.adjacency_matrix import adjacency_matrix
from mlatlas.gnn.gat import GATConfig, GATLayer
from mlatlas.gnn.gcn import GCNConfig, GCNLayer
from mlatlas.gnn.gin import GINConfig, GINLayer
from mlatlas.gnn.graphsage import SAGEConfig, SAGELayer
from mlatlas.gnn.message_passing import aggregate, check_graph, propagate, segment_softmax
from mlatlas.verification import verifies

TOL = 1e-10  # float64


@verifies(
    "message-passing",
    against="dense adjacency product",
    tol=TOL,
    note="float64: sum = A^T X, mean = D^-1 A^T X, max = masked dense max, on awkward graphs",
)
def test_aggregations_equal_their_dense_forms(graph):
    x, edge_index = graph
    n = x.shape[0]
    a = adjacency_matrix(edge_index, n)  # a[j, i] = number of edges j -> i
    summed = a.T @ x
    torch.testing.assert_close(propagate(x, edge_index, reduce="sum"), summed, rtol=TOL, atol=TOL)
    indeg = a.sum(dim=0).clamp(min=1)
    torch.testing.assert_close(
        propagate(x, edge_index, reduce="mean"), summed / indeg[:, None], rtol=TOL, atol=TOL
    )
    masked = torch.where(a.T[:, :, None] > 0, x[None, :, :], torch.tensor(float("-inf"), dtype=x.dtype))
    dense_max = masked.amax(dim=1)  # (N, F); -inf where no neighbour
    dense_max = torch.where(torch.isinf(dense_max), torch.zeros_like(dense_max), dense_max)
    torch.testing.assert_close(propagate(x, edge_index, reduce="max"), dense_max, rtol=TOL, atol=TOL)


def test_custom_message_sees_source_and_target(graph):
    x, edge_index = graph
    out = propagate(x, edge_index, message=lambda x_j, x_i: x_j - x_i)
    a = adjacency_matrix(edge_index, x.shape[0])
    expected = a.T @ x - a.sum(dim=0)[:, None] * x  # sum_j (x_j - x_i)
    torch.testing.assert_close(out, expected, rtol=TOL, atol=TOL)


@verifies("message-passing", against="torch_geometric.utils.softmax", tol=TOL, note="float64, 3 heads")
def test_segment_softmax_matches_pyg(graph):
    x, edge_index = graph
    scores = torch.randn(
        edge_index.shape[1], 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1)
    )
    ours = segment_softmax(scores, edge_index[1], x.shape[0])
    torch.testing.assert_close(
        ours, pyg_softmax(scores, edge_index[1], num_nodes=x.shape[0]), rtol=TOL, atol=TOL
    )


def test_segment_softmax_is_stable_for_huge_scores():
    scores = torch.tensor([1000.0, 1001.0, -1000.0], dtype=torch.float64)
    out = segment_softmax(scores, torch.tensor([0, 0, 1]), 2)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out[2], torch.tensor(1.0, dtype=torch.float64))


def layers(f):
    with torch.random.fork_rng():
        torch.manual_seed(0)  # fixed weights, without touching the global RNG at import time
        return {
            "propagate-sum": lambda x, e: propagate(x, e, reduce="sum"),
            "propagate-mean": lambda x, e: propagate(x, e, reduce="mean"),
            "propagate-max": lambda x, e: propagate(x, e, reduce="max"),
            "gcn": GCNLayer(GCNConfig(f, 3)).double(),
            "gat": GATLayer(GATConfig(f, 2, heads=2)).double(),
            "sage": SAGELayer(SAGEConfig(f, 3, normalize=True)).double(),
            "gin": GINLayer(GINConfig(f, 4, 3, eps=0.1)).double(),
        }


LAYERS = layers(3)


@st.composite
def graphs_and_permutations(draw):
    n = draw(st.integers(1, 8))
    e = draw(st.integers(0, 16))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=e, max_size=e))
    perm = draw(st.permutations(range(n)))
    seed = draw(st.integers(0, 2**16))
    return n, edges, perm, seed


@settings(max_examples=25, deadline=None, derandomize=True)
@given(graphs_and_permutations())
@verifies(
    "message-passing",
    against="permutation equivariance property",
    tol=TOL,
    note="Hypothesis, 25 graphs of 1-8 nodes (loops, multi-edges, isolated nodes) x 7 layers: "
    "relabelling the nodes permutes the output rows",
)
def test_every_layer_is_permutation_equivariant(case):
    n, edges, perm, seed = case
    x = torch.randn(n, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    edge_index = torch.tensor(edges, dtype=torch.long).reshape(-1, 2).t()
    perm = torch.tensor(perm)  # new node k is old node perm[k]
    inverse = torch.argsort(perm)  # old node i is new node inverse[i]
    with torch.no_grad():
        for name, layer in LAYERS.items():
            out = layer(x, edge_index)
            relabelled = layer(x[perm], inverse[edge_index])
            torch.testing.assert_close(relabelled, out[perm], rtol=TOL, atol=TOL, msg=name)


def test_isolated_nodes_receive_zeros_under_every_reduction():
    x = torch.randn(3, 2, dtype=torch.float64)
    edge_index = torch.tensor([[0], [1]])  # node 2 is isolated, node 0 only sends
    for reduce in ("sum", "mean", "max"):
        out = aggregate(x[edge_index[0]], edge_index[1], 3, reduce)
        assert out[2].abs().sum() == 0 and out[0].abs().sum() == 0


@pytest.mark.parametrize(
    "x,edge_index,match",
    [
        (torch.ones(3, 2), torch.tensor([[0, 3], [1, 1]]), "has node 3 but x has only 3 rows"),
        (torch.ones(3, 2), torch.tensor([[0, -2], [1, 1]]), "negative node id -2"),
        (torch.ones(3, 2), torch.tensor([[0, 1], [1, 1]], dtype=torch.int32), "dtype torch.long"),
        (torch.ones(3, 2), torch.tensor([[0.0, 1.0], [1.0, 1.0]]), "dtype torch.long"),
        (torch.ones(3, 2), torch.tensor([[0, 1], [1, 2], [2, 0]]), "shape \\(2, E\\)"),
        (torch.ones(3, 2), torch.tensor([0, 1]), "shape \\(2, E\\)"),
        (torch.ones(0, 2), torch.empty((2, 0), dtype=torch.long), "empty graph"),
        (torch.ones(3, 2, dtype=torch.long), torch.tensor([[0], [1]]), "floating point"),
        (torch.ones(3), torch.tensor([[0], [1]]), "shape \\(N, F\\)"),
    ],
)
def test_bad_graphs_raise_clear_errors(x, edge_index, match):
    with pytest.raises(ValueError, match=match):
        check_graph(x, edge_index)
    with pytest.raises(ValueError, match=match):
        propagate(x, edge_index)


def test_unknown_reduction_is_rejected():
    with pytest.raises(ValueError, match="reduce must be one of"):
        propagate(torch.ones(2, 1), torch.tensor([[0], [1]]), reduce="median")


def test_graph_without_edges_is_fine():
    out = propagate(torch.ones(4, 2), torch.empty((2, 0), dtype=torch.long))
    torch.testing.assert_close(out, torch.zeros(4, 2))


def test_the_spreading_counts_the_caption_quotes():
    """Caption of the signal-spreading figure: the leaders have 16 and 17 friends (29 different
    people, 4 shared); after one round of mean aggregation with self-loops the shared friends
    receive +1 and -1 in equal parts and stay at 0, so 27 = 2 + 25 members carry a signal; after two
    rounds all 34 do, and the signs match the club each member joined for 32 of them."""
    from mlatlas.gnn.adjacency_matrix import add_self_loops
    from mlatlas.gnn.datasets import karate_club
    from mlatlas.gnn.message_passing import propagate

    g = karate_club()
    src, dst = g.edge_index
    friends = [set(src[dst == leader].tolist()) for leader in (0, 33)]
    assert [len(f) for f in friends] == [16, 17]
    assert len(friends[0] | friends[1]) == 29 and len(friends[0] & friends[1]) == 4
    edges = add_self_loops(g.edge_index, 34)
    x = torch.zeros(34, 1, dtype=torch.float64)
    x[0], x[33] = 1.0, -1.0
    after_one = propagate(x, edges, reduce="mean")
    after_two = propagate(after_one, edges, reduce="mean")
    assert int((after_one[:, 0] != 0).sum()) == 27
    assert after_one[sorted(friends[0] & friends[1]), 0].tolist() == [0.0] * 4  # +1 and -1 cancel
    assert int((after_two[:, 0] != 0).sum()) == 34
    # "the colours already follow the split for 32 of the 34": the sign (positive = member 0's club)
    assert int(((after_two[:, 0] < 0).long() == g.y).sum()) == 32
