"""Figures for the flamingo-llava-internvl page."""

from __future__ import annotations

import torch

from mlatlas.architectures.clip import CLIPConfig
from mlatlas.architectures.figures.flow import Node, flow_diagram
from mlatlas.architectures.figures.flow import shape_text as s
from mlatlas.architectures.flamingo import FlamingoLM, PerceiverResampler
from mlatlas.architectures.llava import LLaVA, LLaVAConfig
from mlatlas.transformers.gpt import GPT, GPTConfig


@torch.no_grad()
def data_flow():
    """Left, LLaVA: projected patch states spliced into the prompt. Right, Flamingo: resampled visual
    tokens read through gated cross-attention. Shapes from forward passes of the tiny models."""
    torch.manual_seed(0)
    text = GPTConfig(vocab_size=30, block_size=40, n_layer=2, n_head=2, n_embd=24)
    llava = LLaVA(LLaVAConfig(CLIPConfig(), text, image_token_id=29)).eval()
    images = torch.rand(2, 1, 8, 8)
    ids = torch.randint(0, 29, (2, 22))
    ids[:, 2:18] = 29  # 16 placeholders
    states = llava.vision_tower.hidden_states(images)[-2]
    z = llava.image_tokens(images)
    x = llava.splice(ids, z)
    logits = llava(images, ids)
    frames = torch.randn(2, 3, 16, 24)  # 3 frames of 16 features each
    resampler = PerceiverResampler(24, 2, num_latents=4).eval()
    visual = resampler(frames)
    flamingo = FlamingoLM(GPT(text), num_heads=2).eval()
    text_ids = torch.randint(0, 29, (2, 10))
    f_logits = flamingo(text_ids, visual)
    nodes = [
        Node("img", 1.9, 5.4, f"images {s(images)}", 7),
        Node("vit", 1.9, 4.5, f"CLIP ViT, layer L−1 {s(states)}", 0),
        Node("proj", 1.9, 3.6, f"drop [class], MLP projector {s(z)}", 0),
        Node(
            "splice",
            1.9,
            2.3,
            f"prompt ids {s(ids)}, 16 of them <image>:\nembed, put image tokens there {s(x)}",
            2,
        ),
        Node("lm", 1.9, 0.7, f"GPT (all blocks)\nlogits {s(logits)}", 1),
        Node("frames", 5.6, 5.4, f"frame features {s(frames)}", 7),
        Node("res", 5.6, 4.5, f"Perceiver resampler {s(visual)}", 4),
        Node(
            "gx",
            5.6,
            2.3,
            f"text ids {s(text_ids)}; per block:\ntanh(α)-gated cross-attention\n"
            "to the visual tokens, then\nthe frozen LM block",
            4,
        ),
        Node("flm", 5.6, 0.7, f"logits {s(f_logits)}", 1),
    ]
    edges = [
        ("img", "vit"),
        ("vit", "proj"),
        ("proj", "splice"),
        ("splice", "lm"),
        ("frames", "res"),
        ("res", "gx"),
        ("gx", "flm"),
    ]
    return flow_diagram(
        nodes,
        edges,
        width=7.6,
        height=6.3,
        fontsize=9.0,
        titles=((1.9, 6.05, "LLaVA"), (5.6, 6.05, "Flamingo")),
    )
