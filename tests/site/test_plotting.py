"""The shared figure style's one optimisation: mathtext parses shared by every figure of a process."""

import io

from matplotlib import _mathtext
from matplotlib.mathtext import MathTextParser

from mlatlas.plotting import new_figure


def _log_axes_svg() -> str:
    fig, ax = new_figure(width=4, height=3)
    ax.loglog([1e-6, 1e-3, 1.0, 1e3], [1e4, 1e1, 1e-2, 1e-5], label=r"$\sigma^2 = 10^{-3}$")
    ax.set_xlabel(r"step size $\eta$")
    ax.legend()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def test_shared_mathtext_parses_draw_the_same_svg_and_are_reused(monkeypatch):
    shared = MathTextParser._parse_cached
    assert getattr(MathTextParser, "_mlatlas_shared", False), "the matplotlib method it wraps changed"
    calls = []

    def counting(self, *args):
        calls.append(args)
        return MathTextParser._mlatlas_unshared(self, *args)

    first = _log_axes_svg()
    monkeypatch.setattr(MathTextParser, "_parse_cached", counting)  # matplotlib's own, per parser
    own = _log_axes_svg()
    monkeypatch.setattr(MathTextParser, "_parse_cached", shared)
    assert first == own == _log_axes_svg()
    assert calls  # the figure does use mathtext (tick labels 10^k, the legend, the label)


def test_a_second_figure_parses_no_mathtext_again(monkeypatch):
    parses = []
    real = _mathtext.Parser.parse
    monkeypatch.setattr(_mathtext.Parser, "parse", lambda self, *a: parses.append(a[0]) or real(self, *a))
    _log_axes_svg()
    _log_axes_svg()  # same labels, new renderers and parsers
    shared = len(parses)
    monkeypatch.setattr(MathTextParser, "_parse_cached", MathTextParser._mlatlas_unshared)
    parses.clear()
    _log_axes_svg()
    assert shared < len(parses)  # matplotlib alone parses every label again for each figure
