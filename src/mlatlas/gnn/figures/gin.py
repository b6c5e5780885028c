"""Figures for the gin chapter."""

from __future__ import annotations

import numpy as np
import torch

from mlatlas.gnn.figures.drawing import draw_graph
from mlatlas.gnn.gin import GIN, GINModelConfig
from mlatlas.gnn.weisfeiler_lehman import wl_colors
from mlatlas.plotting import PALETTE, new_figure

STAR = torch.tensor([[0, 0, 0, 1, 2, 3], [1, 2, 3, 0, 0, 0]])  # centre 0, leaves 1-3
PATH = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])  # 0 - 1 - 2 - 3


def embedding_gap(reduce: str) -> float:
    """Largest coordinate difference of the star's and the path's embeddings, same random 2-layer GIN."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = GIN(GINModelConfig(1, 32, 2, 2, reduce=reduce)).double()
    x = torch.ones(4, 1, dtype=torch.float64)  # no features: only structure can tell them apart
    with torch.no_grad():
        return (model.embed(x, STAR) - model.embed(x, PATH)).abs().max().item()


def star_versus_path():
    """1-WL colours of a star and a path, and how far apart sum / mean / max GINs embed them."""
    colors = wl_colors([(STAR, 4), (PATH, 4)], 2)
    fig, axes = new_figure(1, 3, width=9.6, height=3.0, gridspec_kw={"width_ratios": [1, 1, 1.4]})
    star_pos = np.array([[0.0, 0.0], [0.0, 1.0], [-0.87, -0.5], [0.87, -0.5]])
    path_pos = np.array([[-1.5, 0.0], [-0.5, 0.0], [0.5, 0.0], [1.5, 0.0]])
    for ax, edges, pos, c, name in (
        (axes[0], STAR, star_pos, colors[0][2], "star"),
        (axes[1], PATH, path_pos, colors[1][2], "path"),
    ):
        draw_graph(ax, pos, edges, [PALETTE[k % len(PALETTE)] for k in c], size=220, edge_alpha=0.8)
        ax.set_title(f"{name}\nWL colours after 2 rounds")  # two lines: one line ran into the next title
        ax.set_xlim(-1.9, 1.9)
        ax.set_ylim(-1.3, 1.5)
    gaps = {reduce: embedding_gap(reduce) for reduce in ("sum", "mean", "max")}
    bars = axes[2].bar(list(gaps), list(gaps.values()), color=[PALETTE[0], PALETTE[7], PALETTE[7]])
    axes[2].bar_label(bars, labels=[f"{v:.3g}" if v > 0 else "0 (identical)" for v in gaps.values()])
    axes[2].set_ylabel("max |embedding difference|")
    axes[2].set_title("2-layer GIN, random weights")
    return fig
