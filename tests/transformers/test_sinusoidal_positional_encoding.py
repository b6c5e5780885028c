"""Sinusoidal positional encoding: the paper's formula and the relative-shift identity."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.transformers.sinusoidal_positional_encoding import (
    relative_shift_matrix,
    sinusoidal_positional_encoding,
)
from mlatlas.verification import verifies

TOL64 = 1e-12


@verifies(
    "sinusoidal-positional-encoding",
    against="formula (Vaswani et al. 2017, sec. 3.5)",
    tol=TOL64,
    note="entry by entry, float64",
)
def test_matches_formula_entry_by_entry():
    pe = sinusoidal_positional_encoding(50, 16)
    for pos in (0, 1, 7, 49):
        for i in range(8):
            angle = pos / 10000 ** (2 * i / 16)
            assert abs(pe[pos, 2 * i].item() - math.sin(angle)) < TOL64
            assert abs(pe[pos, 2 * i + 1].item() - math.cos(angle)) < TOL64


@verifies(
    "sinusoidal-positional-encoding",
    against="relative-shift identity",
    tol=1e-10,
    note="PE[p+k] = M_k PE[p], Hypothesis",
)
@settings(max_examples=25, deadline=None)
@given(offset=st.integers(-200, 200), d_half=st.integers(1, 16))
def test_shift_is_a_fixed_linear_map(offset, d_half):
    d = 2 * d_half
    pe = sinusoidal_positional_encoding(600, d)
    m = relative_shift_matrix(offset, d)
    p = torch.arange(max(0, -offset), min(600, 600 - offset))
    torch.testing.assert_close(pe[p + offset], pe[p] @ m.T, rtol=1e-10, atol=1e-10)


def test_every_pair_has_unit_norm_and_dot_products_depend_on_offset_only():
    pe = sinusoidal_positional_encoding(100, 32)
    pairs = pe.view(100, 16, 2)
    torch.testing.assert_close(pairs.norm(dim=-1), torch.ones(100, 16, dtype=torch.float64))
    torch.testing.assert_close(pe[10] @ pe[15], pe[60] @ pe[65], rtol=TOL64, atol=TOL64)


def test_dtype_and_errors():
    assert sinusoidal_positional_encoding(4, 8, dtype=torch.float32).dtype == torch.float32
    with pytest.raises(ValueError, match="even"):
        sinusoidal_positional_encoding(4, 7)
    with pytest.raises(ValueError, match="num_positions"):
        sinusoidal_positional_encoding(-1, 8)
