"""Every figure function of the reinforcement-learning book draws a Figure without arguments."""

import importlib

import pytest
from matplotlib.figure import Figure

FIGURES = [
    ("markov_decision_processes", "gridworld_values_and_convergence"),
    ("temporal_difference", "errors_against_dynamic_programming"),
    ("policy_gradients", "estimator_error_and_training"),
    ("ppo", "clipped_objective_and_gae_weights"),
]


@pytest.mark.parametrize("module,name", FIGURES)
def test_figure_smoke(module, name):
    fn = getattr(importlib.import_module(f"mlatlas.rl.figures.{module}"), name)
    assert isinstance(fn(), Figure)
