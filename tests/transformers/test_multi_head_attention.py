"""Multi-head attention vs torch.nn.MultiheadAttention with the same weights."""

import pytest
import torch
from torch import nn

from mlatlas.transformers.multi_head_attention import (
    MultiHeadAttention,
    MultiHeadAttentionConfig,
    merge_heads,
    split_heads,
)
from mlatlas.verification import verifies

TOL64 = 1e-12


def _pair(c=16, h=4, bias=True):
    torch.manual_seed(0)
    ref = nn.MultiheadAttention(c, h, bias=bias, batch_first=True, dtype=torch.float64)
    if bias:  # torch zero-initialises biases; randomise them so they are really compared
        nn.init.normal_(ref.in_proj_bias)
        nn.init.normal_(ref.out_proj.bias)
    ours = MultiHeadAttention(MultiHeadAttentionConfig(c, h, bias=bias), dtype=torch.float64)
    w_q, w_k, w_v = ref.in_proj_weight.detach().chunk(3)
    with torch.no_grad():
        for lin, w in ((ours.q_proj, w_q), (ours.k_proj, w_k), (ours.v_proj, w_v)):
            lin.weight.copy_(w)
        ours.out_proj.weight.copy_(ref.out_proj.weight)
        if bias:
            for lin, bb in zip((ours.q_proj, ours.k_proj, ours.v_proj), ref.in_proj_bias.detach().chunk(3)):
                lin.bias.copy_(bb)
            ours.out_proj.bias.copy_(ref.out_proj.bias)
    return ours, ref


def _x(b=2, t=5, c=16, seed=0):
    return torch.randn(b, t, c, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@verifies(
    "multi-head-attention", against="torch.nn.MultiheadAttention", tol=TOL64, note="shared weights, float64"
)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("causal", [False, True])
def test_self_attention_matches_torch(bias, causal):
    ours, ref = _pair(bias=bias)
    x = _x()
    mask = nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64) if causal else None
    expected, _ = ref(x, x, x, attn_mask=mask, need_weights=False)
    torch.testing.assert_close(ours(x, is_causal=causal), expected, rtol=TOL64, atol=TOL64)


@verifies(
    "multi-head-attention",
    against="torch.nn.MultiheadAttention",
    tol=TOL64,
    note="cross-attention, padding mask, weights and gradients",
)
def test_cross_attention_padding_weights_and_grads_match_torch():
    ours, ref = _pair()
    x, memory = _x(t=4), _x(t=6, seed=1)
    pad = torch.tensor([[False] * 6, [False] * 4 + [True] * 2])
    expected, w_ref = ref(x, memory, memory, key_padding_mask=pad, average_attn_weights=False)
    out = ours(x, memory, memory, key_padding_mask=pad)
    torch.testing.assert_close(out, expected, rtol=TOL64, atol=TOL64)
    torch.testing.assert_close(
        ours.attention_weights(x, memory, key_padding_mask=pad), w_ref, rtol=TOL64, atol=TOL64
    )
    out.square().sum().backward()
    expected.square().sum().backward()
    g_q, g_k, g_v = ref.in_proj_weight.grad.chunk(3)
    torch.testing.assert_close(ours.q_proj.weight.grad, g_q, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(ours.k_proj.weight.grad, g_k, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(ours.v_proj.weight.grad, g_v, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(ours.out_proj.weight.grad, ref.out_proj.weight.grad, rtol=1e-10, atol=1e-10)


def test_split_merge_round_trip():
    x = _x()
    assert split_heads(x, 4).shape == (2, 4, 5, 4)
    torch.testing.assert_close(merge_heads(split_heads(x, 4)), x)


def test_heads_are_independent():
    """Zeroing head 0's value projection changes only head 0's slice before W^O."""
    ours, _ = _pair(bias=False)
    x = _x()
    with torch.no_grad():
        ours.out_proj.weight.copy_(torch.eye(16, dtype=torch.float64))
        before = ours(x)
        ours.v_proj.weight[:4] = 0
        after = ours(x)
    assert (after[..., :4] == 0).all()
    torch.testing.assert_close(after[..., 4:], before[..., 4:])


def test_config_errors():
    with pytest.raises(ValueError, match="not divisible"):
        MultiHeadAttentionConfig(10, 3)
    with pytest.raises(ValueError, match="dropout"):
        MultiHeadAttentionConfig(8, 2, dropout=1.5)
    mha = MultiHeadAttention(MultiHeadAttentionConfig(8, 2))
    with pytest.raises(ValueError, match="d_model"):
        mha(torch.randn(1, 3, 6))
    with pytest.raises(ValueError, match="key_padding_mask"):
        mha(torch.randn(1, 3, 8), key_padding_mask=torch.zeros(1, 4, dtype=torch.bool))
