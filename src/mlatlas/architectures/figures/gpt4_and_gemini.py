"""Figures for the gpt4-and-gemini page."""

from __future__ import annotations

import torch

from mlatlas.architectures.figures.flow import Node, flow_diagram
from mlatlas.architectures.figures.flow import shape_text as s
from mlatlas.architectures.multimodal_stream import AUDIO, IMAGE, MultimodalEmbedder


@torch.no_grad()
def data_flow():
    """Text, an image and an audio clip become one interleaved sequence of vectors."""
    torch.manual_seed(0)
    emb = MultimodalEmbedder(vocab_size=20, width=12, patch_size=2, channels=1, audio_features=6)
    text1, text2 = torch.tensor([3, 4, 5, 6, 7]), torch.tensor([8, 9, 10])
    image, audio = torch.rand(1, 8, 8), torch.randn(10, 6)
    stream = emb([("text", text1), ("image", image), ("audio", audio), ("text", text2)])
    n_img, n_aud = int((stream.modality == IMAGE).sum()), int((stream.modality == AUDIO).sum())
    nodes = [
        Node("t1", 1.1, 4.4, f"text ids {s(text1)}", 0),
        Node("img", 3.0, 4.4, f"image {s(image)}", 1),
        Node("aud", 4.9, 4.4, f"audio frames {s(audio)}", 2),
        Node("t2", 6.6, 4.4, f"text ids {s(text2)}", 0),
        Node("e1", 1.1, 3.2, "token\nembedding", 0),
        Node("e2", 3.0, 3.2, f"<img> + {n_img} patch\nprojections + </img>", 1),
        Node("e3", 4.9, 3.2, f"<audio> + {n_aud} frame\nprojections + </audio>", 2),
        Node("e4", 6.6, 3.2, "token\nembedding", 0),
        Node("seq", 3.85, 1.9, f"one interleaved sequence {s(stream.embeddings)}", 4),
        Node("dec", 3.85, 0.8, "causal decoder (dense or MoE)\n→ next-token logits", 7),
    ]
    edges = [
        ("t1", "e1"),
        ("img", "e2"),
        ("aud", "e3"),
        ("t2", "e4"),
        ("e1", "seq"),
        ("e2", "seq"),
        ("e3", "seq"),
        ("e4", "seq"),
        ("seq", "dec"),
    ]
    return flow_diagram(nodes, edges, width=7.7, height=4.9, fontsize=9.0)
