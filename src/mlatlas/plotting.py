"""Shared figure style for the atlas's build-time figures.

Figures are exported as SVG and inlined into pages. Ink (text, axes, ticks) is drawn in the sentinel
colour ``INK`` which the site engine rewrites to ``currentColor``, so the same SVG reads in light and
dark mode. Use ``PALETTE`` for data series: mid-tone colours that keep contrast on both backgrounds.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402

INK = "#010203"  # rewritten to currentColor by the site engine
PALETTE = ["#3b82f6", "#f97316", "#10b981", "#e11d48", "#8b5cf6", "#eab308", "#06b6d4", "#64748b"]

STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "mlatlas",
    "font.family": "sans-serif",
    "font.size": 10,
    "text.color": INK,
    "axes.edgecolor": INK,
    "axes.labelcolor": INK,
    "axes.titlecolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.facecolor": "none",
    "figure.facecolor": "none",
    "savefig.facecolor": "none",
    "savefig.transparent": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "legend.frameon": False,
    "grid.color": "#94a3b8",
    "grid.alpha": 0.35,
    "lines.linewidth": 1.8,
}


# Figures are drawn only by build-time figure functions, so the style is applied on import.
matplotlib.rcParams.update(STYLE)


def new_figure(nrows: int = 1, ncols: int = 1, *, width: float = 6.4, height: float = 3.6, **kwargs):
    """A (figure, axes) pair in the atlas style, not attached to pyplot's global state (no leaks)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, **kwargs)
    return fig, axes
