"""Shaw et al. relative attention against hand-computed cases; T5 buckets against hand cases and T5's code."""

import math

import pytest
import torch
import torch.nn.functional as F
from transformers.models.t5.modeling_t5 import T5Attention

from mlatlas.transformers.relative_positional_encoding import (
    ShawRelativeAttention,
    T5RelativeBias,
    clipped_relative_positions,
    t5_relative_position_bucket,
)
from mlatlas.verification import verifies

TOL64 = 1e-12


@verifies("relative-positional-encoding", against="hand-computed small cases", tol=0, note="clipped offsets")
def test_clipped_offsets_by_hand():
    assert clipped_relative_positions(3, 4, 1).tolist() == [[1, 2, 2, 2], [0, 1, 2, 2], [0, 0, 1, 2]]


@verifies(
    "relative-positional-encoding",
    against="hand-computed small cases",
    tol=TOL64,
    note="Shaw et al. eqs. 3-4 by explicit loops, float64",
)
@pytest.mark.parametrize("causal", [False, True])
def test_shaw_attention_matches_explicit_loops(causal):
    torch.manual_seed(0)
    layer = ShawRelativeAttention(8, 2, max_distance=2, dtype=torch.float64)
    x = torch.randn(1, 5, 8, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    q, k, v = layer.qkv(x)[0].view(5, 3, 2, 4).unbind(1)  # (T, H, D) each
    z = torch.zeros(5, 2, 4, dtype=torch.float64)
    for h in range(2):
        for i in range(5):
            js = range(i + 1) if causal else range(5)
            e = []
            for j in js:
                a_k = layer.rel_k.weight[min(max(j - i, -2), 2) + 2]
                e.append(q[i, h] @ (k[j, h] + a_k) / math.sqrt(4))  # eq. 4
            alpha = torch.softmax(torch.stack(e), 0)
            for a, j in zip(alpha, js):
                z[i, h] += a * (v[j, h] + layer.rel_v.weight[min(max(j - i, -2), 2) + 2])  # eq. 3
    expected = layer.out_proj(z.reshape(1, 5, 8))
    torch.testing.assert_close(layer(x, is_causal=causal), expected, rtol=TOL64, atol=TOL64)


def test_shaw_attention_with_zero_tables_is_plain_attention():
    """With a^K = a^V = 0 the relative terms vanish and the layer is ordinary multi-head attention."""
    torch.manual_seed(0)
    layer = ShawRelativeAttention(8, 2, max_distance=2, dtype=torch.float64)
    with torch.no_grad():
        layer.rel_k.weight.zero_()
        layer.rel_v.weight.zero_()
    x = torch.randn(2, 5, 8, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    q, k, v = layer.qkv(x).view(2, 5, 3, 2, 4).permute(2, 0, 3, 1, 4)
    plain = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(2, 5, 8)
    torch.testing.assert_close(layer(x), layer.out_proj(plain), rtol=TOL64, atol=TOL64)


@verifies(
    "relative-positional-encoding",
    against="transformers T5Attention._relative_position_bucket",
    tol=0,
    note="exact integer buckets",
)
@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("num_buckets,max_distance", [(32, 128), (16, 64), (8, 20)])
def test_t5_buckets_match_transformers(bidirectional, num_buckets, max_distance):
    rel = torch.arange(-300, 301)
    ours = t5_relative_position_bucket(
        rel, bidirectional=bidirectional, num_buckets=num_buckets, max_distance=max_distance
    )
    ref = T5Attention._relative_position_bucket(
        rel, bidirectional=bidirectional, num_buckets=num_buckets, max_distance=max_distance
    )
    assert torch.equal(ours, ref)


def test_t5_buckets_by_hand():
    # bidirectional, 32 buckets: 16 per side, 8 exact (0..7), log-spaced from 8 to 128
    b = lambda r: t5_relative_position_bucket(torch.tensor(r)).item()
    assert [b(0), b(-1), b(-7), b(1), b(7)] == [0, 1, 7, 17, 23]
    assert b(-8) == 8 and b(-127) == 15 and b(-1000) == 15 and b(1000) == 31
    # log spacing: 8 * 16 ** (m / 8) starts bucket 8 + m; offset 16 is the first of bucket 10
    assert b(-15) == 9 and b(-16) == 10


def test_t5_bias_shape_and_sharing():
    bias = T5RelativeBias(num_heads=3, num_buckets=8, max_distance=16)
    out = bias(4, 6)
    assert out.shape == (3, 4, 6)
    torch.testing.assert_close(out[:, 0, 1], out[:, 2, 3])  # same offset, same bias


def test_errors():
    with pytest.raises(ValueError, match="max_distance"):
        clipped_relative_positions(2, 2, -1)
    with pytest.raises(ValueError, match="num_buckets"):
        t5_relative_position_bucket(torch.tensor([1]), num_buckets=1)
    with pytest.raises(ValueError, match="divisible"):
        ShawRelativeAttention(10, 3, 2)
