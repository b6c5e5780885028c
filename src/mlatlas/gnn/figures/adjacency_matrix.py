"""Figures for the adjacency-matrix chapter."""

from __future__ import annotations

import numpy as np

from mlatlas.gnn.adjacency_matrix import adjacency_matrix, normalized_adjacency
from mlatlas.gnn.datasets import karate_club
from mlatlas.gnn.figures.drawing import draw_graph, layout
from mlatlas.plotting import PALETTE, new_figure


def karate_three_views():
    """The karate club as a drawing, as A (rows ordered by club), and as D^-1/2 (A + I) D^-1/2."""
    g = karate_club()
    a = adjacency_matrix(g.edge_index, 34)
    order = np.argsort(g.y.numpy(), kind="stable")  # both clubs as contiguous blocks
    fig, axes = new_figure(1, 3, width=9.6, height=3.4)
    colors = [PALETTE[int(c)] for c in g.y]
    draw_graph(axes[0], layout(g.edge_index, 34), g.edge_index, colors)
    axes[0].set_title("graph (colour = club)")
    # zeros are masked (transparent), so the matrices read on light and dark backgrounds alike
    axes[1].imshow(
        np.ma.masked_equal(a.numpy()[np.ix_(order, order)], 0),
        cmap="Blues",
        vmin=0,
        vmax=1.5,
        interpolation="nearest",
    )
    axes[1].set_title("A, members sorted by club")
    a_hat = normalized_adjacency(a, "sym", self_loops=True).numpy()
    im = axes[2].imshow(
        np.ma.masked_equal(a_hat[np.ix_(order, order)], 0), cmap="Blues", vmin=-0.15, interpolation="nearest"
    )
    axes[2].set_title(r"$\tilde D^{-1/2}(A+I)\tilde D^{-1/2}$")
    split = int((g.y == 0).sum())
    for ax in axes[1:]:
        for side in ("top", "right"):
            ax.spines[side].set_visible(True)
        ax.axhline(split - 0.5, color=PALETTE[3], lw=0.8)
        ax.axvline(split - 0.5, color=PALETTE[3], lw=0.8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im, ax=axes[2], shrink=0.8)
    return fig
