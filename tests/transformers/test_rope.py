"""RoPE vs transformers' Llama rotary code, plus the relative-position property."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import LlamaConfig
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding, apply_rotary_pos_emb
from transformers.models.llama.modeling_llama import rotate_half as hf_rotate_half

from mlatlas.transformers.rope import RotaryEmbedding, apply_rope, rope_cos_sin, rotate_half
from mlatlas.verification import verifies

# Llama's rotary code computes its angles p * theta in float32 (inv_freq and position_ids .float()), so
# its cos/sin carry an error of about p * 2^-24 rad: < 2e-5 for the positions p < 300 compared here.
# Ours builds the angles in float64 before casting (checked against the float64 formula below), so
# the comparison with Llama is at float32 tolerance widened to 5e-5 for that angle error.
TOL32 = 5e-5
TOL64 = 1e-12


def _config(head_dim=16, theta=10000.0):
    return LlamaConfig(
        hidden_size=head_dim * 2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=512,
        rope_parameters={"rope_type": "default", "rope_theta": theta},
    )


@verifies(
    "rope", against="transformers Llama rotary embedding", tol=TOL32, note="cos/sin tables and rotated q, k"
)
@pytest.mark.parametrize("theta", [10000.0, 500000.0])
def test_matches_llama_rotary(theta):
    ref = LlamaRotaryEmbedding(_config(theta=theta))
    positions = torch.arange(300)[None]  # (1, T)
    x = torch.randn(1, 2, 300, 16, generator=torch.Generator().manual_seed(0))
    cos_ref, sin_ref = ref(x, positions)
    cos, sin = rope_cos_sin(positions, 16, theta)
    torch.testing.assert_close(cos, cos_ref, rtol=TOL32, atol=TOL32)
    torch.testing.assert_close(sin, sin_ref, rtol=TOL32, atol=TOL32)
    k = torch.randn_like(x)
    q_ref, k_ref = apply_rotary_pos_emb(x, k, cos_ref, sin_ref)
    torch.testing.assert_close(apply_rope(x, cos, sin), q_ref, rtol=TOL32, atol=TOL32)
    torch.testing.assert_close(apply_rope(k, cos, sin), k_ref, rtol=TOL32, atol=TOL32)
    torch.testing.assert_close(rotate_half(x), hf_rotate_half(x), rtol=0, atol=0)


@verifies("rope", against="rotation-invariance property", tol=TOL64, note="Hypothesis, float64")
@settings(max_examples=25, deadline=None)
@given(m=st.integers(0, 2000), n=st.integers(0, 2000), shift=st.integers(-500, 500), seed=st.integers(0, 999))
def test_scores_depend_only_on_relative_position(m, n, shift, seed):
    """<R_m q, R_n k> = <R_{m+s} q, R_{n+s} k>: the score sees only n - m."""
    g = torch.Generator().manual_seed(seed)
    q, k = torch.randn(2, 1, 1, 1, 16, generator=g, dtype=torch.float64)
    m2, n2 = max(m + shift, 0), max(n + shift, 0)
    shift = min(m2 - m, n2 - n)
    m2, n2 = m + shift, n + shift

    def score(a, b):
        ca, sa = rope_cos_sin(torch.tensor([a]), 16, dtype=torch.float64)
        cb, sb = rope_cos_sin(torch.tensor([b]), 16, dtype=torch.float64)
        return (apply_rope(q, ca, sa) * apply_rope(k, cb, sb)).sum()

    torch.testing.assert_close(score(m, n), score(m2, n2), rtol=1e-10, atol=1e-10)


def test_tables_match_float64_formula():
    p = torch.arange(300, dtype=torch.float64)[:, None]
    i = torch.arange(8, dtype=torch.float64)
    angles = p * 10000.0 ** (-2 * i / 16)
    cos, sin = rope_cos_sin(torch.arange(300), 16, dtype=torch.float64)
    torch.testing.assert_close(cos, torch.cat([angles.cos()] * 2, -1), rtol=TOL64, atol=TOL64)
    torch.testing.assert_close(sin, torch.cat([angles.sin()] * 2, -1), rtol=TOL64, atol=TOL64)


def test_rotation_preserves_norm():
    x = torch.randn(1, 2, 50, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    cos, sin = rope_cos_sin(torch.arange(50), 16, dtype=torch.float64)
    torch.testing.assert_close(apply_rope(x, cos, sin).norm(dim=-1), x.norm(dim=-1), rtol=TOL64, atol=TOL64)


def test_position_zero_is_identity_and_module_lookup():
    x = torch.randn(1, 2, 1, 16, dtype=torch.float64)
    rot = RotaryEmbedding(16, max_positions=32)
    cos, sin = rot(torch.tensor([0]), dtype=torch.float64)
    torch.testing.assert_close(apply_rope(x, cos, sin), x)
    c_batched, _ = rot(torch.arange(6).view(2, 3))
    assert c_batched.shape == (2, 3, 16)
    with pytest.raises(ValueError, match="max_positions"):
        rot(torch.tensor([32]))


def test_errors():
    with pytest.raises(ValueError, match="even head_dim"):
        rope_cos_sin(torch.arange(3), 15)
    with pytest.raises(ValueError, match="do not fit"):
        apply_rope(torch.randn(1, 1, 3, 8), *rope_cos_sin(torch.arange(3), 16))


def test_long_range_decay_numbers_in_alt_text():
    """The figure's right panel (and its alt text): <x, R_n x> / D averaged over random x is 1 at
    offset 0 and about 0.2 at offset 500. Its expectation is trace(R_n) / D = mean_i cos(n theta_i)."""
    eye = torch.eye(64, dtype=torch.float64)[None, None]  # (1, 1, D, D): rows are basis vectors
    expected = []
    for n in (0, 500):
        cos, sin = rope_cos_sin(torch.full((64,), n), 64, dtype=torch.float64)
        expected.append(torch.diagonal(apply_rope(eye, cos, sin)[0, 0]).mean().item())  # trace(R_n) / D
    assert expected[0] == pytest.approx(1.0, abs=1e-12) and 0.15 < expected[1] < 0.25
    from mlatlas.transformers.figures.rope import scores_depend_on_offset

    fig = scores_depend_on_offset()
    (line,) = [ln for ax in fig.axes for ln in ax.get_lines()]
    y = line.get_ydata()
    assert abs(y[0] - 1) < 0.05 and 0.15 < y[500] < 0.25  # what the alt text quotes
