"""Every figure function of the classical machine-learning book draws a Figure without arguments."""

import importlib

import pytest
from matplotlib.figure import Figure

FIGURES = [
    ("linear_regression", "conditioning_and_descent"),
    ("logistic_regression", "newton_vs_descent_and_softmax_regions"),
    ("cross_validation", "decomposition_and_cv_curve"),
    ("kernel_methods", "rbf_fits_by_width"),
    ("support_vector_machines", "boundary_margins_and_support_vectors"),
    ("decision_trees", "tree_partition_and_boosting_curve"),
]


@pytest.mark.parametrize("module,name", FIGURES)
def test_figure_smoke(module, name):
    fn = getattr(importlib.import_module(f"mlatlas.classical.figures.{module}"), name)
    assert isinstance(fn(), Figure)
