"""Every figure function of the Architecture explainers draws a Figure without arguments (the
Decision Transformer's two are drawn in test_decision_transformer.py, beside the run they plot)."""

import importlib

import pytest
from matplotlib.figure import Figure

FIGURES = [
    ("clip", "data_flow"),
    ("simclr", "data_flow"),
    ("simclr", "augmented_views"),
    ("mixture_of_experts_explainer", "data_flow"),
    ("flamingo_llava_internvl", "data_flow"),
    ("whisper", "data_flow"),
    ("whisper", "chirp_log_mel"),
    ("imagegpt", "data_flow"),
    ("imagegpt", "half_image_completions"),
    ("evoformer", "data_flow"),
    ("gpt4_and_gemini", "data_flow"),
    ("imagebind", "data_flow"),
]


@pytest.mark.parametrize("module,name", FIGURES)
def test_figure_smoke(module, name):
    fn = getattr(importlib.import_module(f"mlatlas.architectures.figures.{module}"), name)
    assert isinstance(fn(), Figure)
