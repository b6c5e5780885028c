"""A small data-flow diagram: boxes (what is computed, with its tensor shape) joined by arrows.

Every page of the series draws its model this way; the shapes written in the boxes are read from a
forward pass of the package's model (``shape_text``), not typed.
"""

from __future__ import annotations

from typing import NamedTuple

from mlatlas.plotting import INK, PALETTE, new_figure


class Node(NamedTuple):
    key: str
    x: float  # centre, in data units of a (0, width) x (0, height) canvas
    y: float
    text: str
    colour: int = 7  # index into PALETTE for the box edge


def shape_text(t) -> str:
    """'(2, 17, 32)' for a tensor or a tuple of sizes."""
    return "(" + ", ".join(str(int(s)) for s in tuple(getattr(t, "shape", t))) + ")"


def flow_diagram(
    nodes: list[Node],
    edges: list[tuple],
    *,
    width: float = 7.0,
    height: float = 4.2,
    fontsize: float = 9.5,
    titles: tuple = (),
):
    """Draw nodes as rounded boxes, edges (src, dst[, label]) as arrows and titles (x, y, text) in bold."""
    fig, ax = new_figure(width=width, height=height)
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    for x, y, text in titles:
        ax.text(x, y, text, ha="center", va="center", fontsize=fontsize + 1, color=INK, weight="bold")
    boxes = {}
    for n in nodes:
        boxes[n.key] = ax.text(
            n.x,
            n.y,
            n.text,
            ha="center",
            va="center",
            fontsize=fontsize,
            color=INK,
            bbox={
                "boxstyle": "round,pad=0.35",
                "facecolor": "none",
                "edgecolor": PALETTE[n.colour],
                "lw": 1.6,
            },
        )
    for edge in edges:
        src, dst = boxes[edge[0]], boxes[edge[1]]
        ax.annotate(
            "",
            xy=dst.get_position(),
            xytext=src.get_position(),
            arrowprops={
                "arrowstyle": "-|>",
                "color": INK,
                "lw": 1.0,
                "shrinkA": 0,
                "shrinkB": 0,
                "patchA": src.get_bbox_patch(),
                "patchB": dst.get_bbox_patch(),
            },
        )
        if len(edge) > 2 and edge[2]:
            (x0, y0), (x1, y1) = src.get_position(), dst.get_position()
            ax.text(
                (x0 + x1) / 2,
                (y0 + y1) / 2,
                edge[2],
                ha="center",
                va="center",
                fontsize=fontsize - 1.5,
                color=INK,
                style="italic",
            )
    return fig
