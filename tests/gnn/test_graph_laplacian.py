"""Laplacians against networkx and scipy; spectral clustering on the karate club."""

import networkx as nx
import numpy as np
import pytest
import scipy.linalg
import scipy.sparse.csgraph
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.gnn.adjacency_matrix import adjacency_matrix
from mlatlas.gnn.datasets import karate_club
from mlatlas.gnn.graph_laplacian import (
    dirichlet_energy,
    laplacian,
    normalized_laplacian,
    random_walk_laplacian,
    spectral_bipartition,
)
from mlatlas.verification import verifies

TOL = 1e-10  # float64 (eigenvalues of a 34 x 34 matrix)


def karate_a():
    return adjacency_matrix(karate_club().edge_index, 34)


@verifies(
    "graph-laplacian",
    against="networkx",
    tol=TOL,
    note="float64: L = D - A and I - D^-1/2 A D^-1/2 on the karate club and a graph with isolated nodes",
)
@pytest.mark.parametrize("name", ["karate", "isolated"])
def test_laplacians_match_networkx(name):
    if name == "karate":
        g = nx.karate_club_graph()
    else:
        g = nx.Graph([(0, 1), (1, 2), (2, 0), (3, 4)])
        g.add_nodes_from([5, 6])  # two isolated nodes
    n = g.number_of_nodes()
    a = torch.from_numpy(nx.to_numpy_array(g, nodelist=range(n), weight=None))
    np.testing.assert_allclose(
        laplacian(a).numpy(), nx.laplacian_matrix(g, range(n), weight=None).toarray(), rtol=TOL, atol=TOL
    )
    np.testing.assert_allclose(
        normalized_laplacian(a).numpy(),
        nx.normalized_laplacian_matrix(g, range(n), weight=None).toarray(),
        rtol=TOL,
        atol=TOL,
    )


@verifies(
    "graph-laplacian",
    against="scipy eigenvalues",
    tol=TOL,
    note="float64: spectra of L, L_sym, L_rw on the karate club vs scipy.linalg.eigvalsh and "
    "scipy.sparse.csgraph.laplacian",
)
def test_spectra_match_scipy():
    a = karate_a()
    a_np = a.numpy()
    lap_scipy = scipy.sparse.csgraph.laplacian(a_np)
    np.testing.assert_allclose(laplacian(a).numpy(), lap_scipy, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(
        normalized_laplacian(a).numpy(), scipy.sparse.csgraph.laplacian(a_np, normed=True), rtol=TOL, atol=TOL
    )
    split = spectral_bipartition(a, normalized=False)
    np.testing.assert_allclose(
        split.eigenvalues.numpy(), scipy.linalg.eigvalsh(lap_scipy), rtol=TOL, atol=TOL
    )
    # L_rw is not symmetric, but similar to L_sym: same (real) eigenvalues
    rw = np.sort(np.linalg.eigvals(random_walk_laplacian(a).numpy()).real)
    sym = scipy.linalg.eigvalsh(normalized_laplacian(a).numpy())
    np.testing.assert_allclose(rw, sym, rtol=1e-8, atol=1e-8)  # non-symmetric eig: looser, O(cond * eps)


@verifies(
    "graph-laplacian",
    against="karate club split",
    tol="exact",
    note="sign of the Fiedler vector: 32 of 34 members, nodes 2 and 8 misplaced, for L and L_sym; "
    "Fiedler value equals networkx algebraic_connectivity",
)
def test_spectral_bipartition_recovers_the_karate_split():
    a = karate_a()
    y = karate_club().y
    for normalized in (False, True):
        split = spectral_bipartition(a, normalized=normalized)
        wrong = (split.labels != y).nonzero().flatten().tolist()
        assert wrong == [2, 8]
    lambda_2 = spectral_bipartition(a, normalized=False).eigenvalues[1].item()
    g = nx.karate_club_graph()
    for u, v in g.edges():
        g[u][v]["weight"] = 1.0
    expected = nx.algebraic_connectivity(g, method="tracemin_lu", tol=1e-12)
    assert abs(lambda_2 - expected) < 1e-8  # iterative solver: its own tolerance, not ours


def test_the_numbers_the_page_quotes():
    """The page: members 2 and 8 have friends in both camps (6 and 4, 2 and 3); lambda_3 is about twice
    lambda_2 for L and L_sym; the largest eigenvalues are about 18 (L) and 1.71 (L_sym)."""
    a, y = karate_a(), karate_club().y
    for member, own, other in [(2, 6, 4), (8, 2, 3)]:
        friends = y[a[member] > 0]
        assert int((friends == y[member]).sum()) == own and int((friends != y[member]).sum()) == other
    eig_l, eig_sym = torch.linalg.eigvalsh(laplacian(a)), torch.linalg.eigvalsh(normalized_laplacian(a))
    for eig in (eig_l, eig_sym):
        assert 1.8 < eig[2] / eig[1] < 2.3  # 1.94 for L, 2.17 for L_sym
    assert abs(eig_l[-1].item() - 18.14) < 0.01 and abs(eig_sym[-1].item() - 1.715) < 0.001


@st.composite
def undirected_graphs(draw):
    n = draw(st.integers(1, 9))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True)) if pairs else []
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(chosen)
    return g


@settings(max_examples=25, deadline=None, derandomize=True)
@given(undirected_graphs(), st.integers(0, 2**16))
def test_laplacian_properties(g, seed):
    """PSD, rows sum to 0, f^T L f is the Dirichlet energy, #zero eigenvalues = #components."""
    n = g.number_of_nodes()
    a = torch.from_numpy(nx.to_numpy_array(g, nodelist=range(n), weight=None))
    lap = laplacian(a)
    torch.testing.assert_close(lap.sum(dim=1), torch.zeros(n, dtype=torch.float64), rtol=TOL, atol=TOL)
    f = torch.randn(n, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    torch.testing.assert_close(f @ lap @ f, dirichlet_energy(a, f), rtol=TOL, atol=TOL)
    eig = torch.linalg.eigvalsh(lap)
    assert eig.min() > -1e-9
    assert int((eig.abs() < 1e-9).sum()) == nx.number_connected_components(g)


def test_directed_adjacency_is_rejected():
    with pytest.raises(ValueError, match="undirected"):
        laplacian(torch.tensor([[0.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="square"):
        laplacian(torch.zeros(2, 3))
