"""The image exploration's pipeline: shapes, patch order, conv equivalence, splicing and causality."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from mlatlas.stochastic.figures import how_an_llm_processes_an_image as im
from mlatlas.verification import verifies

TOL32 = 1e-5  # float32


def test_shapes_at_every_step():
    p = im.run_pipeline()
    N = (im.IMAGE_SIZE // im.PATCH) ** 2
    assert p.raw.shape == (427, 640, 3)
    assert p.pixels.shape == (1, 3, 224, 224)
    assert p.patches.shape == (1, N, 3 * im.PATCH * im.PATCH) == (1, 196, 768)
    assert p.patch_embeddings.shape == (1, N, im.C_VIT)
    assert p.vit_tokens.shape == (1, N + 1, im.C_VIT)
    assert p.image_tokens.shape == (1, N, im.C_LLM)
    T = len(im.TEXT_BEFORE) + N + len(im.TEXT_AFTER)
    assert p.sequence.shape == p.hidden.shape == (1, T, im.C_LLM)
    assert p.logits.shape == (1, T, len(im.VOCAB))


def test_patch_k_is_the_kth_square_of_the_grid_row_major():
    p = im.run_pipeline()
    g, P = im.IMAGE_SIZE // im.PATCH, im.PATCH
    for k in (0, 13, 14, im.QUERY_PATCH, 195):
        r, c = divmod(k, g)
        square = p.normalized[0, :, r * P : (r + 1) * P, c * P : (c + 1) * P]  # (3, P, P)
        torch.testing.assert_close(p.patches[0, k], square.reshape(-1), rtol=0, atol=0)


@verifies(
    "how-an-llm-processes-an-image",
    against="torch.nn.functional.conv2d (stride 16)",
    tol=TOL32,
    note="patch embedding = strided convolution, float32",
)
def test_patch_embedding_is_a_strided_convolution():
    p = im.run_pipeline()
    model = im.TinyMultimodalLM()
    lin = model.vision.patch_embedding
    weight = lin.weight.reshape(im.C_VIT, 3, im.PATCH, im.PATCH)  # (C, C_in, P, P)
    with torch.no_grad():
        conv = torch.nn.functional.conv2d(p.normalized, weight, lin.bias, stride=im.PATCH)  # (1, C, 14, 14)
    torch.testing.assert_close(conv.flatten(2).transpose(1, 2), p.patch_embeddings, rtol=TOL32, atol=TOL32)


def test_image_tokens_are_spliced_between_the_text_tokens():
    p = im.run_pipeline()
    model = im.TinyMultimodalLM()
    k, n = len(im.TEXT_BEFORE), p.image_tokens.shape[1]
    torch.testing.assert_close(p.sequence[:, k : k + n], p.image_tokens, rtol=0, atol=0)
    text_ids = [i for i in p.text_ids.tolist() if i != im.VOCAB.index("<image>")]
    with torch.no_grad():
        text = model.embed_tokens(torch.tensor(text_ids))
    torch.testing.assert_close(p.sequence[0, :k], text[:k], rtol=0, atol=0)
    torch.testing.assert_close(p.sequence[0, k + n :], text[k:], rtol=0, atol=0)
    with pytest.raises(ValueError, match="exactly one <image>"):
        model.build_sequence(p.image_tokens, torch.tensor([0, 2, 4]))


def test_causal_mask_hides_the_question_from_the_image_tokens():
    p = im.run_pipeline()
    model = im.TinyMultimodalLM().eval()
    k, n = len(im.TEXT_BEFORE), p.image_tokens.shape[1]
    other = p.sequence.clone()
    other[:, k + n :] = torch.randn(other[:, k + n :].shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        hidden, _ = model(other)
    torch.testing.assert_close(hidden[:, : k + n], p.hidden[:, : k + n], rtol=TOL32, atol=TOL32)
    assert (hidden[:, k + n :] - p.hidden[:, k + n :]).abs().max() > 1e-2  # the text rows do change


def test_random_projection_keeps_patch_similarities():
    # the exploration's claim: even an untrained E keeps which patches look alike (Johnson–Lindenstrauss)
    p = im.run_pipeline()
    raw = im._cosine_to(p.patches[0], im.SKY_PATCH)
    emb = im._cosine_to(p.patch_embeddings[0], im.SKY_PATCH)
    assert np.corrcoef(raw, emb)[0, 1] > 0.9


@pytest.mark.parametrize(
    "name",
    ["pixels_to_patches", "shapes_at_each_step", "patch_similarity", "token_sequence", "attention_masks"],
)
def test_figure_draws(name):
    assert isinstance(getattr(im, name)(), Figure)
