"""Figures for the simclr page."""

from __future__ import annotations

import torch

from mlatlas.architectures.figures.flow import Node, flow_diagram
from mlatlas.architectures.figures.flow import shape_text as s
from mlatlas.architectures.simclr import SimCLR, SimCLRConfig, augment
from mlatlas.plotting import new_figure
from mlatlas.transformers.vit import load_digits_tensors


@torch.no_grad()
def data_flow():
    """Two views per image, one shared encoder and head, a (2B, 2B) similarity matrix, one loss."""
    torch.manual_seed(0)
    model = SimCLR(SimCLRConfig()).eval()
    g = torch.Generator().manual_seed(0)
    x = load_digits_tensors(0)[0][:8]  # (B, 1, 8, 8)
    a, b = augment(x, g), augment(x, g)
    h = model.encoder(a)
    z = model.projector(h)
    n = 2 * x.shape[0]
    nodes = [
        Node("x", 3.6, 4.6, f"images {s(x)}", 7),
        Node("a", 1.9, 3.75, f"view t(x) {s(a)}", 0),
        Node("b", 5.3, 3.75, f"view t'(x) {s(b)}", 1),
        Node("ha", 1.9, 2.85, f"shared encoder f: h {s(h)}", 0),
        Node("hb", 5.3, 2.85, f"shared encoder f: h {s(h)}", 1),
        Node("za", 1.9, 1.95, f"shared head g: z {s(z)}", 0),
        Node("zb", 5.3, 1.95, f"shared head g: z {s(z)}", 1),
        Node("sim", 3.6, 1.05, f"cos(z_k, z_l) / τ over all views {s((n, n))}", 2),
        Node("loss", 3.6, 0.3, "NT-Xent: find your twin, one number", 3),
    ]
    edges = [
        ("x", "a", ""),
        ("x", "b"),
        ("a", "ha"),
        ("b", "hb"),
        ("ha", "za"),
        ("hb", "zb"),
        ("za", "sim"),
        ("zb", "sim"),
        ("sim", "loss"),
    ]
    return flow_diagram(nodes, edges, width=7.2, height=5.0)


def augmented_views():
    """One training digit and eight random augmentations of it."""
    x = load_digits_tensors(0)[0][:1].expand(8, -1, -1, -1)  # (8, 1, 8, 8) the same image
    views = augment(x, torch.Generator().manual_seed(1))
    fig, axes = new_figure(1, 9, width=7.2, height=1.4)
    for ax, img, title in zip(axes, [x[0]] + list(views), ["original"] + [""] * 8):
        ax.imshow(img[0].numpy(), cmap="gray_r", vmin=0, vmax=1.2)
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    return fig
