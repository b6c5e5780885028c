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


def test_the_numbers_quoted_on_the_page():
    """Dot products for C = 64 (32, 30.9, 23.5, 18.9, 15.7 at offsets 0, 1, 5, 20, 50; minimum 10.8 over
    the first 100 positions), the wavelength ratio 1.037 and the norm 16 for C = 512."""
    pe = sinusoidal_positional_encoding(100, 64).double()
    gram = pe @ pe.T
    assert [round(gram[0, k].item(), 1) for k in (0, 1, 5, 20, 50)] == [32.0, 30.9, 23.5, 18.9, 15.7]
    assert round(gram.min().item(), 1) == 10.8
    assert round(10000 ** (2 / 512), 3) == 1.037
    norms = sinusoidal_positional_encoding(10, 512).double().norm(dim=-1)
    torch.testing.assert_close(norms, torch.full((10,), 16.0, dtype=torch.float64), rtol=1e-6, atol=1e-6)
