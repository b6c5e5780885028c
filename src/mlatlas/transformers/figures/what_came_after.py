"""Figure for the what-came-after chapter: the lineage as a timeline."""

from __future__ import annotations

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.what_came_after import FAMILIES, LINEAGE


def lineage_timeline():
    """Milestones by year (x) and family (lane), with an arrow from each to what it built on."""
    fig, ax = new_figure(width=8.0, height=4.2)
    lane = {f: i for i, f in enumerate(FAMILIES)}
    pos, per_cell = {}, {}
    for m in LINEAGE:
        k = per_cell.get((m.year, m.family), 0)
        per_cell[(m.year, m.family)] = k + 1
        pos[m.id] = (m.year + 0.28 * k, lane[m.family] + 0.22 * k)
    for m in LINEAGE:
        for parent in m.builds_on:
            (x0, y0), (x1, y1) = pos[parent], pos[m.id]
            ax.annotate(
                "",
                xy=(x1, y1),
                xytext=(x0, y0),
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": PALETTE[7],
                    "alpha": 0.45,
                    "lw": 0.8,
                    "shrinkA": 5,
                    "shrinkB": 5,
                },
            )
    for m in LINEAGE:
        x, y = pos[m.id]
        ax.plot([x], [y], "o", color=PALETTE[lane[m.family] % len(PALETTE)], ms=7, zorder=3)
        ax.annotate(m.name, (x, y), xytext=(0, 7), textcoords="offset points", ha="center", fontsize=7.5)
    ax.set_yticks(range(len(FAMILIES)), FAMILIES)
    ax.set_xticks(range(2017, 2025))
    ax.set_xlim(2016.6, 2024.8)
    ax.set_ylim(-0.6, len(FAMILIES) - 0.3)
    ax.grid(axis="x")
    ax.set_title("2017 → 2024: what each milestone built on")
    return fig
