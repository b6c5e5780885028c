"""Scaled dot-product attention vs torch's scaled_dot_product_attention, plus its invariants and edges."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.transformers.attention import (
    attention_weights,
    causal_mask,
    scaled_dot_product_attention,
)
from mlatlas.verification import verifies

TOL64 = 1e-12
TOL_HALF = 1e-2


def _qkv(b=2, h=3, t_q=5, t_k=7, d=8, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(b, h, t_q, d, generator=g, dtype=torch.float64).to(dtype)
    k = torch.randn(b, h, t_k, d, generator=g, dtype=torch.float64).to(dtype)
    v = torch.randn(b, h, t_k, d, generator=g, dtype=torch.float64).to(dtype)
    return q, k, v


@verifies(
    "self-attention", against="torch scaled_dot_product_attention", tol=TOL64, note="float64; masks, causal"
)
@pytest.mark.parametrize("kind", ["none", "causal", "bool", "float", "scale"])
def test_matches_torch_sdpa(kind):
    q, k, v = _qkv(t_q=6, t_k=6)
    g = torch.Generator().manual_seed(1)
    kwargs = {}
    if kind == "causal":
        kwargs["is_causal"] = True
    elif kind == "bool":
        kwargs["attn_mask"] = torch.rand(6, 6, generator=g) > 0.3
        kwargs["attn_mask"][:, 0] = True  # keep every row alive
    elif kind == "float":
        kwargs["attn_mask"] = torch.randn(2, 1, 6, 6, generator=g, dtype=torch.float64)
    elif kind == "scale":
        kwargs["scale"] = 0.37
    ours = scaled_dot_product_attention(q, k, v, **kwargs)
    ref = F.scaled_dot_product_attention(q, k, v, **kwargs)
    torch.testing.assert_close(ours, ref, rtol=TOL64, atol=TOL64)


@verifies(
    "self-attention", against="torch scaled_dot_product_attention", tol=TOL64, note="gradients, float64"
)
def test_gradients_match_torch_sdpa():
    q, k, v = _qkv(t_q=4, t_k=4)
    ours_in = [t.clone().requires_grad_() for t in (q, k, v)]
    ref_in = [t.clone().requires_grad_() for t in (q, k, v)]
    w = torch.randn(2, 3, 4, 8, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    (scaled_dot_product_attention(*ours_in, is_causal=True) * w).sum().backward()
    (F.scaled_dot_product_attention(*ref_in, is_causal=True) * w).sum().backward()
    for a, b in zip(ours_in, ref_in):
        torch.testing.assert_close(a.grad, b.grad, rtol=TOL64, atol=TOL64)


def test_rectangular_causal_is_top_left_like_sdpa():
    q, k, v = _qkv(t_q=3, t_k=7)
    torch.testing.assert_close(
        scaled_dot_product_attention(q, k, v, is_causal=True),
        F.scaled_dot_product_attention(q, k, v, is_causal=True),
        rtol=TOL64,
        atol=TOL64,
    )


def test_causal_mask_offset_for_decoding():
    m = causal_mask(2, 5, offset=3)
    assert m.tolist() == [[True, True, True, True, False], [True, True, True, True, True]]


def test_fully_masked_row_is_zero_not_nan_like_sdpa():
    q, k, v = _qkv(t_q=3, t_k=4)
    mask = torch.ones(3, 4, dtype=torch.bool)
    mask[1] = False
    ours = scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert torch.isfinite(ours).all()
    assert (ours[..., 1, :] == 0).all()
    torch.testing.assert_close(ours, F.scaled_dot_product_attention(q, k, v, attn_mask=mask))


def test_fully_masked_float_row_has_finite_gradients():
    q, k, v = (t.clone().requires_grad_() for t in _qkv(t_q=3, t_k=4))
    mask = torch.zeros(3, 4, dtype=torch.float64)
    mask[2] = float("-inf")  # query 2 sees nothing
    out = scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert (out[..., 2, :] == 0).all()
    out.sum().backward()
    assert all(torch.isfinite(t.grad).all() for t in (q, k, v))


def test_large_logits_do_not_overflow():
    q, k, v = _qkv(t_q=4, t_k=4)
    ours = scaled_dot_product_attention(q * 1e3, k * 1e3, v)  # logits ~1e6: exp would overflow unshifted
    assert torch.isfinite(ours).all()
    torch.testing.assert_close(
        ours, F.scaled_dot_product_attention(q * 1e3, k * 1e3, v), rtol=1e-9, atol=1e-9
    )


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_inputs(dtype):
    q, k, v = _qkv(t_q=16, t_k=16, dtype=dtype)
    q = q * 30  # logits up to a few hundred
    ours = scaled_dot_product_attention(q, k, v, is_causal=True)
    assert ours.dtype == dtype and torch.isfinite(ours).all()
    # reference: the same (rounded) half inputs, attended in float64; the remaining error is the
    # rounding of the weights and output to 8 (bf16) or 11 (fp16) mantissa bits
    ref = F.scaled_dot_product_attention(q.double(), k.double(), v.double(), is_causal=True)
    torch.testing.assert_close(ours.double(), ref, rtol=TOL_HALF, atol=5 * TOL_HALF)


@settings(max_examples=25, deadline=None)
@given(t_q=st.integers(1, 9), t_k=st.integers(1, 9), seed=st.integers(0, 10_000), causal=st.booleans())
def test_softmax_rows_sum_to_one(t_q, t_k, seed, causal):
    q, k, _ = _qkv(b=1, h=2, t_q=t_q, t_k=t_k, seed=seed)
    w = attention_weights(q * 5, k, is_causal=causal)
    assert (w >= 0).all()
    torch.testing.assert_close(w.sum(-1), torch.ones(1, 2, t_q, dtype=torch.float64), rtol=TOL64, atol=TOL64)


@settings(max_examples=25, deadline=None)
@given(t=st.integers(2, 9), seed=st.integers(0, 10_000))
def test_permutation_equivariance_without_positions(t, seed):
    """Shuffling the tokens (queries, keys and values together) shuffles the output rows the same way."""
    q, k, v = _qkv(b=1, h=2, t_q=t, t_k=t, seed=seed)
    perm = torch.randperm(t, generator=torch.Generator().manual_seed(seed))
    out = scaled_dot_product_attention(q, k, v)
    out_perm = scaled_dot_product_attention(q[..., perm, :], k[..., perm, :], v[..., perm, :])
    torch.testing.assert_close(out_perm, out[..., perm, :], rtol=TOL64, atol=TOL64)


def test_one_key_returns_its_value():
    q, k, v = _qkv(t_q=3, t_k=1)
    torch.testing.assert_close(scaled_dot_product_attention(q, k, v), v.expand(-1, -1, 3, -1))


def test_default_scale_is_one_over_sqrt_d():
    q, k, v = _qkv()
    torch.testing.assert_close(
        scaled_dot_product_attention(q, k, v), scaled_dot_product_attention(q, k, v, scale=1 / math.sqrt(8))
    )


def test_bad_inputs_raise():
    q, k, v = _qkv()
    with pytest.raises(ValueError, match="head width"):
        scaled_dot_product_attention(q, k[..., :4], v)
    with pytest.raises(ValueError, match="number of keys"):
        scaled_dot_product_attention(q, k, v[..., :3, :])
    with pytest.raises(ValueError, match="not both"):
        scaled_dot_product_attention(q, k, v, is_causal=True, attn_mask=torch.ones(5, 7, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"attn_mask must broadcast"):
        scaled_dot_product_attention(q, k, v, attn_mask=torch.ones(5, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="repeat_kv"):
        scaled_dot_product_attention(q, k[:, :1], v[:, :1])
    with pytest.raises(ValueError, match="dropout_p"):
        scaled_dot_product_attention(q, k, v, dropout_p=1.0)


def test_dropout_keeps_expectation():
    q, k, v = _qkv(b=1, h=1, t_q=1, t_k=4)
    torch.manual_seed(0)
    n = 4000  # the mean of n dropped-out outputs has standard error < 0.05 here; margin 0.1
    outs = scaled_dot_product_attention(*(t.expand(n, -1, -1, -1) for t in (q, k, v)), dropout_p=0.5)
    torch.testing.assert_close(
        outs.mean(0, keepdim=True), scaled_dot_product_attention(q, k, v), rtol=0, atol=0.1
    )


def test_dropout_keep_rate_and_scaling():
    """Inverted dropout on the weights: each weight is kept with probability 1 - p and scaled by
    1 / (1 - p), else zeroed, like F.dropout. Uniform weights (q = 0) and v = I expose A' directly."""
    p, t_k, n = 0.3, 50, 200  # 10,000 Bernoulli(0.7) draws: keep-rate standard error 0.0046
    q = torch.zeros(n, 1, 1, 4, dtype=torch.float64)
    k = torch.randn(n, 1, t_k, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    v = torch.eye(t_k, dtype=torch.float64).expand(n, 1, t_k, t_k)
    torch.manual_seed(0)
    dropped = scaled_dot_product_attention(q, k, v, dropout_p=p)  # (n, 1, 1, T_k): the weights A'
    kept = dropped != 0
    scaled = torch.full_like(dropped, 1.0 / t_k / (1.0 - p))  # A_ij / (1 - p) with A_ij = 1 / T_k
    torch.testing.assert_close(dropped[kept], scaled[kept], rtol=1e-12, atol=0)
    keep_rate = kept.double().mean().item()
    assert abs(keep_rate - (1 - p)) < 4 * math.sqrt(p * (1 - p) / kept.numel())  # 4 standard errors
    row_keep = kept.double().mean(dim=(0, 1, 2))  # per-key keep rate: no key is favoured
    assert (row_keep - (1 - p)).abs().max() < 5 * math.sqrt(p * (1 - p) / n)
