"""Whisper's front end vs WhisperFeatureExtractor; the encoder-decoder vs WhisperModel with shared weights."""

import math
import re

import numpy as np
import pytest
import torch
from transformers import WhisperConfig as HFWhisperConfig
from transformers import WhisperFeatureExtractor, WhisperModel
from transformers.audio_utils import mel_filter_bank as hf_mel_filter_bank

from mlatlas.architectures.whisper import (
    Whisper,
    WhisperConfig,
    log_mel_spectrogram,
    mel_filter_bank,
    sinusoids,
)
from mlatlas.verification import verifies

TOL = 1e-10  # float64
FEATURE_TOL = 1e-5  # float32 features, as transformers' own docstring promises between its two paths


def chirp(seconds: float = 3.0, f0: float = 100.0, f1: float = 6000.0) -> np.ndarray:
    """A linear sweep from f0 to f1 Hz at 16 kHz with a little seeded noise."""
    t = np.arange(int(16_000 * seconds)) / 16_000
    phase = 2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * seconds))
    return (0.5 * np.sin(phase) + 0.01 * np.random.default_rng(0).standard_normal(t.size)).astype(np.float32)


@verifies(
    "whisper",
    against="transformers WhisperFeatureExtractor",
    tol=FEATURE_TOL,
    note="log-mel features of a 3 s 100-6000 Hz chirp padded to 30 s, 80 channels x 3000 frames",
)
def test_log_mel_matches_whisper_feature_extractor():
    audio = chirp()
    ref = WhisperFeatureExtractor()(audio, sampling_rate=16_000, return_tensors="np").input_features
    ours = log_mel_spectrogram(torch.from_numpy(audio)[None], dtype=torch.float32)  # the reference's dtype
    assert ours.shape == (1, 80, 3000)
    np.testing.assert_allclose(ours.numpy(), ref, rtol=0, atol=FEATURE_TOL)
    # In float64 two of the 240,000 features move by 1.8e-5: float32 rounding in the reference, whose own
    # numpy and torch paths differ by exactly that much on this chirp. Hence 2e-5 here, not 1e-5.
    ours64 = log_mel_spectrogram(torch.from_numpy(audio)[None])
    np.testing.assert_allclose(ours64.numpy(), ref, rtol=0, atol=2e-5)


def test_mel_filter_bank_matches_transformers():
    ref = hf_mel_filter_bank(
        num_frequency_bins=201,
        num_mel_filters=80,
        min_frequency=0.0,
        max_frequency=8000.0,
        sampling_rate=16_000,
        norm="slaney",
        mel_scale="slaney",
    )
    np.testing.assert_allclose(mel_filter_bank().numpy(), ref, rtol=1e-10, atol=1e-12)


def test_front_end_rejects_bad_shapes():
    with pytest.raises(ValueError, match="audio must be"):
        log_mel_spectrogram(torch.zeros(100))


RULES = [
    (r"^encoder\.conv", "conv"),
    (r"^encoder\.layer_norm", "encoder_norm"),
    (r"^encoder\.layers\.(\d+)\.self_attn_layer_norm", r"encoder_blocks.\1.norm1"),
    (r"^encoder\.layers\.(\d+)\.final_layer_norm", r"encoder_blocks.\1.norm2"),
    (r"^encoder\.layers\.(\d+)\.self_attn\.", r"encoder_blocks.\1.attn."),
    (r"^encoder\.layers\.(\d+)\.fc1", r"encoder_blocks.\1.mlp.0"),
    (r"^encoder\.layers\.(\d+)\.fc2", r"encoder_blocks.\1.mlp.2"),
    (r"^decoder\.embed_tokens", "token_embedding"),
    (r"^decoder\.embed_positions\.weight", "text_positions"),
    (r"^decoder\.layer_norm", "decoder_norm"),
    (r"^decoder\.layers\.(\d+)\.self_attn_layer_norm", r"decoder_blocks.\1.self_attn_norm"),
    (r"^decoder\.layers\.(\d+)\.encoder_attn_layer_norm", r"decoder_blocks.\1.cross_attn_norm"),
    (r"^decoder\.layers\.(\d+)\.final_layer_norm", r"decoder_blocks.\1.mlp_norm"),
    (r"^decoder\.layers\.(\d+)\.self_attn\.", r"decoder_blocks.\1.self_attn."),
    (r"^decoder\.layers\.(\d+)\.encoder_attn\.", r"decoder_blocks.\1.cross_attn."),
    (r"^decoder\.layers\.(\d+)\.fc1", r"decoder_blocks.\1.mlp.0"),
    (r"^decoder\.layers\.(\d+)\.fc2", r"decoder_blocks.\1.mlp.2"),
]


