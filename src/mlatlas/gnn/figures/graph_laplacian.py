"""Figures for the graph-laplacian chapter."""

from __future__ import annotations

import numpy as np
import torch

from mlatlas.gnn.adjacency_matrix import adjacency_matrix
from mlatlas.gnn.datasets import karate_club
from mlatlas.gnn.figures.drawing import draw_graph, layout
from mlatlas.gnn.graph_laplacian import laplacian, normalized_laplacian, spectral_bipartition
from mlatlas.plotting import PALETTE, new_figure


def karate_fiedler_split():
    """The Fiedler vector of L_sym on the karate club: its sign is the cut, its colour the true club."""
    g = karate_club()
    a = adjacency_matrix(g.edge_index, 34)
    split = spectral_bipartition(a, normalized=True)
    u = split.fiedler.numpy()
    y = g.y.numpy()
    wrong = np.flatnonzero(split.labels.numpy() != y)
    fig, (left, right) = new_figure(1, 2, width=9.0, height=3.6)
    pos = layout(g.edge_index, 34)
    sc = draw_graph(left, pos, g.edge_index, u, cmap="coolwarm", vmin=-np.abs(u).max(), vmax=np.abs(u).max())
    left.scatter(pos[wrong, 0], pos[wrong, 1], s=220, facecolors="none", edgecolors=PALETTE[5], linewidths=2)
    left.set_title(f"colour = Fiedler value; ringed: {len(wrong)} misplaced")
    fig.colorbar(sc, ax=left, shrink=0.7)
    order = np.argsort(u)
    right.bar(np.arange(34), u[order], color=[PALETTE[c] for c in y[order]], width=0.85)
    right.axhline(0, lw=0.8)
    right.set_xlabel("members, sorted (colour = club joined)")
    right.set_ylabel(r"$v_2$")
    right.set_xticks([])
    right.set_title(rf"Fiedler vector of $L_{{sym}}$, $\lambda_2 = {split.eigenvalues[1].item():.3f}$")
    return fig


def karate_spectrum():
    """Eigenvalues of L and L_sym on the karate club: one zero per connected component."""
    a = adjacency_matrix(karate_club().edge_index, 34)
    fig, ax = new_figure(width=6.0, height=3.0)
    ax.plot(torch.linalg.eigvalsh(laplacian(a)).numpy(), "o", ms=3.5, label="$L = D - A$")
    ax.plot(
        torch.linalg.eigvalsh(normalized_laplacian(a)).numpy(), "s", ms=3.5, label=r"$L_{sym}$ (in [0, 2])"
    )
    ax.set_xlabel("index k")
    ax.set_ylabel(r"$\lambda_k$")
    ax.legend()
    return fig
