"""Adjacency, degree and normalised adjacency against networkx; our karate club against networkx's."""

import networkx as nx
import numpy as np
import pytest
import torch

from mlatlas.gnn.adjacency_matrix import (
    add_self_loops,
    adjacency_matrix,
    degree,
    edge_index_from_adjacency,
    normalized_adjacency,
    remove_self_loops,
)
from mlatlas.gnn.datasets import KARATE_CLUB, karate_club
from mlatlas.verification import verifies

TOL = 1e-12  # float64, exact small sums


def to_networkx(edge_index, n):
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edge_index.t().tolist())
    return g


@verifies(
    "adjacency-matrix",
    against="networkx",
    tol=TOL,
    note="float64: dense adjacency of directed multigraphs with loops and isolated nodes "
    "(to_numpy_array), in-degrees, and D^-1/2 A D^-1/2 = I - normalized_laplacian_matrix",
)
def test_adjacency_and_degree_match_networkx(graph):
    x, edge_index = graph
    n = x.shape[0]
    g = to_networkx(edge_index, n)
    expected = nx.to_numpy_array(g, nodelist=range(n), weight=None, multigraph_weight=sum)
    np.testing.assert_allclose(adjacency_matrix(edge_index, n).numpy(), expected, rtol=TOL, atol=TOL)
    in_degree = np.array([g.in_degree(i) for i in range(n)], dtype=float)
    np.testing.assert_allclose(degree(edge_index, n).numpy(), in_degree, rtol=TOL, atol=TOL)


def test_karate_club_is_networkx_karate_club():
    g = nx.karate_club_graph()
    ours = karate_club()
    expected = nx.to_numpy_array(g, nodelist=range(34), weight=None)
    np.testing.assert_array_equal(adjacency_matrix(ours.edge_index, 34).numpy(), expected)
    clubs = [0 if g.nodes[i]["club"] == "Mr. Hi" else 1 for i in range(34)]
    assert list(KARATE_CLUB) == clubs
    # the numbers the adjacency-matrix page quotes: 78 friendships stored as 156 directed columns,
    # no self-loops, degrees from 1 (member 11 only) to 17 (member 33)
    a = adjacency_matrix(ours.edge_index, 34)
    assert ours.edge_index.shape == (2, 156) and g.number_of_edges() == 78
    assert int(a.sum()) == 156 and int(torch.diag(a).sum()) == 0
    d = degree(ours.edge_index, 34)
    assert (int(d.min()), int(d.max())) == (1, 17)
    assert (d == 1).nonzero().flatten().tolist() == [11] and int(d.argmax()) == 33


@verifies("adjacency-matrix", against="networkx", tol=TOL, note="karate club, float64")
def test_symmetric_normalisation_matches_networkx_laplacian():
    g = nx.karate_club_graph()
    a = torch.from_numpy(nx.to_numpy_array(g, nodelist=range(34), weight=None))
    expected = np.eye(34) - nx.normalized_laplacian_matrix(g, nodelist=range(34), weight=None).toarray()
    ours = normalized_adjacency(a, kind="sym", self_loops=False)
    np.testing.assert_allclose(ours.numpy(), expected, rtol=TOL, atol=TOL)


def test_node_with_empty_row_gets_a_zero_row_like_networkx():
    # node 2 has no edges: without self-loops 1/sqrt(0) is treated as 0, as networkx's normalised
    # Laplacian does (its row there is zero too)
    g = nx.Graph()
    g.add_nodes_from(range(3))
    g.add_edge(0, 1)
    laplacian = nx.normalized_laplacian_matrix(g, nodelist=range(3), weight=None).toarray()
    a = torch.from_numpy(nx.to_numpy_array(g, nodelist=range(3), weight=None))
    for kind in ("sym", "rw"):
        ours = normalized_adjacency(a, kind=kind, self_loops=False)
        assert torch.isfinite(ours).all() and (ours[2] == 0).all()
    assert (laplacian[2] == 0).all()


def test_normalisation_with_self_loops_and_random_walk_rows(graph):
    x, edge_index = graph
    n = x.shape[0]
    a = adjacency_matrix(edge_index, n)
    a = a + a.T  # undirected
    a_tilde = a.clone().fill_diagonal_(1.0)
    d = a_tilde.sum(dim=1)
    expected = a_tilde / torch.sqrt(d[:, None] * d[None, :])
    torch.testing.assert_close(normalized_adjacency(a, "sym"), expected, rtol=TOL, atol=TOL)
    eigenvalues = torch.linalg.eigvalsh(expected)  # the page: with self-loops they lie in (-1, 1]
    assert eigenvalues.min() > -1 + 1e-6 and eigenvalues.max() < 1 + TOL
    rw = normalized_adjacency(a, "rw", self_loops=False)
    rows = rw.sum(dim=1)
    has_edges = a.sum(dim=1) > 0
    torch.testing.assert_close(rows[has_edges], torch.ones_like(rows[has_edges]), rtol=TOL, atol=TOL)
    assert (rw[~has_edges] == 0).all()  # isolated nodes: a zero row, not NaN


def test_self_loops_are_replaced_not_doubled():
    edge_index = torch.tensor([[0, 0, 1], [0, 1, 0]])
    looped = add_self_loops(edge_index, 3)
    a = adjacency_matrix(looped, 3)
    torch.testing.assert_close(torch.diag(a), torch.ones(3, dtype=torch.float64))
    assert remove_self_loops(looped).shape[1] == 2


def test_edge_list_round_trip(graph):
    x, edge_index = graph
    a = adjacency_matrix(edge_index, x.shape[0])
    back = adjacency_matrix(edge_index_from_adjacency(a), x.shape[0])
    torch.testing.assert_close(back, (a > 0).double())  # multi-edges collapse to one


def test_bad_input():
    with pytest.raises(ValueError, match="num_nodes is 2"):
        adjacency_matrix(torch.tensor([[0, 2], [1, 1]]), 2)
    with pytest.raises(ValueError, match="at least 1"):
        adjacency_matrix(torch.empty((2, 0), dtype=torch.long), 0)
    with pytest.raises(ValueError, match="torch.long"):
        adjacency_matrix(torch.tensor([[0.0], [1.0]]), 2)
    with pytest.raises(ValueError, match="'sym' or 'rw'"):
        normalized_adjacency(torch.eye(2), kind="lap")
