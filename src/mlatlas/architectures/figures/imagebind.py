"""Figures for the imagebind page."""

from __future__ import annotations

import torch

from mlatlas.architectures.figures.flow import Node, flow_diagram
from mlatlas.architectures.figures.flow import shape_text as s
from mlatlas.architectures.imagebind import encoder, sensor
from mlatlas.transformers.vit import load_digits_tensors


@torch.no_grad()
def data_flow():
    """Images anchor two modalities through two InfoNCE losses; A and B never meet in training."""
    x = load_digits_tensors(0)[0][:64]
    g = torch.Generator().manual_seed(0)
    a, b = sensor(x[:32], "a", 0.1, g), sensor(x[32:], "b", 0.1, g)
    torch.manual_seed(0)
    e_img, e_a = encoder(64)(x[:32].flatten(1)), encoder(48)(a)
    nodes = [
        Node("img", 3.6, 4.5, f"images (anchor) {s(x[:32])} → {s(e_img)}", 7),
        Node("a", 1.5, 2.2, f"modality A {s(a)}\n→ encoder → {s(e_a)}", 0),
        Node("b", 5.7, 2.2, f"modality B {s(b)}\n→ encoder → {s(e_a)}", 1),
        Node("la", 1.5, 3.4, "InfoNCE on (image, A) pairs", 0),
        Node("lb", 5.7, 3.4, "InfoNCE on (image, B) pairs", 1),
        Node("em", 3.6, 0.8, "never paired: A ↔ B aligned anyway\n(measured by retrieval)", 2),
    ]
    edges = [("img", "la"), ("img", "lb"), ("a", "la"), ("b", "lb"), ("a", "em"), ("b", "em")]
    return flow_diagram(nodes, edges, width=7.4, height=5.0)
