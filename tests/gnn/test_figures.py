"""Every figure function of the GNN book draws a Figure without arguments."""

import importlib

import pytest
from matplotlib.figure import Figure

FIGURES = [
    ("adjacency_matrix", "karate_three_views"),
    ("graph_laplacian", "karate_fiedler_split"),
    ("graph_laplacian", "karate_spectrum"),
    ("message_passing", "signal_spreading"),
    ("gcn", "karate_and_block_model"),
    ("gat", "karate_attention"),
    ("graphsage", "inductive_transfer"),
    ("gin", "star_versus_path"),
]


@pytest.mark.parametrize("module,name", FIGURES)
def test_figure_smoke(module, name):
    fn = getattr(importlib.import_module(f"mlatlas.gnn.figures.{module}"), name)
    assert isinstance(fn(), Figure)
