"""Every figure function of the Deep Learning book draws a Figure without arguments."""

import importlib

import pytest
from matplotlib.figure import Figure

FIGURES = [
    ("autodiff", "neuron_graph"),
    ("autodiff", "finite_difference_error"),
    ("convolutions", "receptive_field_growth"),
    ("normalization", "activation_scale_by_depth"),
    ("residual_networks", "gradient_norm_by_layer"),
    ("recurrent_networks", "gradient_through_time_figure"),
    ("tokenization", "compression_by_vocabulary"),
    ("linear_attention", "cost_and_state_by_length"),
    ("state_space_models", "kernel_by_step_size"),
]


@pytest.mark.parametrize("module,name", FIGURES)
def test_figure_smoke(module, name):
    fn = getattr(importlib.import_module(f"mlatlas.deep_learning.figures.{module}"), name)
    assert isinstance(fn(), Figure)
