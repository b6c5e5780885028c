"""The generated block model and the training helper: structure, determinism and bad input."""

import pytest
import torch

from mlatlas.gnn.datasets import karate_club, stochastic_block_model
from mlatlas.gnn.node_classification import sbm_graph, train_node_classifier


def test_block_model_is_undirected_loop_free_and_seeded():
    g1 = stochastic_block_model((5, 7), 0.5, 0.1, torch.Generator().manual_seed(3))
    g2 = stochastic_block_model((5, 7), 0.5, 0.1, torch.Generator().manual_seed(3))
    assert torch.equal(g1.edge_index, g2.edge_index) and torch.equal(g1.x, g2.x)
    src, dst = g1.edge_index
    assert (src != dst).all()
    pairs = set(zip(src.tolist(), dst.tolist()))
    assert all((j, i) in pairs for i, j in pairs)  # both directions stored
    assert g1.y.tolist() == [0] * 5 + [1] * 7


def test_block_model_edge_density_matches_probabilities():
    g = sbm_graph(seed=0)
    same = g.y[g.edge_index[0]] == g.y[g.edge_index[1]]
    within, across = int(same.sum()) // 2, int((~same).sum()) // 2
    pairs_within, pairs_across = 3 * 60 * 59 // 2, 3 * 60 * 60
    # binomial counts: mean n p, sd sqrt(n p (1 - p)); allow 4 sd
    assert abs(within - 0.1 * pairs_within) < 4 * (pairs_within * 0.1 * 0.9) ** 0.5
    assert abs(across - 0.01 * pairs_across) < 4 * (pairs_across * 0.01 * 0.99) ** 0.5


def test_block_model_bad_input():
    gen = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match="sizes"):
        stochastic_block_model((), 0.5, 0.1, gen)
    with pytest.raises(ValueError, match="probabilities"):
        stochastic_block_model((3, 3), 1.5, 0.1, gen)
    with pytest.raises(ValueError, match="means must have shape"):
        stochastic_block_model((3, 3), 0.5, 0.1, gen, num_features=4, means=torch.zeros(3, 4))


def test_training_rejects_bad_masks():
    g = karate_club()
    model = torch.nn.Linear(34, 2).double()
    wrapped = lambda x, edge_index: model(x)  # noqa: E731
    with pytest.raises(ValueError, match="bool tensor"):
        train_node_classifier(wrapped, g, torch.zeros(34, dtype=torch.long), epochs=1)
    with pytest.raises(ValueError, match="selects no node"):
        train_node_classifier(wrapped, g, torch.zeros(34, dtype=torch.bool), epochs=1)


def test_extra_edge_graphs_are_connected_trees_plus_m_edges():
    import networkx as nx

    from mlatlas.gnn.datasets import extra_edge_graphs

    data = extra_edge_graphs(20, 8, torch.Generator().manual_seed(5))
    for g in range(20):
        keep = data.batch[data.edge_index[0]] == g
        pairs = (data.edge_index[:, keep] - 8 * g).t().tolist()
        graph = nx.Graph(pairs)
        assert graph.number_of_nodes() == 8 and nx.is_connected(graph)
        extra = graph.number_of_edges() - 7  # a spanning tree has N - 1 edges
        assert 0 <= extra <= 6 and int(data.y[g]) == int(extra >= 3)
    with pytest.raises(ValueError, match="num_nodes >= 3"):
        extra_edge_graphs(1, 2, torch.Generator())
