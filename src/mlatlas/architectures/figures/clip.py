"""Figures for the clip page."""

from __future__ import annotations

import torch

from mlatlas.architectures.clip import CLIP, CLIPConfig, caption_vocabulary, tokenize
from mlatlas.architectures.figures.flow import Node, flow_diagram
from mlatlas.architectures.figures.flow import shape_text as s
from mlatlas.transformers.vit import patchify


@torch.no_grad()
def data_flow():
    """Two towers to one B x B similarity matrix, with the shapes of a forward pass of 4 pairs."""
    torch.manual_seed(0)
    cfg = CLIPConfig(vocab_size=len(caption_vocabulary()))
    model = CLIP(cfg).eval()
    images = torch.rand(4, 1, 8, 8)
    ids = tokenize(["the digit three", "a handwritten one", "this is a five", "a picture of a nine"])
    tokens = model.image_tower.patch_embedding(patchify(images, cfg.patch_size))  # (B, N, C)
    img_e, txt_e = model.image_tower(images), model.text_tower(ids)
    logits = model.logits(images, ids)
    w = 7.2
    nodes = [
        Node("img", 1.8, 4.6, f"images {s(images)}", 0),
        Node("pat", 1.8, 3.7, f"patches + [class] {s((4, tokens.shape[1] + 1, cfg.vision_width))}", 0),
        Node(
            "vit", 1.8, 2.8, f"ViT blocks ×{cfg.vision_layers}\n[class] state {s((4, cfg.vision_width))}", 0
        ),
        Node("ie", 1.8, 1.8, f"W_i, unit length {s(img_e)}", 0),
        Node("txt", 5.4, 4.6, f"caption ids {s(ids)}", 1),
        Node("tok", 5.4, 3.7, f"token + position {s((4, ids.shape[1], cfg.text_width))}", 1),
        Node("gpt", 5.4, 2.8, f"causal blocks ×{cfg.text_layers}\nstate at EOS {s((4, cfg.text_width))}", 1),
        Node("te", 5.4, 1.8, f"W_t, unit length {s(txt_e)}", 1),
        Node("sim", 3.6, 0.95, f"logits = exp(t) · cos {s(logits)}", 2),
        Node("loss", 3.6, 0.25, "symmetric InfoNCE: one number", 3),
    ]
    edges = [
        ("img", "pat"),
        ("pat", "vit"),
        ("vit", "ie"),
        ("txt", "tok"),
        ("tok", "gpt"),
        ("gpt", "te"),
        ("ie", "sim"),
        ("te", "sim"),
        ("sim", "loss"),
    ]
    return flow_diagram(nodes, edges, width=w, height=5.0)
