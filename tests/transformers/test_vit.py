"""ViT: patchify ≡ strided conv, and the encoder vs transformers' ViTModel with shared weights."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import ViTConfig as HFViTConfig
from transformers import ViTModel

from mlatlas.transformers.vit import ViT, ViTConfig, load_digits_tensors, patchify, unpatchify
from mlatlas.verification import verifies

TOL64 = 1e-10


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(0, 1000))
@verifies("vit", against="conv-patchify equivalence (torch Conv2d)", tol=TOL64, note="float64, Hypothesis")
def test_linear_on_patches_equals_strided_conv(channels, patch, n_h, n_w, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2, channels, n_h * patch, n_w * patch, generator=g, dtype=torch.float64)
    conv = torch.nn.Conv2d(channels, 5, kernel_size=patch, stride=patch, dtype=torch.float64)
    expected = conv(x).flatten(2).transpose(1, 2)  # (B, N, C) row-major over the grid
    ours = patchify(x, patch) @ conv.weight.reshape(5, -1).T + conv.bias
    torch.testing.assert_close(ours, expected, rtol=TOL64, atol=TOL64)
    torch.testing.assert_close(
        unpatchify(patchify(x, patch), patch, channels, *x.shape[2:]), x, rtol=0, atol=0
    )


def test_patchify_hand_case_and_errors():
    img = torch.arange(16.0).view(1, 1, 4, 4)
    p = patchify(img, 2)
    assert p.shape == (1, 4, 4)
    assert p[0, 0].tolist() == [0, 1, 4, 5] and p[0, 3].tolist() == [10, 11, 14, 15]
    with pytest.raises(ValueError, match="not divisible"):
        patchify(torch.zeros(1, 1, 5, 4), 2)
    model = ViT(ViTConfig())
    with pytest.raises(ValueError, match="expected images of shape"):
        model(torch.zeros(1, 3, 8, 8))


def _copy_into_hf(ours: ViT, ref: ViTModel) -> None:
    cfg = ours.config
    P = cfg.patch_size
    with torch.no_grad():
        e = ref.embeddings
        e.patch_embeddings.projection.weight.copy_(
            ours.patch_embedding.weight.reshape(cfg.hidden_size, cfg.num_channels, P, P)
        )
        e.patch_embeddings.projection.bias.copy_(ours.patch_embedding.bias)
        e.cls_token.copy_(ours.cls_token)
        e.position_embeddings.copy_(ours.position_embeddings)
        for b, layer in zip(ours.blocks, ref.layers):
            pairs = [
                (b.norm1, layer.layernorm_before),
                (b.norm2, layer.layernorm_after),
                (b.attn.q_proj, layer.attention.q_proj),
                (b.attn.k_proj, layer.attention.k_proj),
                (b.attn.v_proj, layer.attention.v_proj),
                (b.attn.out_proj, layer.attention.o_proj),
                (b.mlp[0], layer.mlp.fc1),
                (b.mlp[2], layer.mlp.fc2),
            ]
            for mine, theirs in pairs:
                theirs.weight.copy_(mine.weight)
                theirs.bias.copy_(mine.bias)
        ref.layernorm.weight.copy_(ours.norm.weight)
        ref.layernorm.bias.copy_(ours.norm.bias)


@verifies("vit", against="transformers ViTModel", tol=TOL64, note="shared weights, float64, outputs + grads")
def test_encoder_matches_transformers_vit():
    torch.manual_seed(0)
    cfg = ViTConfig(image_size=8, patch_size=4, num_channels=3, hidden_size=16, num_layers=2, num_heads=2)
    ours = ViT(cfg).double().eval()
    with torch.no_grad():
        ours.cls_token.normal_()  # non-zero so the test sees it
    hf_cfg = HFViTConfig(
        image_size=8,
        patch_size=4,
        num_channels=3,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        hidden_act="gelu",
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        layer_norm_eps=1e-12,
    )
    hf_cfg._attn_implementation = "sdpa"  # HF's eager softmax runs in float32 even for float64 inputs
    ref = ViTModel(hf_cfg, add_pooling_layer=False).double().eval()
    _copy_into_hf(ours, ref)
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64, requires_grad=True)
    mine, theirs = ours.encode(x), ref(pixel_values=x).last_hidden_state
    torch.testing.assert_close(mine, theirs, rtol=TOL64, atol=TOL64)
    (g,) = torch.autograd.grad(mine[:, 0].sum(), x)
    (g_ref,) = torch.autograd.grad(theirs[:, 0].sum(), x)
    torch.testing.assert_close(g, g_ref, rtol=TOL64, atol=TOL64)


def test_can_fit_a_small_batch_of_digits():
    # A health check of the training path: 60 Adam steps memorise 32 digits. The demo trains for real.
    x, y, _, _ = load_digits_tensors()
    x, y = x[:32], y[:32]
    torch.manual_seed(0)
    model = ViT(ViTConfig(hidden_size=32, num_layers=1, num_heads=2))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(60):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert (model(x).argmax(-1) == y).float().mean() > 0.9


def test_figure_patches_of_a_digit_returns_a_figure():
    from matplotlib.figure import Figure

    from mlatlas.transformers.figures.vit import patches_of_a_digit

    assert isinstance(patches_of_a_digit(), Figure)
