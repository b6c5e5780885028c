"""Figures for the regime-detection chapter and the regime-detection notebook (seeded, ~2 s in all)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.stochastic.regime_detection import (
    REGIME_NAMES,
    SHORT_NAMES,
    Comparison,
    RegimeSeries,
    compare_methods,
    regime_switching_returns,
    rolling_features,
)

SEED = 7  # the page's series: 2000 days drawn with numpy's default_rng(7)
T = 2000
REGIME_COLORS = [PALETTE[2], PALETTE[5], PALETTE[3]]  # calm green, choppy yellow, crisis red


@lru_cache(maxsize=1)
def page_series() -> RegimeSeries:
    return regime_switching_returns(T, np.random.default_rng(SEED))


@lru_cache(maxsize=1)
def page_comparison() -> Comparison:
    return compare_methods(page_series())




def page_scores() -> dict[str, float]:
    """The chapter's score table: ``<detector>_acc`` and ``<detector>_ari`` for each detector, and
    ``log_likelihood``, log p(r) of the page's 2000 days under the HMM that Baum-Welch fits."""
    from mlatlas.stochastic.hmm import baum_welch, init_hmm_params, log_likelihood

    out: dict[str, float] = {}
    for r in page_comparison().results:
        out[f"{SHORT_NAMES[r.name]}_acc"], out[f"{SHORT_NAMES[r.name]}_ari"] = r.accuracy, r.ari
    x = page_series().returns[:, None]  # (T, 1)
    out["log_likelihood"] = log_likelihood(x, baum_welch(x, init_hmm_params(x, 3), n_iter=100).params)
    return out


def _shade(ax, states: np.ndarray, offset: int = 0, alpha: float = 0.25) -> None:
    """Shade runs of equal state along the x axis."""
    change = np.flatnonzero(np.diff(states)) + 1
    starts = np.r_[0, change]
    ends = np.r_[change, states.size]
    for a, b in zip(starts, ends):
        ax.axvspan(a + offset, b + offset, color=REGIME_COLORS[states[a]], alpha=alpha, lw=0)


def _regime_legend(ax, **kw) -> None:
    handles = [Patch(color=c, alpha=0.5, label=n) for c, n in zip(REGIME_COLORS, REGIME_NAMES)]
    ax.legend(handles=handles, ncols=3, **kw)


def generated_series():
    """The generated price path and daily returns, shaded by the true regime."""
    s = page_series()
    fig, (ax1, ax2) = new_figure(2, 1, height=4.2, sharex=True)
    ax1.plot(s.prices, color=PALETTE[0], lw=1.2)
    _shade(ax1, s.states)
    ax1.set_ylabel("price")
    _regime_legend(ax1, loc="upper left")
    ax2.plot(s.returns, color=PALETTE[7], lw=0.6)
    _shade(ax2, s.states)
    ax2.set_ylabel("daily return")
    ax2.set_xlabel("day")
    return fig


def label_strips():
    """True regimes and each detector's labels (relabelled to the truth), one strip per row."""
    comp = page_comparison()
    rows = [("true regimes", comp.true, None)] + [(r.name, r.labels, r) for r in comp.results]
    fig, ax = new_figure(width=7.2, height=3.4)
    cmap = ListedColormap(REGIME_COLORS)
    img = np.stack([labels for _, labels, _ in rows])  # (methods + 1, T-W+1)
    x0 = comp.window - 1
    ax.imshow(
        img,
        aspect="auto",
        cmap=cmap,
        vmin=-0.5,
        vmax=2.5,
        interpolation="nearest",
        extent=(x0, x0 + img.shape[1], len(rows) - 0.5, -0.5),
    )
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(
        [name if r is None else f"{name}  (ARI {r.ari:.2f})" for name, _, r in rows], fontsize=8
    )
    ax.set_xlabel("day")
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(left=False)
    _regime_legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    return fig


def score_table():
    """Matched accuracy and adjusted Rand index of every detector on the page's series."""
    comp = page_comparison()
    names = [r.name for r in comp.results]
    y = np.arange(len(names))
    fig, ax = new_figure(width=6.4, height=3.0)
    acc = [r.accuracy for r in comp.results]
    ari = [r.ari for r in comp.results]
    ax.barh(y - 0.2, acc, height=0.38, color=PALETTE[0], label="accuracy (best relabelling)")
    ax.barh(y + 0.2, ari, height=0.38, color=PALETTE[1], label="adjusted Rand index")
    for yi, a, r in zip(y, acc, ari):
        ax.text(a + 0.01, yi - 0.2, f"{a:.3f}", va="center", fontsize=8)
        ax.text(max(r, 0) + 0.01, yi + 0.2, f"{r:.3f}", va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels(names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.legend(loc="lower center", bbox_to_anchor=(0.4, 1.0), ncols=2, fontsize=8)
    return fig


def feature_space():
    """Rolling mean against rolling volatility (20-day windows), coloured by the true regime."""
    s = page_series()
    f = rolling_features(s.returns, 20)
    true = s.states[19:]
    fig, ax = new_figure(width=6.0, height=3.6)
    for k, name in enumerate(REGIME_NAMES):
        m = true == k
        ax.scatter(f[m, 1], f[m, 0], s=5, alpha=0.5, color=REGIME_COLORS[k], label=name, rasterized=True)
    ax.set_xlabel("rolling volatility (20 days)")
    ax.set_ylabel("rolling mean (20 days)")
    ax.legend(loc="lower left", markerscale=3)
    return fig
