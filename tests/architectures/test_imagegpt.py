"""ImageGPT: k-means palette vs scikit-learn, the model vs transformers' ImageGPTModel, the trained claims."""

import numpy as np
import pytest
import torch
from hf_weights import gpt2_state_to_ours
from sklearn.cluster import KMeans
from transformers import ImageGPTConfig, ImageGPTModel

from mlatlas.architectures.imagegpt import ImageGPT, complete, kmeans_palette, quantize, train_on_digits
from mlatlas.transformers.gpt import GPTConfig
from mlatlas.transformers.vit import load_digits_tensors
from mlatlas.verification import verifies

TOL = 1e-10  # float64


@verifies(
    "imagegpt",
    against="sklearn KMeans",
    tol=TOL,
    note="Lloyd's algorithm from the same initial centres: digits' grey levels (k = 4), random RGB (k = 8)",
)
def test_kmeans_palette_matches_sklearn():
    grey = load_digits_tensors(0)[0].reshape(-1, 1).numpy().astype(np.float64)
    rgb = np.random.default_rng(0).random((2000, 3))
    for points, init in [
        (grey, np.linspace(0, 1, 4)[:, None]),
        (rgb, np.random.default_rng(1).random((8, 3))),
    ]:
        ours = kmeans_palette(points, init)
        ref = KMeans(n_clusters=len(init), init=init, n_init=1, algorithm="lloyd", tol=0.0, max_iter=100).fit(
            points
        )
        np.testing.assert_allclose(ours.centres, ref.cluster_centers_, rtol=TOL, atol=TOL)
        np.testing.assert_array_equal(ours.labels, ref.labels_)
    with pytest.raises(ValueError, match="share c"):
        kmeans_palette(rgb, np.zeros((4, 2)))


@verifies(
    "imagegpt",
    against="transformers ImageGPTModel",
    tol=TOL,
    note="float64, shared weights: final hidden states and gradients on pixel sequences",
)
def test_imagegpt_matches_transformers():
    cfg = ImageGPTConfig(
        vocab_size=5,
        n_positions=20,
        n_embd=16,
        n_layer=2,
        n_head=2,
        activation_function="gelu_new",  # ImageGPT's default is quick_gelu; ours keeps GPT-2's tanh GELU
        layer_norm_epsilon=1e-5,
        attn_pdrop=0.0,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
    )
    torch.manual_seed(0)
    ref = ImageGPTModel(cfg).double().eval()
    with torch.no_grad():  # ImageGPT's norms start at one: make them count
        for name, p in ref.named_parameters():
            if "ln_" in name:
                p.add_(0.1 * torch.randn_like(p))
    ours = ImageGPT(GPTConfig(vocab_size=5, block_size=20, n_layer=2, n_head=2, n_embd=16)).double().eval()
    state = {
        k: v
        for k, v in gpt2_state_to_ours(ref.state_dict(), "", "gpt.").items()
        if not k.endswith("attn.bias")
    }
    missing, unexpected = ours.load_state_dict(state, strict=False)
    assert sorted(missing) == ["gpt.lm_head.weight", "head.weight"] and not unexpected, (missing, unexpected)
    ids = torch.randint(0, 5, (3, 17), generator=torch.Generator().manual_seed(1))
    h = ours.hidden_states(ids)
    expected = ref(input_ids=ids).last_hidden_state
    torch.testing.assert_close(h, expected, rtol=TOL, atol=TOL)
    h.pow(2).sum().backward()
    expected.pow(2).sum().backward()
    torch.testing.assert_close(ours.gpt.wte.weight.grad, ref.wte.weight.grad, rtol=TOL, atol=TOL)
    torch.testing.assert_close(
        ours.gpt.blocks[0].ln_1.weight.grad, ref.h[0].ln_1.weight.grad, rtol=TOL, atol=TOL
    )


def test_quantize_and_complete_keep_the_known_half():
    centres = np.array([[0.0], [0.5], [1.0]])
    images = torch.tensor([[[[0.1, 0.4], [0.9, 0.76]]]])
    assert quantize(images, centres).tolist() == [[0, 1, 2, 2]]
    torch.manual_seed(0)
    model = ImageGPT(GPTConfig(vocab_size=4, block_size=9, n_layer=1, n_head=1, n_embd=8))
    known = torch.tensor([[0, 1, 2, 0]])
    out = complete(model, known, 8, torch.Generator().manual_seed(0))
    assert out.shape == (1, 8) and out[:, :4].equal(known) and int(out.max()) < 3  # never the start token


@verifies(
    "imagegpt",
    against="palette frequencies alone (no context)",
    tol="bits/pixel <= 0.7 x baseline",
    note="k = 4, 8 epochs, seed 0, 360 held-out digits; the page reports 0.98 vs 1.68 bits per pixel",
)
def test_trained_imagegpt_uses_context():
    run = train_on_digits()
    np.testing.assert_allclose(
        np.sort(run.palette.centres[:, 0]), [0.0104, 0.3064, 0.6278, 0.9373], atol=1e-4
    )
    assert abs(run.unigram_bits_per_pixel - 1.684) < 0.005  # deterministic given the palette
    assert 0.93 <= run.bits_per_pixel <= 1.03, run.bits_per_pixel  # page: 0.98 (seed 0)
    assert run.bits_per_pixel <= 0.7 * run.unigram_bits_per_pixel
