"""Smoke test: every regime-detection figure function draws a Figure."""

import pytest
from matplotlib.figure import Figure

from mlatlas.stochastic.figures import regime_detection as figs


@pytest.mark.parametrize("name", ["generated_series", "label_strips", "score_table", "feature_space"])
def test_figure_draws(name):
    assert isinstance(getattr(figs, name)(), Figure)


def test_page_scores_back_the_chapter_s_lessons():
    """regime-detection.md shows page_scores through {value}; its prose draws lessons from them."""
    from mlatlas.stochastic.figures.regime_detection import page_scores

    s = page_scores()
    windowed = ("kmeans", "kmeans_vol", "gmm", "wkmeans")
    assert all(s["hmm_ari"] > s[f"{k}_ari"] + 0.2 for k in windowed)  # "wins clearly"
    assert s["kmeans_ari"] < 0.1 < 0.55 < min(s["kmeans_vol_ari"], s["gmm_ari"], s["wkmeans_ari"])
    assert s["log_likelihood"] > 709  # p(r) itself would overflow float64
