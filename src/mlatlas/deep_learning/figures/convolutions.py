"""Figures for the convolutions chapter: receptive-field growth, and where a dilated stack looks."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.colors import LogNorm

from mlatlas.deep_learning.convolutions import Layer, conv2d, measured_receptive_field, receptive_field
from mlatlas.plotting import PALETTE, new_figure

DESIGNS = {
    "3×3 convs": [Layer(3)] * 8,
    "3×3, stride 2 every other layer": [Layer(3, 1), Layer(3, 2)] * 4,
    "3×3, dilation 1, 2, 4, …": [Layer(3, 1, 2**i) for i in range(8)],
}


def gradient_map(dilations: list[int], size: int = 41) -> np.ndarray:
    """|d y_centre / d x| of a stack of 3x3 all-ones convolutions with these dilations, (size, size)."""
    x = torch.zeros(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    y = x
    for d in dilations:
        y = conv2d(y, torch.ones(1, 1, 3, 3, dtype=torch.float64), padding=d, dilation=d)  # same size
    y[0, 0, size // 2, size // 2].backward()
    return x.grad[0, 0].abs().numpy()


def receptive_field_growth():
    """Top: receptive field against depth for three designs (lines: formula; dots: autograd).
    Bottom: the gradient of one output of the dilated stack with respect to the input."""
    fig, (top, bottom) = new_figure(2, 1, width=6.4, height=7.6, gridspec_kw={"height_ratios": [1, 1.15]})
    for (name, layers), color in zip(DESIGNS.items(), PALETTE):
        depth = np.arange(1, len(layers) + 1)
        top.plot(depth, receptive_field(layers).sizes, color=color, label=name)
        measured = [measured_receptive_field(layers[:n], size=200) for n in range(1, min(len(layers), 5) + 1)]
        top.plot(depth[: len(measured)], measured, "o", color=color, ms=5)
    top.set_yscale("log", base=2)
    top.set_yticks([2, 8, 32, 128, 512], labels=["2", "8", "32", "128", "512"])
    top.set_xlabel("layers")
    top.set_ylabel("receptive field (pixels)")
    top.set_title("lines: r_l = r_(l-1) + d(k-1) j_(l-1); dots: measured by autograd")
    top.legend(fontsize=9)
    grad = gradient_map([1, 2, 4, 8], size=31)  # exactly the receptive field
    image = bottom.imshow(grad, norm=LogNorm(vmin=1, vmax=grad.max()), cmap="viridis")
    bottom.set_title("|∂y/∂x| of one output, dilations 1, 2, 4, 8")
    bottom.axis("off")
    fig.colorbar(image, ax=bottom, shrink=0.8, label="paths from x to y")
    return fig
