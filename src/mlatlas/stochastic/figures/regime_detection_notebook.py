"""Figures for the regime-detection notebook (exploration): HMM posteriors, EM, window lengths."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.stochastic.figures.regime_detection import REGIME_COLORS, _regime_legend, _shade, page_series
from mlatlas.stochastic.hmm import baum_welch, forward_backward, init_hmm_params, viterbi
from mlatlas.stochastic.regime_detection import (
    REGIME_NAMES,
    adjusted_rand_index,
    rolling_features,
    rolling_windows,
    standardize,
)
from mlatlas.stochastic.regime_gmm import fit_gmm
from mlatlas.stochastic.regime_kmeans import kmeans
from mlatlas.stochastic.regime_wasserstein_kmeans import wasserstein_kmeans

ZOOM = slice(250, 700)  # days around the first crisis of the page's series


@lru_cache(maxsize=1)
def _hmm():
    s = page_series()
    x = s.returns[:, None]
    fit = baum_welch(x, init_hmm_params(x, 3), n_iter=100)
    post = forward_backward(x, fit.params)
    # order the fitted states by volatility so colours match calm / choppy / crisis
    order = np.argsort(fit.params.covars[:, 0])
    return s, fit, post, order


def hmm_posteriors():
    """Smoothed P(s_t | all days) against filtered P(s_t | days up to t), over 450 days."""
    s, fit, post, order = _hmm()
    smoothed = post.gamma[:, order]  # (T, K)
    la = post.log_alpha[:, order]
    filtered = np.exp(la - la.max(axis=1, keepdims=True))
    filtered /= filtered.sum(axis=1, keepdims=True)  # (T, K) P(s_t | x_0..x_t)
    days = np.arange(s.returns.size)[ZOOM]
    fig, axes = new_figure(3, 1, width=7.2, height=5.2, sharex=True)
    axes[0].plot(days, s.returns[ZOOM], color=PALETTE[7], lw=0.7)
    _shade(axes[0], s.states[ZOOM], offset=ZOOM.start)
    axes[0].set_ylabel("return")
    _regime_legend(axes[0], loc="lower left", fontsize=8)
    for ax, probs, title in (
        (axes[1], filtered, "filtered (live)"),
        (axes[2], smoothed, "smoothed (hindsight)"),
    ):
        ax.stackplot(days, probs[ZOOM].T, colors=REGIME_COLORS, alpha=0.8, lw=0)
        ax.set_ylim(0, 1)
        ax.set_ylabel(title)
    axes[2].set_xlabel("day")
    return fig


def em_and_transitions():
    """Baum–Welch's log-likelihood per round, and the fitted transition matrix beside the true one."""
    s, fit, _, order = _hmm()
    fig, axes = new_figure(1, 3, width=7.6, height=2.8, width_ratios=[1.4, 1, 1])
    ll = fit.log_likelihoods
    axes[0].plot(np.arange(1, ll.size + 1), ll, ".-", color=PALETTE[0], ms=3)
    axes[0].set_xlabel("Baum–Welch round")
    axes[0].set_ylabel("log-likelihood")
    fitted = fit.params.transmat[np.ix_(order, order)]
    for ax, A, title in ((axes[1], s.transmat, "true A"), (axes[2], fitted, "fitted A")):
        ax.imshow(np.log10(A + 1e-4), cmap="Blues", vmin=-4, vmax=0)
        for i in range(3):
            for j in range(3):
                ax.text(
                    j,
                    i,
                    f"{A[i, j]:.3f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if A[i, j] > 0.5 else "#0f172a",  # on the cell, not the page
                )
        ax.set_xticks(range(3))
        ax.set_xticklabels(REGIME_NAMES, fontsize=7)
        ax.set_yticks(range(3))
        ax.set_yticklabels(REGIME_NAMES, fontsize=7)
        ax.set_title(title, fontsize=9)
    return fig


def window_sensitivity():
    """ARI of the windowed detectors for window lengths from 5 to 60 days (the HMM needs no window)."""
    s = page_series()
    windows = (5, 10, 20, 40, 60)
    rng = lambda i: np.random.default_rng([0, i])  # noqa: E731
    scores = {"k-means on vol alone": [], "Gaussian mixture on (mean, vol)": [], "Wasserstein k-means": []}
    for w in windows:
        true = s.states[w - 1 :]
        f = standardize(rolling_features(s.returns, w))
        scores["k-means on vol alone"].append(
            adjusted_rand_index(true, kmeans(f[:, 1:], 3, rng=rng(1)).labels)
        )
        scores["Gaussian mixture on (mean, vol)"].append(
            adjusted_rand_index(true, fit_gmm(f, 3, rng=rng(2)).labels)
        )
        wk = wasserstein_kmeans(rolling_windows(s.returns, w), 3, rng=rng(3), n_init=2)
        scores["Wasserstein k-means"].append(adjusted_rand_index(true, wk.labels))
    _, fit, _, _ = _hmm()
    hmm_ari = adjusted_rand_index(s.states, viterbi(s.returns[:, None], fit.params).states)
    fig, ax = new_figure(width=6.0, height=3.2)
    for (name, vals), color in zip(scores.items(), (PALETTE[0], PALETTE[1], PALETTE[4])):
        ax.plot(windows, vals, "o-", color=color, label=name)
    ax.axhline(hmm_ari, color=PALETTE[3], ls="--", lw=1, label="Gaussian HMM, Viterbi (no window)")
    ax.set_xlabel("window length (days)")
    ax.set_ylabel("adjusted Rand index")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8, loc="lower center", ncols=2)
    return fig
