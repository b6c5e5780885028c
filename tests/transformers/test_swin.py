"""Swin: window partition round trip, shifted-window masks by hand, and a block vs transformers' SwinLayer."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import SwinConfig
from transformers.models.swin.modeling_swin import SwinLayer, SwinRelativePositionBias

from mlatlas.transformers.swin import (
    SwinBlock,
    SwinBlockConfig,
    cyclic_shift,
    relative_position_index,
    shifted_window_mask,
    window_partition,
    window_reverse,
)
from mlatlas.verification import verifies

TOL64 = 1e-10


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2))
def test_partition_reverse_and_shift_are_inverse(n_h, n_w, m, shift):
    x = torch.randn(2, n_h * m, n_w * m, 3)
    torch.testing.assert_close(window_reverse(window_partition(x, m), m, n_h * m, n_w * m), x, rtol=0, atol=0)
    torch.testing.assert_close(cyclic_shift(cyclic_shift(x, shift), -shift), x, rtol=0, atol=0)


def test_window_partition_hand_case():
    x = torch.arange(16.0).view(1, 4, 4, 1)  # values are row-major positions
    w = window_partition(x, 2)[..., 0]
    assert w.shape == (4, 2, 2)
    assert w[0].tolist() == [[0, 1], [4, 5]] and w[1].tolist() == [[2, 3], [6, 7]]
    assert w[3].tolist() == [[10, 11], [14, 15]]
    with pytest.raises(ValueError, match="not divisible by window_size"):
        window_partition(torch.zeros(1, 5, 4, 1), 2)


@verifies("swin", against="hand-computed shifted-window masks", tol=0, note="4x4 grid, M=2, shift 1")
def test_shifted_window_mask_hand_case():
    # 4x4 grid, windows 2x2, shift 1. After rolling by 1, the bottom-right window holds the patches
    # from rows/cols {3, 0}: four different regions, so each token may only attend to itself.
    mask = shifted_window_mask(4, 4, 2, 1)
    assert mask.shape == (4, 4, 4)
    assert mask[0].all()  # top-left window: all four from the same region
    # top-right window: columns 2 and 3 come from different regions (3 wrapped around): two groups
    assert mask[1].tolist() == [
        [True, False, True, False],
        [False, True, False, True],
        [True, False, True, False],
        [False, True, False, True],
    ]
    assert torch.equal(mask[3], torch.eye(4, dtype=torch.bool))
    assert shifted_window_mask(4, 4, 2, 0).all()
    with pytest.raises(ValueError, match="shift must be in"):
        shifted_window_mask(4, 4, 2, 2)


def test_mask_and_relative_index_match_transformers():
    cfg = SwinConfig(embed_dim=8, window_size=3, num_heads=[2])
    layer = SwinLayer(cfg, dim=8, input_resolution=(6, 9), num_heads=2, shift_size=1)
    ref = layer.get_attn_mask(6, 9, torch.float32, torch.device("cpu"))  # additive 0 / -100
    assert torch.equal(shifted_window_mask(6, 9, 3, 1), ref == 0)
    bias = SwinRelativePositionBias(2, (3, 3))
    assert torch.equal(relative_position_index(3).flatten(), bias.relative_position_index)


def _copy_into_hf(ours: SwinBlock, layer: SwinLayer) -> None:
    a = ours.attention
    pairs = [
        (layer.layernorm_before, ours.norm1),
        (layer.layernorm_after, ours.norm2),
        (layer.attention.q_proj, a.q_proj),
        (layer.attention.k_proj, a.k_proj),
        (layer.attention.v_proj, a.v_proj),
        (layer.attention.o_proj, a.o_proj),
        (layer.mlp.fc1, ours.mlp[0]),
        (layer.mlp.fc2, ours.mlp[2]),
    ]
    with torch.no_grad():
        for theirs, mine in pairs:
            theirs.weight.copy_(mine.weight)
            theirs.bias.copy_(mine.bias)
        layer.attention.relative_position_bias.relative_position_bias_table.copy_(
            a.relative_position_bias_table
        )


@pytest.mark.parametrize("shift", [0, 2])
@verifies(
    "swin", against="transformers SwinLayer", tol=TOL64, note="shared weights, float64, W-MSA and SW-MSA"
)
def test_block_matches_transformers_swin_layer(shift):
    torch.manual_seed(0)
    H, W, M, C = 8, 12, 4, 16
    ours = SwinBlock(SwinBlockConfig(dim=C, num_heads=2, window_size=M, shift=shift)).double()
    with torch.no_grad():  # a non-trivial bias table so the test sees it
        ours.attention.relative_position_bias_table.normal_()
    cfg = SwinConfig(
        embed_dim=C,
        window_size=M,
        num_heads=[2],
        depths=[2],
        mlp_ratio=4.0,
        hidden_act="gelu",
        layer_norm_eps=1e-5,
    )
    # HF's eager path takes the softmax in float32 even for float64 inputs; its SDPA path stays float64
    cfg._attn_implementation = "sdpa"
    layer = SwinLayer(cfg, dim=C, input_resolution=(H, W), num_heads=2, shift_size=shift).double().eval()
    _copy_into_hf(ours, layer)
    x = torch.randn(2, H * W, C, dtype=torch.float64, requires_grad=True)
    y = ours(x, H, W)
    y_ref = layer(x, (H, W), always_partition=True)[0]
    torch.testing.assert_close(y, y_ref, rtol=TOL64, atol=TOL64)
    (g,) = torch.autograd.grad(y.square().sum(), x)
    (g_ref,) = torch.autograd.grad(y_ref.square().sum(), x)
    torch.testing.assert_close(g, g_ref, rtol=TOL64, atol=TOL64)


def test_shifted_block_only_mixes_within_shifted_windows():
    # A change at one patch moves the outputs of its own (shifted) window only.
    torch.manual_seed(1)
    block = SwinBlock(SwinBlockConfig(dim=8, num_heads=2, window_size=2, shift=1)).double().eval()
    x = torch.randn(1, 16, 8, dtype=torch.float64)
    x2 = x.clone()
    # Nudge one channel of patch (1, 1) (LayerNorm ignores a shift of all channels). Rolled by 1 it sits
    # at (0, 0), in the shifted window of patches (1..2, 1..2).
    x2[0, 5, 0] += 1.0
    changed = (block(x2, 4, 4) - block(x, 4, 4)).abs().sum(-1)[0] > 1e-12
    assert sorted(changed.nonzero().flatten().tolist()) == [5, 6, 9, 10]
    with pytest.raises(ValueError, match="tokens but the grid"):
        block(x, 4, 5)


def test_figure_shifted_windows_returns_a_figure():
    from matplotlib.figure import Figure

    from mlatlas.transformers.figures.swin import shifted_windows

    assert isinstance(shifted_windows(), Figure)


def test_minus_100_mask_is_minus_inf_to_about_1e_44():
    # The page: the original code's additive -100 leaves masked pairs weights of order e^-100 ≈ 4e-44
    # for scores of order one (the worst gap here is ~5e-43), where our -inf gives exactly zero.
    g = torch.Generator().manual_seed(0)
    scores = torch.randn(1000, 16, 16, generator=g, dtype=torch.float64)
    masked = torch.rand(1000, 16, 16, generator=g) < 0.5
    masked[..., 0] = False  # every query keeps at least one key
    exact = torch.softmax(scores.masked_fill(masked, float("-inf")), -1)
    original = torch.softmax(scores - 100.0 * masked, -1)
    gap = (exact - original).abs().max().item()
    assert 1e-45 < gap < 1e-41, gap
