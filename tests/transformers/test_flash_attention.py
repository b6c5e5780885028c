"""Tiled online-softmax attention vs SDPA and vs our naive attention; its memory grows linearly in T."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.transformers.attention import scaled_dot_product_attention
from mlatlas.transformers.flash_attention import peak_memory_bytes, tiled_attention
from mlatlas.verification import verifies


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Run this module on one intra-op thread (restored afterwards): its loops of small ops are several
    times slower when two threads contend on a shared 2-core machine, and the results do not depend on it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


TOL64 = 1e-12
TOL32 = 1e-5


def _qkv(b=1, h=2, t_q=13, t_k=13, d=8, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(b, h, t, d, generator=g, dtype=torch.float64).to(dtype) for t in (t_q, t_k, t_k))


@verifies(
    "flash-attention",
    against="torch scaled_dot_product_attention",
    tol=TOL64,
    note="float64, every tile size",
)
@settings(max_examples=25, deadline=None)
@given(
    t_q=st.integers(1, 20),
    t_k=st.integers(1, 20),
    block_q=st.integers(1, 21),
    block_k=st.integers(1, 21),
    causal=st.booleans(),
    seed=st.integers(0, 999),
)
def test_tiled_equals_sdpa_and_naive_for_every_tile_size(t_q, t_k, block_q, block_k, causal, seed):
    q, k, v = _qkv(t_q=t_q, t_k=t_k, seed=seed)
    out = tiled_attention(q, k, v, is_causal=causal, block_q=block_q, block_k=block_k)
    torch.testing.assert_close(
        out, F.scaled_dot_product_attention(q, k, v, is_causal=causal), rtol=TOL64, atol=TOL64
    )
    torch.testing.assert_close(
        out, scaled_dot_product_attention(q, k, v, is_causal=causal), rtol=TOL64, atol=TOL64
    )


@verifies("flash-attention", against="torch scaled_dot_product_attention", tol=TOL32, note="float32, T=200")
def test_float32_longer_sequence():
    q, k, v = _qkv(h=4, t_q=200, t_k=200, d=16, dtype=torch.float32)
    for causal in (False, True):
        torch.testing.assert_close(
            tiled_attention(q, k, v, is_causal=causal, block_q=64, block_k=48),
            F.scaled_dot_product_attention(q, k, v, is_causal=causal),
            rtol=TOL32,
            atol=TOL32,
        )


def test_large_logits_and_half_precision():
    q, k, v = _qkv(t_q=40, t_k=40)
    torch.testing.assert_close(
        tiled_attention(q * 300, k, v, block_k=7),
        F.scaled_dot_product_attention(q * 300, k, v),
        rtol=1e-9,
        atol=1e-9,
    )
    for dtype in (torch.float16, torch.bfloat16):
        qh, kh, vh = (t.to(dtype) for t in (q * 20, k, v))
        out = tiled_attention(qh, kh, vh, is_causal=True, block_q=16, block_k=16)
        assert out.dtype == dtype and torch.isfinite(out).all()
        ref = F.scaled_dot_product_attention(qh.double(), kh.double(), vh.double(), is_causal=True)
        torch.testing.assert_close(out.double(), ref, rtol=1e-2, atol=5e-2)


def test_rectangular_causal_and_empty_keys():
    q, k, v = _qkv(t_q=6, t_k=3)
    out = tiled_attention(q, k, v, is_causal=True, block_q=2, block_k=2)  # top-left: every row sees key 0
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True))
    empty = tiled_attention(q, k[..., :0, :], v[..., :0, :])
    assert empty.shape == q.shape and (empty == 0).all()


@verifies(
    "flash-attention", against="peak memory measured O(T)", tol="ratio 2T/T < 2.6", note="torch profiler"
)
def test_peak_memory_grows_linearly_while_naive_grows_quadratically():
    def peaks(fn, t):
        q, k, v = _qkv(h=2, t_q=t, t_k=t, d=16, dtype=torch.float32)
        return peak_memory_bytes(fn, q, k, v)

    tiled = lambda q, k, v: tiled_attention(q, k, v, block_q=64, block_k=64)
    t1, t2 = peaks(tiled, 512), peaks(tiled, 1024)
    n1, n2 = peaks(scaled_dot_product_attention, 512), peaks(scaled_dot_product_attention, 1024)
    assert t2 / t1 < 2.6  # linear: doubling T about doubles the memory (the output itself doubles)
    assert n2 / n1 > 3.5  # quadratic: the (T, T) score matrix quadruples
    assert t2 < n2 / 10


def test_errors():
    q, k, v = _qkv()
    with pytest.raises(ValueError, match="block sizes"):
        tiled_attention(q, k, v, block_q=0)
    with pytest.raises(ValueError, match="head width"):
        tiled_attention(q, k[..., :4], v)


def test_very_long_sequence_float32():
    """T = 4096: tiled attention still equals SDPA (the naive path would hold a 64 MiB score matrix here)."""
    q, k, v = _qkv(h=1, t_q=4096, t_k=4096, d=8, dtype=torch.float32, seed=5)
    for causal in (False, True):
        torch.testing.assert_close(
            tiled_attention(q, k, v, is_causal=causal, block_q=512, block_k=512),
            F.scaled_dot_product_attention(q, k, v, is_causal=causal),
            rtol=TOL32,
            atol=TOL32,
        )
