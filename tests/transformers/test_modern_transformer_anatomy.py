"""The Llama-style block and model vs transformers' LlamaDecoderLayer / LlamaForCausalLM, shared weights."""

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM
from transformers.models.llama.modeling_llama import LlamaDecoderLayer, LlamaRotaryEmbedding

from mlatlas.transformers.modern_transformer_anatomy import DecoderBlock, DecoderConfig, ModernDecoder
from mlatlas.transformers.rope import rope_cos_sin
from mlatlas.verification import verifies

# Llama's RMSNorm casts to float32 internally (hidden_states.to(torch.float32)) and its rotary code builds
# the angles in float32, so even in float64 the reference is only float32-accurate; the comparison uses
# 1e-5 for that reason (ours stays in float64: see test_rmsnorm and test_rope for the tight checks).
TOL = 1e-5

CFG = DecoderConfig(
    vocab_size=50,
    d_model=32,
    num_layers=2,
    num_heads=4,
    num_key_value_heads=2,
    intermediate_size=48,
    max_positions=64,
)


def _llama_config():
    return LlamaConfig(
        vocab_size=CFG.vocab_size,
        hidden_size=CFG.d_model,
        intermediate_size=CFG.intermediate_size,
        num_hidden_layers=CFG.num_layers,
        num_attention_heads=CFG.num_heads,
        num_key_value_heads=CFG.num_key_value_heads,
        max_position_embeddings=CFG.max_positions,
        rms_norm_eps=CFG.rms_norm_eps,
        rope_parameters={"rope_type": "default", "rope_theta": CFG.rope_theta},
        hidden_act="silu",
        attention_bias=False,
        mlp_bias=False,
        tie_word_embeddings=False,
        attn_implementation="sdpa",
    )


def _randomise(module):
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(0, 0.3)  # RMSNorm gains start at 1: randomise so they are really compared


@verifies(
    "modern-transformer-anatomy",
    against="transformers LlamaDecoderLayer",
    tol=TOL,
    note="shared weights, float64 inputs; outputs and input gradients",
)
def test_block_matches_llama_decoder_layer():
    torch.manual_seed(0)
    config = _llama_config()
    ref = LlamaDecoderLayer(config, layer_idx=0).to(torch.float64)
    _randomise(ref)
    ours = DecoderBlock(CFG, dtype=torch.float64)
    missing, unexpected = ours.load_state_dict(ref.state_dict(), strict=True)
    assert not missing and not unexpected  # same parameter names, one to one
    x = torch.randn(2, 9, CFG.d_model, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    positions = torch.arange(9)[None].expand(2, -1)
    cos_ref, sin_ref = LlamaRotaryEmbedding(config)(x, positions)
    causal = torch.full((9, 9), float("-inf"), dtype=torch.float64).triu(1)[None, None]
    y_ref = ref(x2, attention_mask=causal, position_embeddings=(cos_ref, sin_ref))
    y_ours = ours(x1, rope_cos_sin(torch.arange(9), CFG.head_dim, dtype=torch.float64))
    torch.testing.assert_close(y_ours, y_ref, rtol=TOL, atol=TOL)
    y_ours.square().sum().backward()
    y_ref.square().sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=TOL, atol=TOL * 10)  # larger values: looser atol


@verifies(
    "modern-transformer-anatomy",
    against="transformers LlamaForCausalLM",
    tol=TOL,
    note="whole model, shared weights, logits",
)
def test_model_logits_match_llama_for_causal_lm():
    torch.manual_seed(0)
    ref = LlamaForCausalLM(_llama_config()).to(torch.float64).eval()
    _randomise(ref)
    ours = ModernDecoder(CFG, dtype=torch.float64)
    state = {k.removeprefix("model."): v for k, v in ref.state_dict().items()}
    missing, unexpected = ours.load_state_dict(state, strict=False)
    assert not missing and not unexpected
    ids = torch.randint(0, CFG.vocab_size, (2, 11), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        torch.testing.assert_close(ours(ids), ref(ids).logits, rtol=TOL, atol=TOL)


def test_causality_future_tokens_do_not_change_past_logits():
    torch.manual_seed(0)
    model = ModernDecoder(CFG, dtype=torch.float64)
    ids = torch.randint(0, CFG.vocab_size, (1, 10), generator=torch.Generator().manual_seed(3))
    ids2 = ids.clone()
    ids2[0, 7:] = (ids2[0, 7:] + 1) % CFG.vocab_size
    with torch.no_grad():
        torch.testing.assert_close(model(ids)[:, :7], model(ids2)[:, :7], rtol=1e-12, atol=1e-12)


def test_errors():
    with pytest.raises(ValueError, match="multiple of"):
        DecoderConfig(num_heads=4, num_key_value_heads=3)
    model = ModernDecoder(CFG)
    with pytest.raises(ValueError, match="max_positions"):
        model(torch.zeros(1, 65, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        model(torch.zeros(5, dtype=torch.long))
