"""The 1-dimensional Weisfeiler-Lehman test (colour refinement).

Paper: Weisfeiler, Leman (1968), "The reduction of a graph to canonical form and the algebra which
appears therein", Nauchno-Technicheskaya Informatsia 2(9); as a yardstick for GNNs: Xu, Hu,
Leskovec, Jegelka (2019), "How Powerful are Graph Neural Networks?", arXiv:1810.00826.
Every node repeatedly replaces its colour by (its colour, the multiset of its neighbours' colours);
two graphs whose colour counts ever differ are certainly not isomorphic.

Refinement step (Xu et al. section 3)::

    c_i^(k+1) = RELABEL( c_i^(k), {{ c_j^(k) : j in N(i) }} )

Colours are shared across the graphs refined together, so their histograms can be compared.
"""

from __future__ import annotations

from collections import Counter

from torch import Tensor


def wl_colors(graphs: list[tuple[Tensor, int]], iterations: int) -> list[list[list[int]]]:
    """Refine colours jointly on several graphs, each given as ``(edge_index (2, E), num_nodes)``.

    Returns ``colors[g][k]``: the list of node colours of graph g after k rounds (k = 0..iterations).
    All nodes start with colour 0; messages flow along edges j -> i, as in message passing.
    """
    if iterations < 0:
        raise ValueError(f"iterations must be >= 0, got {iterations}")
    neighbours = []
    for edge_index, n in graphs:
        incoming: list[list[int]] = [[] for _ in range(n)]
        for j, i in edge_index.t().tolist():
            incoming[i].append(j)  # N(i) as a multiset: multi-edges count twice
        neighbours.append(incoming)
    colors = [[[0] * n] for _, n in graphs]
    for _ in range(iterations):
        palette: dict[tuple, int] = {}  # RELABEL, shared by all graphs in this round
        for g, incoming in enumerate(neighbours):
            previous = colors[g][-1]
            signature = [(c, tuple(sorted(previous[j] for j in nbrs))) for c, nbrs in zip(previous, incoming)]
            colors[g].append([palette.setdefault(s, len(palette)) for s in signature])
    return colors


def wl_distinguishes(g1: tuple[Tensor, int], g2: tuple[Tensor, int], iterations: int) -> bool:
    """True if some round of 1-WL gives the two graphs different colour histograms (non-isomorphic)."""
    colors = wl_colors([g1, g2], iterations)
    return any(Counter(a) != Counter(b) for a, b in zip(colors[0], colors[1]))
