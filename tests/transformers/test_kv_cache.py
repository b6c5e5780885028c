"""KV-cache decoding gives the same logits and tokens as recomputing the full forward at every step."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.transformers.kv_cache import KVCache, LayerKVCache, generate
from mlatlas.transformers.modern_transformer_anatomy import DecoderConfig, ModernDecoder
from mlatlas.verification import verifies


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Run this module on one intra-op thread (restored afterwards): its loops of small ops are several
    times slower when two threads contend on a shared 2-core machine, and the results do not depend on it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


TOL64 = 1e-10
CFG = DecoderConfig(
    vocab_size=40,
    d_model=32,
    num_layers=2,
    num_heads=4,
    num_key_value_heads=2,
    intermediate_size=48,
    max_positions=64,
)


def _model():
    torch.manual_seed(0)
    return ModernDecoder(CFG, dtype=torch.float64).eval()


MODEL = _model()


@verifies(
    "kv-cache",
    against="full forward without cache",
    tol=TOL64,
    note="float64 logits; greedy tokens identical",
)
@settings(max_examples=15, deadline=None)  # each example decodes twice; 15 keeps the file fast
@given(batch=st.integers(1, 2), prompt_len=st.integers(1, 6), new=st.integers(1, 6), seed=st.integers(0, 999))
def test_cache_equals_full_forward(batch, prompt_len, new, seed):
    prompt = torch.randint(
        0, CFG.vocab_size, (batch, prompt_len), generator=torch.Generator().manual_seed(seed)
    )
    cached = generate(MODEL, prompt, new, use_cache=True)
    full = generate(MODEL, prompt, new, use_cache=False)
    assert torch.equal(cached.tokens, full.tokens)
    torch.testing.assert_close(cached.logits, full.logits, rtol=TOL64, atol=TOL64)


def test_chunked_prefill_equals_one_prefill():
    ids = torch.randint(0, CFG.vocab_size, (2, 12), generator=torch.Generator().manual_seed(1))
    cache = KVCache(MODEL, 2, 12)
    with torch.no_grad():
        parts = [
            MODEL(ids[:, :5], cache=cache),
            MODEL(ids[:, 5:9], cache=cache),
            MODEL(ids[:, 9:], cache=cache),
        ]
        torch.testing.assert_close(torch.cat(parts, 1), MODEL(ids), rtol=TOL64, atol=TOL64)
    assert cache.seq_len == 12


def test_cache_size_accounts_for_gqa():
    cache = KVCache(MODEL, batch=1, max_len=10)
    # 2 (K and V) x 2 layers x 1 x 2 KV heads x 10 x 8 head dims x 8 bytes
    assert cache.nbytes() == 2 * 2 * 1 * 2 * 10 * 8 * 8


def test_cache_size_of_a_7b_model_quoted_on_the_page():
    """Llama-2-7B shape (32 layers, 32 KV heads of width 128, float16), built on the meta device:
    0.5 MiB per token, 2 GiB for one 4096-token sequence, and about 7B parameters."""
    cfg = DecoderConfig(
        vocab_size=32000,
        d_model=4096,
        num_layers=32,
        num_heads=32,
        num_key_value_heads=32,
        intermediate_size=11008,
        max_positions=4096,
    )
    with torch.device("meta"):  # shapes only, no memory
        model = ModernDecoder(cfg, dtype=torch.float16)
    assert 6.5e9 < sum(p.numel() for p in model.parameters()) < 7.0e9
    assert KVCache(model, batch=1, max_len=1).nbytes() == 2**19  # 0.5 MiB per token
    assert KVCache(model, batch=1, max_len=4096).nbytes() == 2 * 2**30  # 2 GiB


def test_errors():
    layer = LayerKVCache(1, 2, 3, 4)
    layer.update(torch.zeros(1, 2, 3, 4), torch.zeros(1, 2, 3, 4))
    with pytest.raises(ValueError, match="cache full"):
        layer.update(torch.zeros(1, 2, 1, 4), torch.zeros(1, 2, 1, 4))
    with pytest.raises(ValueError, match="max_new_tokens"):
        generate(MODEL, torch.zeros(1, 2, dtype=torch.long), 0)
    with pytest.raises(ValueError, match="prompt"):
        generate(MODEL, torch.zeros(3, dtype=torch.long), 2)
