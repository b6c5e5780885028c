"""Attention without positions is permutation-equivariant; any positional scheme breaks that."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.transformers.multi_head_attention import MultiHeadAttention, MultiHeadAttentionConfig
from mlatlas.transformers.positional_encodings import equivariance_error, with_positions
from mlatlas.transformers.sinusoidal_positional_encoding import sinusoidal_positional_encoding
from mlatlas.verification import verifies

torch.manual_seed(0)
MHA = MultiHeadAttention(MultiHeadAttentionConfig(16, 4), dtype=torch.float64).eval()
TOL64 = 1e-12


@verifies(
    "positional-encodings",
    against="permutation-equivariance property",
    tol=TOL64,
    note="Hypothesis over lengths and permutations, float64",
)
@settings(max_examples=25, deadline=None)
@given(t=st.integers(2, 10), seed=st.integers(0, 10_000))
def test_attention_without_positions_is_permutation_equivariant(t, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2, t, 16, generator=g, dtype=torch.float64)
    perm = torch.randperm(t, generator=g)
    assert equivariance_error(MHA, x, perm) < TOL64


@verifies(
    "positional-encodings",
    against="permutation-equivariance property",
    tol=TOL64,
    note="order-blind pooled output is permutation-invariant",
)
def test_pooled_output_cannot_see_order():
    x = torch.randn(1, 6, 16, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    perm = torch.tensor([5, 3, 1, 0, 2, 4])
    torch.testing.assert_close(MHA(x).mean(1), MHA(x[:, perm]).mean(1), rtol=TOL64, atol=TOL64)


def test_adding_positions_breaks_equivariance():
    x = torch.randn(1, 6, 16, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    pe = sinusoidal_positional_encoding(6, 16)
    assert equivariance_error(with_positions(MHA, pe), x, torch.tensor([1, 0, 2, 3, 4, 5])) > 1e-3


def test_causal_attention_is_not_equivariant_even_without_positions():
    x = torch.randn(1, 6, 16, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    assert equivariance_error(lambda z: MHA(z, is_causal=True), x, torch.tensor([5, 4, 3, 2, 1, 0])) > 1e-3


def test_errors():
    with pytest.raises(ValueError, match="permutation"):
        equivariance_error(MHA, torch.zeros(1, 3, 16, dtype=torch.float64), torch.tensor([0, 0, 1]))


def test_figure_bars_match_the_alt_text():
    # The alt text: "no positions" near 1e-16 (below the 1e-12 rounding line); every scheme, and the
    # causal mask alone, near 0.1 to 1.
    from mlatlas.transformers.figures.positional_encodings import equivariance_by_scheme

    fig = equivariance_by_scheme()
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]
    widths = dict(zip(names, (bar.get_width() for bar in ax.patches)))
    assert widths.pop("no positions") < 1e-15
    assert len(widths) == 5 and all(0.05 < w < 1.5 for w in widths.values()), widths
