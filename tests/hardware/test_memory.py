"""Memory arithmetic against transformers' Llama (parameter counts), our KV cache and torch's AdamW state."""

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from mlatlas.hardware import memory as mem
from mlatlas.transformers.kv_cache import KVCache
from mlatlas.transformers.modern_transformer_anatomy import DecoderConfig, ModernDecoder
from mlatlas.verification import verifies


@pytest.mark.parametrize("shape", mem.MODELS, ids=lambda s: s.name)
@verifies(
    "gpus-and-accelerators",
    against="transformers LlamaForCausalLM parameter count",
    tol="exact",
    note="the four 1B-70B shapes built on the meta device (no memory), every parameter counted",
)
def test_parameter_count_matches_transformers_llama(shape):
    cfg = LlamaConfig(
        vocab_size=shape.vocab_size,
        hidden_size=shape.hidden_size,
        intermediate_size=shape.intermediate_size,
        num_hidden_layers=shape.num_hidden_layers,
        num_attention_heads=shape.num_attention_heads,
        num_key_value_heads=shape.num_key_value_heads,
        tie_word_embeddings=shape.tie_word_embeddings,
    )
    with torch.device("meta"):
        model = LlamaForCausalLM(cfg)
    assert mem.parameter_count(shape) == sum(p.numel() for p in model.parameters())


@verifies(
    "gpus-and-accelerators",
    against="KV cache allocated by mlatlas.transformers.kv_cache",
    tol="exact",
    note="2 L H_kv D T B values, float32, grouped-query heads",
)
def test_kv_cache_bytes_match_an_allocated_cache():
    cfg = DecoderConfig(
        vocab_size=50, d_model=32, num_layers=3, num_heads=4, num_key_value_heads=2, intermediate_size=64
    )
    model = ModernDecoder(cfg)
    shape = mem.DecoderShape("tiny", 50, 32, 64, 3, 4, 2, False)
    assert shape.head_dim == cfg.head_dim
    cache = KVCache(model, batch=3, max_len=17)
    assert cache.nbytes() == mem.kv_cache_bytes(shape, tokens=17, batch=3, bytes_per_value=4)


@verifies(
    "gpus-and-accelerators",
    against="torch.optim.AdamW state",
    tol="exact",
    note="12 bytes of float32 master weights and moments per parameter, 2 + 2 for bf16 weights and grads",
)
def test_sixteen_bytes_per_parameter_for_mixed_precision_adam():
    torch.manual_seed(0)
    master = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.GELU(), torch.nn.Linear(16, 4))  # float32
    n = sum(p.numel() for p in master.parameters())
    opt = torch.optim.AdamW(master.parameters())
    master(torch.randn(5, 8)).sum().backward()
    opt.step()
    moments = sum(t.nbytes for s in opt.state.values() for t in s.values() if t.dim() > 0)
    master_bytes = sum(p.nbytes for p in master.parameters())
    low = [
        p.detach().to(torch.bfloat16) for p in master.parameters()
    ]  # the bf16 copy the model computes with
    low_bytes = sum(p.nbytes for p in low)
    training = mem.training_memory(mem.DecoderShape("tiny", 1, 8, 8, 1, 1, 1, True))
    n_tiny = mem.parameter_count(mem.DecoderShape("tiny", 1, 8, 8, 1, 1, 1, True))
    assert moments + master_bytes == 12 * n and training.optimizer == 12 * n_tiny
    assert low_bytes == 2 * n and training.weights == training.gradients == 2 * n_tiny


def test_activations_and_kv_cache_scale_as_they_should():
    shape = mem.MODELS[1]
    one, two = mem.activation_bytes(shape, 1024), mem.activation_bytes(shape, 2048)
    assert two == pytest.approx(2 * one)  # linear in tokens (no T x T term with a fused kernel)
    assert mem.activation_bytes(shape, 1024, checkpointing=False) > 5 * one  # checkpointing saves a lot
    assert mem.kv_cache_bytes(shape, 8192) == 2 * 32 * 8 * 128 * 8192 * 2  # 1.07 GB for Llama 3.1 8B
    # GQA's saving: Llama 2 13B caches every one of its 40 heads, 6.7 GB at 8192 tokens
    assert round(mem.kv_cache_bytes(mem.MODELS[2], 8192) / 1e9, 1) == 6.7


def test_the_verdicts_the_page_states():
    rows = {r.model: r for r in mem.memory_table()}
    where = {name: tuple(mem.verdict(x) for x in r[2:]) for name, r in rows.items()}
    (laptop, _), (gpu, _), (node, _) = mem.DEVICES
    beyond = "more than one node"
    assert where["Llama 3.2 1B"] == (laptop, laptop, gpu)
    assert where["Llama 3.1 8B"] == (gpu, laptop, node)
    assert where["Llama 2 13B"] == (gpu, laptop, node)
    assert where["Llama 3.1 70B"] == (node, gpu, beyond)
    assert [round(r.parameters / 1e9, 2) for r in rows.values()] == [1.24, 8.03, 13.02, 70.55]
    assert round(rows["Llama 3.1 8B"].inference_bf16 / 1e9) == 17  # just over a 16 GB laptop
    cells = mem.page_values()
    assert (
        cells["8b_training"] == "132 GB: 8-GPU node"
        and cells["70b_training"] == "1,137 GB: more than one node"
    )


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="weight_bits"):
        mem.inference_memory(mem.MODELS[0], weight_bits=3)


def test_figure_returns_a_figure():
    from matplotlib.figure import Figure

    from mlatlas.hardware.figures.memory import memory_by_model

    assert isinstance(memory_by_model(), Figure)


def test_the_kv_cache_pages_seven_billion_example():
    """kv-cache page: a 7B model with 32 layers and 32 key/value heads of width 128 in float16 caches
    0.5 MiB per token, 2 GiB for one 4096-token sequence (Llama 2 7B's shape)."""
    llama2_7b = mem.DecoderShape("Llama 2 7B", 32000, 4096, 11008, 32, 32, 32, False)
    assert mem.kv_cache_bytes(llama2_7b, tokens=1) == 0.5 * 2**20
    assert mem.kv_cache_bytes(llama2_7b, tokens=4096) == 2 * 2**30
