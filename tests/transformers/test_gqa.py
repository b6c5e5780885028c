"""Grouped-query attention vs SDPA's enable_gqa and vs attention on explicitly repeated KV heads."""

import pytest
import torch
import torch.nn.functional as F
from transformers.models.llama.modeling_llama import repeat_kv as hf_repeat_kv

from mlatlas.transformers.attention import scaled_dot_product_attention
from mlatlas.transformers.gqa import GQAConfig, GroupedQueryAttention, grouped_query_attention, repeat_kv
from mlatlas.transformers.kv_cache import LayerKVCache
from mlatlas.transformers.multi_head_attention import MultiHeadAttention, MultiHeadAttentionConfig
from mlatlas.verification import verifies

TOL64 = 1e-12


def _qkv(h=8, h_kv=2, t=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(2, h, t, 4, generator=g, dtype=torch.float64)
    k = torch.randn(2, h_kv, t, 4, generator=g, dtype=torch.float64)
    v = torch.randn(2, h_kv, t, 4, generator=g, dtype=torch.float64)
    return q, k, v


@verifies("gqa", against="torch scaled_dot_product_attention", tol=TOL64, note="enable_gqa=True, float64")
@pytest.mark.parametrize("h_kv", [1, 2, 4, 8])
@pytest.mark.parametrize("causal", [False, True])
def test_matches_sdpa_enable_gqa(h_kv, causal):
    q, k, v = _qkv(h_kv=h_kv)
    ours = grouped_query_attention(q, k, v, is_causal=causal)
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=True)
    torch.testing.assert_close(ours, ref, rtol=TOL64, atol=TOL64)


@verifies("gqa", against="SDPA with repeated KV heads", tol=TOL64, note="float64")
def test_matches_sdpa_on_repeated_kv_and_hf_repeat_kv():
    q, k, v = _qkv(h_kv=2)
    k_rep, v_rep = k.repeat_interleave(4, dim=1), v.repeat_interleave(4, dim=1)
    torch.testing.assert_close(repeat_kv(k, 4), k_rep, rtol=0, atol=0)
    torch.testing.assert_close(repeat_kv(k, 4), hf_repeat_kv(k, 4), rtol=0, atol=0)
    ref = F.scaled_dot_product_attention(q, k_rep, v_rep)
    torch.testing.assert_close(grouped_query_attention(q, k, v), ref, rtol=TOL64, atol=TOL64)


def test_gqa_with_all_kv_heads_is_multi_head_attention():
    """H_kv = H: the GQA layer computes exactly bias-free multi-head attention."""
    torch.manual_seed(0)
    gqa = GroupedQueryAttention(GQAConfig(16, 4, 4), dtype=torch.float64)
    mha = MultiHeadAttention(MultiHeadAttentionConfig(16, 4, bias=False), dtype=torch.float64)
    with torch.no_grad():
        for a, b in (
            ("q_proj", "q_proj"),
            ("k_proj", "k_proj"),
            ("v_proj", "v_proj"),
            ("o_proj", "out_proj"),
        ):
            getattr(mha, b).weight.copy_(getattr(gqa, a).weight)
    x = torch.randn(2, 5, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    torch.testing.assert_close(gqa(x, is_causal=True), mha(x, is_causal=True), rtol=TOL64, atol=TOL64)


def test_parameter_and_cache_savings():
    mha = GroupedQueryAttention(GQAConfig(64, 8, 8))
    gqa = GroupedQueryAttention(GQAConfig(64, 8, 2))
    assert gqa.k_proj.weight.shape == (16, 64) and mha.k_proj.weight.shape == (64, 64)
    assert GQAConfig(64, 8, 2).num_key_value_groups == 4


def test_llama2_70b_numbers_quoted_on_the_page():
    """C = 8192, H = 64, H_kv = 8, D = 128, 80 layers, bf16: 151M vs 268M attention parameters (56%);
    320 KiB of cache per token, 1.25 GiB vs 10 GiB for a 4096-token sequence; 16 of them 20 vs 160 GiB."""
    with torch.device("meta"):  # shapes only, no memory
        gqa = GroupedQueryAttention(GQAConfig(8192, 64, 8))
        mha = GroupedQueryAttention(GQAConfig(8192, 64, 64))
    n_gqa = sum(p.numel() for p in gqa.parameters())
    n_mha = sum(p.numel() for p in mha.parameters())
    assert round(n_gqa / 1e6) == 151 and round(n_mha / 1e6) == 268
    assert n_gqa / n_mha == 0.5625

    def cache_bytes(h_kv, tokens, batch=1):  # 80 layers of our cache, built on the meta device
        layer = LayerKVCache(batch, h_kv, tokens, 128, dtype=torch.bfloat16, device="meta")
        return 80 * (layer.k.nbytes + layer.v.nbytes)

    assert cache_bytes(8, 1) == 320 * 2**10 and cache_bytes(64, 1) == 2.5 * 2**20
    assert cache_bytes(1, 1) == 40 * 2**10
    assert cache_bytes(8, 4096) == 1.25 * 2**30 and cache_bytes(64, 4096) == 10 * 2**30
    assert cache_bytes(8, 4096, batch=16) == 20 * 2**30 and cache_bytes(64, 4096, batch=16) == 160 * 2**30


def test_repeat_kv_groups_consecutive_heads():
    k = torch.arange(2.0).view(1, 2, 1, 1)  # KV head 0 holds 0, head 1 holds 1
    assert repeat_kv(k, 3).flatten().tolist() == [0, 0, 0, 1, 1, 1]


def test_errors():
    q, k, v = _qkv(h=6, h_kv=4)
    with pytest.raises(ValueError, match="multiple of key/value heads"):
        grouped_query_attention(q, k, v)
    with pytest.raises(ValueError, match="multiple of"):
        GQAConfig(16, 4, 3)
    with pytest.raises(ValueError, match="n_rep"):
        repeat_kv(k, 0)
    with pytest.raises(ValueError, match="repeat_kv"):
        scaled_dot_product_attention(q, k, v)
