"""Every transport figure function draws a matplotlib Figure without arguments."""

import importlib
import inspect

import pytest
from matplotlib.figure import Figure

MODULES = ["wasserstein_distance", "optimal_transport", "sinkhorn", "displacement_interpolation",
           "wasserstein_visual_guide"]
HELPERS = {"example_samples", "example_problem", "example_clouds", "translated_ring", "clouds"}


def _figure_functions():
    for name in MODULES:
        module = importlib.import_module(f"mlatlas.transport.figures.{name}")
        for fn_name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not fn_name.startswith("_"):
                if fn_name not in HELPERS:
                    yield pytest.param(fn, id=f"{name}:{fn_name}")


@pytest.mark.parametrize("figure_function", list(_figure_functions()))
def test_figure_returns_figure(figure_function):
    fig = figure_function()
    assert isinstance(fig, Figure)
    assert fig.axes