def shared_pair():
    hf_cfg = HFWhisperConfig(
        vocab_size=50,
        num_mel_bins=8,
        d_model=16,
        encoder_layers=2,
        decoder_layers=2,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_source_positions=10,
        max_target_positions=12,
        activation_function="gelu",
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,
        decoder_start_token_id=1,
    )
    torch.manual_seed(0)
    ref = WhisperModel._from_config(hf_cfg, attn_implementation="sdpa").double().eval()
    with torch.no_grad():  # random LayerNorm affines so the test sees them
        for name, p in ref.named_parameters():
            if "layer_norm" in name:
                p.add_(0.1 * torch.randn_like(p))
    ours = (
        Whisper(
            WhisperConfig(
                n_mels=8,
                n_audio_ctx=10,
                n_text_ctx=12,
                vocab_size=50,
                width=16,
                num_heads=2,
                encoder_layers=2,
                decoder_layers=2,
            )
        )
        .double()
        .eval()
    )
    state = {}
    for key, value in ref.state_dict().items():
        if key == "encoder.embed_positions.weight":
            continue  # fixed sinusoids: a buffer in ours, compared in its own test
        for pattern, repl in RULES:
            key = re.sub(pattern, repl, key)
        state[key] = value
    for key in list(state):  # Whisper's keys have no bias (it would cancel in the softmax anyway)
        if key.endswith("k_proj.weight"):
            state[key.replace("weight", "bias")] = torch.zeros(16, dtype=torch.float64)
    ours.load_state_dict(state, strict=True)
    ours.audio_positions = (
        ref.encoder.embed_positions.weight.detach().clone()
    )  # fixed, made in float32 by both
    return ours, ref


@verifies(
    "whisper",
    against="transformers WhisperModel",
    tol=TOL,
    note="float64, shared weights: encoder states, decoder states and their gradients",
)
def test_encoder_decoder_matches_whisper_model():
    ours, ref = shared_pair()
    g = torch.Generator().manual_seed(1)
    mel = torch.randn(2, 8, 20, generator=g, dtype=torch.float64)
    tokens = torch.randint(0, 50, (2, 7), generator=g)
    out = ref(input_features=mel, decoder_input_ids=tokens)
    audio = ours.encode(mel)
    torch.testing.assert_close(audio, out.encoder_last_hidden_state, rtol=TOL, atol=TOL)
    h = ours.decode(tokens, audio)
    torch.testing.assert_close(h, out.last_hidden_state, rtol=TOL, atol=TOL)
    h.pow(2).sum().backward()
    out.last_hidden_state.pow(2).sum().backward()
    torch.testing.assert_close(ours.conv1.weight.grad, ref.encoder.conv1.weight.grad, rtol=TOL, atol=TOL)
    torch.testing.assert_close(
        ours.decoder_blocks[1].cross_attn.v_proj.weight.grad,
        ref.decoder.layers[1].encoder_attn.v_proj.weight.grad,
        rtol=TOL,
        atol=TOL,
    )
    with pytest.raises(ValueError, match="pad or cut"):
        ours.encode(mel[:, :, :18])


def test_sinusoids_match_whisper_and_key_bias_cancels():
    ours, ref = shared_pair()
    torch.testing.assert_close(
        sinusoids(10, 16).double(), ref.encoder.embed_positions.weight, rtol=1e-6, atol=1e-6
    )
    assert math.isclose(float(sinusoids(1500, 384)[0, 0]), 0.0) and float(sinusoids(1500, 384)[0, 200]) == 1.0
    # a bias on the keys adds q.b to every score of a row: softmax ignores it
    mel = torch.randn(1, 8, 20, dtype=torch.float64)
    before = ours.encode(mel)
    with torch.no_grad():
        ours.encoder_blocks[0].attn.k_proj.bias.normal_()
    torch.testing.assert_close(ours.encode(mel), before, rtol=TOL, atol=TOL)
