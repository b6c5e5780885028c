"""Smoke test: every regime-detection-notebook figure function draws a Figure."""

import pytest
from matplotlib.figure import Figure

from mlatlas.stochastic.figures import regime_detection_notebook as figs


@pytest.mark.parametrize("name", ["hmm_posteriors", "em_and_transitions", "window_sensitivity"])
def test_figure_draws(name):
    assert isinstance(getattr(figs, name)(), Figure)
