"""The interleaved token stream of the gpt4-and-gemini page, and its dense-vs-MoE arithmetic."""

from dataclasses import replace

import pytest
import torch

from mlatlas.architectures.model_arithmetic import MIXTRAL_8X7B, forward_flops_per_token, parameter_counts
from mlatlas.architectures.multimodal_stream import AUDIO, IMAGE, TEXT, MultimodalEmbedder
from mlatlas.transformers.vit import patchify
from mlatlas.verification import verifies


def embedder():
    torch.manual_seed(0)
    return MultimodalEmbedder(vocab_size=20, width=12, patch_size=2, channels=1, audio_features=6).double()


@verifies(
    "gpt4-and-gemini",
    against="segment arithmetic",
    tol=0.0,
    note="positions, spans and modality ids of text + image + audio + text; each span holds its front "
    "end's output exactly",
)
def test_interleaved_stream_lays_segments_end_to_end():
    emb = embedder()
    text1, text2 = torch.tensor([3, 4, 5, 6, 7]), torch.tensor([8, 9, 10])
    image = torch.rand(1, 8, 8, dtype=torch.float64)  # 16 patches of 2 x 2
    audio = torch.randn(10, 6, dtype=torch.float64)  # 10 frames
    stream = emb([("text", text1), ("image", image), ("audio", audio), ("text", text2)])
    assert stream.embeddings.shape == (5 + 18 + 12 + 3, 12)
    assert stream.spans == [("text", 0, 5), ("image", 5, 23), ("audio", 23, 35), ("text", 35, 38)]
    assert int((stream.modality == IMAGE).sum()) == 16 and int((stream.modality == AUDIO).sum()) == 10
    assert int((stream.modality == TEXT).sum()) == 5 + 3 + 4  # four markers
    torch.testing.assert_close(
        stream.embeddings[6:22], emb.patch_projection(patchify(image[None], 2)[0]), rtol=0, atol=0
    )
    torch.testing.assert_close(stream.embeddings[24:34], emb.audio_projection(audio), rtol=0, atol=0)
    torch.testing.assert_close(stream.embeddings[5], emb.token_embedding.weight[20], rtol=0, atol=0)  # <img>
    with pytest.raises(ValueError, match="unknown segment kind"):
        emb([("video", image)])
    with pytest.raises(ValueError, match="vocab_size"):
        emb([("text", torch.tensor([25]))])


def test_dense_versus_moe_arithmetic():
    dense = replace(MIXTRAL_8X7B, num_experts=1, top_k=1)  # the same block with one feed-forward
    d, m = parameter_counts(dense), parameter_counts(MIXTRAL_8X7B)
    assert round(d.total / 1e9, 2) == 7.24  # Mistral 7B's shape
    assert round(m.total / d.total, 1) == 6.4  # parameters stored
    f_dense, f_moe = forward_flops_per_token(dense, 4096), forward_flops_per_token(MIXTRAL_8X7B, 4096)
    assert round(f_dense / 1e9, 1) == 15.3 and round(f_moe / 1e9, 1) == 26.6
    assert round(f_moe / f_dense, 2) == 1.74  # compute per token
