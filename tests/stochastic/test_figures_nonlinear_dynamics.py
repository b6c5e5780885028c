"""Smoke test: every nonlinear-dynamics figure function draws a Figure."""

import pytest
from matplotlib.figure import Figure

from mlatlas.stochastic.figures import nonlinear_dynamics as figs


@pytest.mark.parametrize("name", ["cobwebs", "bifurcation_and_lyapunov", "lorenz_butterfly"])
def test_figure_draws(name):
    assert isinstance(getattr(figs, name)(), Figure)
