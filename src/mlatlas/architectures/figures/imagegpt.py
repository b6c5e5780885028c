"""Figures for the imagegpt page."""

from __future__ import annotations

import numpy as np
import torch

from mlatlas.architectures.figures.flow import Node, flow_diagram
from mlatlas.architectures.figures.flow import shape_text as s
from mlatlas.architectures.imagegpt import (
    ImageGPT,
    complete,
    kmeans_palette,
    quantize,
    train_on_digits,
    with_start,
)
from mlatlas.plotting import new_figure
from mlatlas.transformers.gpt import GPTConfig
from mlatlas.transformers.vit import load_digits_tensors


@torch.no_grad()
def data_flow():
    """Image to palette indices to a causal transformer's next-pixel logits, with shapes."""
    x = load_digits_tensors(0)[0][:4]  # (4, 1, 8, 8)
    palette = kmeans_palette(x.reshape(-1, 1).numpy(), np.linspace(0, 1, 4)[:, None])
    pixels = quantize(x, palette.centres)  # (4, 64)
    ids = with_start(pixels, 4)
    torch.manual_seed(0)
    model = ImageGPT(GPTConfig(vocab_size=5, block_size=65, n_layer=2, n_head=2, n_embd=32)).eval()
    h = model.hidden_states(ids)
    logits = model.head(h)
    nodes = [
        Node("img", 3.5, 4.7, f"grey digits {s(x)}", 7),
        Node("pal", 3.5, 3.8, f"nearest of k = 4 palette colours (k-means)\nraster order {s(pixels)}", 0),
        Node("ids", 3.5, 2.85, f"prepend [start] {s(ids)}: token + position {s(h)}", 0),
        Node("gpt", 3.5, 1.9, "causal GPT blocks (RMS norms)\npixel i sees pixels < i", 1),
        Node("out", 3.5, 0.85, f"next-pixel logits {s(logits)}", 2),
    ]
    edges = [("img", "pal"), ("pal", "ids"), ("ids", "gpt"), ("gpt", "out")]
    return flow_diagram(nodes, edges, width=7.0, height=5.2)


def half_image_completions():
    """Held-out digits: the original (in the palette), the top half given, two sampled completions."""
    run = train_on_digits(epochs=2)  # a shorter run than the demo's 8 epochs, to draw in seconds
    grey = run.palette.centres[:, 0]
    known = run.test_pixels[:4, :32]  # top 4 rows of each 8 x 8 digit
    g = torch.Generator().manual_seed(0)
    samples = [complete(run.model, known, 64, g) for _ in range(2)]
    fig, axes = new_figure(4, 4, width=5.2, height=5.6)
    titles = ["original", "top half", "sample 1", "sample 2"]
    for row in range(4):
        given = np.full(64, np.nan)
        given[:32] = grey[known[row].numpy()]
        panels = [grey[run.test_pixels[row].numpy()], given] + [grey[sm[row].numpy()] for sm in samples]
        for col, img in enumerate(panels):
            ax = axes[row, col]
            ax.imshow(img.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(titles[col], fontsize=10)
    return fig
