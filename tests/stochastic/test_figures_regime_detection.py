"""Smoke test: every regime-detection figure function draws a Figure."""

import pytest
from matplotlib.figure import Figure

from mlatlas.stochastic.figures import regime_detection as figs


@pytest.mark.parametrize("name", ["generated_series", "label_strips", "score_table", "feature_space"])
def test_figure_draws(name):
    assert isinstance(getattr(figs, name)(), Figure)
