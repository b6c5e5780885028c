"""Smoke test: every information-geometry figure function draws a Figure."""

import pytest
from matplotlib.figure import Figure

from mlatlas.stochastic.figures import information_geometry as figs


@pytest.mark.parametrize("name", ["fisher_rao_balls", "gradient_paths"])
def test_figure_draws(name):
    assert isinstance(getattr(figs, name)(), Figure)
