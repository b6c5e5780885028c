"""Smoke test: every figure function of the attention chapters (part A) returns a matplotlib Figure."""

import importlib
import inspect

import pytest
from matplotlib.figure import Figure

MODULES = [
    "self_attention",
    "multi_head_attention",
    "positional_encodings",
    "sinusoidal_positional_encoding",
    "learned_positional_encoding",
    "relative_positional_encoding",
    "rope",
    "alibi",
    "rmsnorm",
    "swiglu",
    "gqa",
    "modern_transformer_anatomy",
    "kv_cache",
    "flash_attention",
    "mixture_of_experts",
]
FIGURES = [
    (name, fn)
    for m in MODULES
    for name, fn in inspect.getmembers(
        importlib.import_module(f"mlatlas.transformers.figures.{m}"), inspect.isfunction
    )
    if fn.__module__.endswith(f"figures.{m}")
]


@pytest.mark.parametrize("name,fn", FIGURES, ids=[n for n, _ in FIGURES])
def test_figure_returns_figure(name, fn):
    assert isinstance(fn(), Figure)
