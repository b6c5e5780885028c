"""Parameter arithmetic against transformers' Mixtral and Llama models built from tiny configs."""

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM, MixtralConfig, MixtralForCausalLM

from mlatlas.architectures.model_arithmetic import (
    MIXTRAL_8X7B,
    DecoderShape,
    forward_flops_per_token,
    parameter_counts,
)
from mlatlas.verification import verifies


@verifies(
    "mixture-of-experts-explainer",
    against="transformers MixtralForCausalLM parameter count",
    tol=0,
    note="exact integer count on tiny configs, E = 4 and 8, k = 1 and 2, tied and untied",
)
@pytest.mark.parametrize("experts,top_k,tied", [(4, 2, False), (8, 1, True)])
def test_moe_counts_match_mixtral(experts, top_k, tied):
    shape = DecoderShape(
        vocab_size=50,
        d_model=32,
        n_layers=2,
        n_heads=4,
        n_kv_heads=2,
        d_ff=48,
        num_experts=experts,
        top_k=top_k,
        tied_embeddings=tied,
    )
    cfg = MixtralConfig(
        vocab_size=50,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=48,
        num_local_experts=experts,
        num_experts_per_tok=top_k,
        tie_word_embeddings=tied,
    )
    with torch.device("meta"):
        model = MixtralForCausalLM(cfg)
    assert parameter_counts(shape).total == sum(p.numel() for p in model.parameters())


@verifies(
    "gpt4-and-gemini",
    against="transformers LlamaForCausalLM parameter count",
    tol=0,
    note="exact integer count of a dense model with grouped-query attention",
)
def test_dense_counts_match_llama():
    shape = DecoderShape(vocab_size=64, d_model=48, n_layers=3, n_heads=6, n_kv_heads=2, d_ff=80)
    cfg = LlamaConfig(
        vocab_size=64,
        hidden_size=48,
        num_hidden_layers=3,
        num_attention_heads=6,
        num_key_value_heads=2,
        intermediate_size=80,
        tie_word_embeddings=False,
    )
    with torch.device("meta"):
        model = LlamaForCausalLM(cfg)
    counts = parameter_counts(shape)
    assert counts.total == counts.active == sum(p.numel() for p in model.parameters())


def test_mixtral_8x7b_totals_match_the_paper():
    c = parameter_counts(MIXTRAL_8X7B)
    assert round(c.total / 1e9, 1) == 46.7  # Jiang et al. 2024: "47B parameters"
    assert round(c.active / 1e9, 1) == 12.9  # "13B active parameters"
    assert round(c.expert / 1e6, 1) == 176.2  # one expert, 3 x 4096 x 14336
    assert round(c.total / c.active, 1) == 3.6  # the page: "3.6 times as many weights" as it uses
    flops = forward_flops_per_token(MIXTRAL_8X7B, context=4096)
    assert round(flops / 1e9, 1) == 26.6  # ~2 x 12.6B active matmul parameters + attention


def test_arithmetic_rejects_bad_shapes():
    with pytest.raises(ValueError, match="top_k"):
        DecoderShape(100, 32, 2, 4, 2, 64, num_experts=4, top_k=5)
    with pytest.raises(ValueError, match="n_heads"):
        DecoderShape(100, 30, 2, 4, 2, 64)
