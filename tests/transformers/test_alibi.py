"""ALiBi: slopes from the paper, hand cases, and BLOOM's slopes in transformers."""

import pytest
import torch
import torch.nn.functional as F
from transformers.models.bloom.modeling_bloom import _get_alibi_slopes

from mlatlas.transformers.alibi import alibi_bias, alibi_slopes
from mlatlas.verification import verifies

TOL64 = 1e-12


@verifies(
    "alibi", against="slopes from the paper", tol=TOL64, note="8 heads: 1/2 ... 1/256; 16 heads: 2^-0.5 ..."
)
def test_slopes_from_the_paper():
    torch.testing.assert_close(
        alibi_slopes(8),
        torch.tensor([2.0**-i for i in range(1, 9)], dtype=torch.float64),
        rtol=TOL64,
        atol=TOL64,
    )
    torch.testing.assert_close(
        alibi_slopes(16),
        torch.tensor([2.0 ** (-i / 2) for i in range(1, 17)], dtype=torch.float64),
        rtol=TOL64,
        atol=TOL64,
    )


@verifies(
    "alibi", against="transformers BLOOM _get_alibi_slopes", tol=1e-6, note="float32 in theirs; 1..40 heads"
)
def test_slopes_match_bloom_for_any_head_count():
    for h in range(1, 41):
        torch.testing.assert_close(
            alibi_slopes(h).float(), _get_alibi_slopes(h, torch.device("cpu")).float(), rtol=1e-6, atol=1e-6
        )


@verifies("alibi", against="hand cases", tol=0, note="bias matrix for 2 heads, T=3")
def test_bias_by_hand():
    inf = float("-inf")
    bias = alibi_bias(2, 3)  # slopes 1/16, 1/256
    expected0 = [[0.0, inf, inf], [-1 / 16, 0.0, inf], [-2 / 16, -1 / 16, 0.0]]
    assert bias[0].tolist() == expected0
    assert bias[1].tolist() == [[0.0, inf, inf], [-1 / 256, 0.0, inf], [-2 / 256, -1 / 256, 0.0]]
    assert alibi_bias(1, 2, causal=False)[0].tolist() == [[0.0, -1 / 256], [-1 / 256, 0.0]]


def test_decoding_rows_equal_last_rows_of_full_bias():
    torch.testing.assert_close(alibi_bias(4, 1, 7), alibi_bias(4, 7)[:, -1:])


def test_softmax_shift_invariance_makes_only_distance_matter():
    """Adding the bias to equal scores prefers nearer keys, by the factor e^{-m} per step."""
    bias = alibi_bias(8, 6)
    weights = F.softmax(torch.zeros(8, 6, 6, dtype=torch.float64) + bias, dim=-1)
    m = alibi_slopes(8)
    torch.testing.assert_close(weights[:, 5, 4] / weights[:, 5, 5], torch.exp(-m), rtol=TOL64, atol=TOL64)


def test_factors_quoted_on_the_page():
    """Head 1 of 8 (m = 1/2) leaves e^-5 ~ 0.007 of the weight ten keys back; head 8 (m = 1/256) still
    leaves about 0.8 at sixty (the figure's fourth panel)."""
    bias = alibi_bias(8, 61)
    assert bias[0, 60, 50].item() == -5.0
    assert abs(torch.exp(bias[0, 60, 50]).item() - 0.007) < 5e-4
    assert abs(torch.exp(bias[7, 60, 0]).item() - 0.8) < 0.01


def test_errors():
    with pytest.raises(ValueError, match="num_heads"):
        alibi_slopes(0)
    with pytest.raises(ValueError, match="last positions"):
        alibi_bias(2, 5, 3)
