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


def _share_mathtext_parses() -> None:
    """Let every figure of a process reuse mathtext parses (log-axis tick labels such as $10^{-2}$).

    matplotlib caches parses per parser object, and each savefig makes new renderers with new
    parsers, so a build drawing a hundred figures parsed the same few dozen labels hundreds of times
    (about 10 ms each, in pyparsing). A parse depends only on the parser's output type, the text, the
    dpi, the font properties' values and the flags, so one cache keyed by those gives the same glyphs
    (figures byte-identical; tested). Skipped if a matplotlib release changes the method it wraps."""
    from matplotlib.mathtext import MathTextParser

    parse = getattr(MathTextParser._parse_cached, "__wrapped__", None)
    if parse is None or getattr(MathTextParser, "_mlatlas_shared", False):
        return
    cache: dict[tuple, object] = {}

    def _parse_cached(self, s, dpi, prop, antialiased, load_glyph_flags):
        font = None
        if prop is not None:  # the values FontProperties compares by, frozen now (prop may change later)
            font = (tuple(prop.get_family()), prop.get_slant(), prop.get_variant(), prop.get_weight())
            font += (prop.get_stretch(), prop.get_size(), prop.get_file(), prop.get_math_fontfamily())
        key = (self._output_type, s, dpi, font, antialiased, load_glyph_flags)
        if key not in cache:
            if len(cache) >= 4096:
                cache.clear()
            cache[key] = parse(self, s, dpi, prop, antialiased, load_glyph_flags)
        return cache[key]

    MathTextParser._mlatlas_unshared = MathTextParser._parse_cached  # kept for the test
    MathTextParser._parse_cached = _parse_cached
    MathTextParser._mlatlas_shared = True


_share_mathtext_parses()


def new_figure(nrows: int = 1, ncols: int = 1, *, width: float = 6.4, height: float = 3.6, **kwargs):
    """A (figure, axes) pair in the atlas style, not attached to pyplot's global state (no leaks)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(nrows, ncols, **kwargs)
    return fig, axes
