"""Regime detection: a regime-switching return series, features, and how to score a detector.

Paper: J. D. Hamilton (1989), "A New Approach to the Economic Analysis of Nonstationary Time Series
and the Business Cycle", Econometrica 57(2); B. Horvath, Z. Issa, A. Muguruza (2021), "Clustering
Market Regimes using the Wasserstein Distance", arXiv:2110.11848.

A hidden Markov chain picks a regime each day; the regime picks the mean and volatility of that day's
return. Detectors see only the returns; because we generated them, we know the true regimes and can
score every detector against them (accuracy after the best relabelling, and adjusted Rand index).

The detectors live in their own modules: ``regime_kmeans`` (k-means on rolling features),
``regime_gmm`` (a Gaussian mixture by EM), ``hmm`` (a Gaussian HMM: Baum–Welch and Viterbi) and
``regime_wasserstein_kmeans`` (k-means on rolling windows as distributions). ``compare_methods``
runs all four on one series.

Shapes: ``T`` days, ``K`` regimes, ``F`` features per day, ``W`` window length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from mlatlas.stochastic.hmm import baum_welch, forward_backward, init_hmm_params, viterbi
from mlatlas.stochastic.regime_gmm import fit_gmm
from mlatlas.stochastic.regime_kmeans import kmeans
from mlatlas.stochastic.regime_wasserstein_kmeans import wasserstein_kmeans

# The default market: calm, choppy and crisis days (daily returns). Expected stays 1/(1 - a_kk):
# about 100, 50 and 25 days.
DEFAULT_MEANS = (0.0006, 0.0, -0.0015)
DEFAULT_VOLS = (0.006, 0.012, 0.028)
DEFAULT_TRANSMAT = (
    (0.99, 0.008, 0.002),
    (0.012, 0.98, 0.008),
    (0.01, 0.03, 0.96),
)
REGIME_NAMES = ("calm", "choppy", "crisis")


@dataclass(frozen=True)
class RegimeSeries:
    """A generated series: returns (T,), the true regime of each day (T,), and the generator's parameters."""

    returns: np.ndarray  # (T,)
    states: np.ndarray  # (T,) int in [0, K)
    means: np.ndarray  # (K,)
    vols: np.ndarray  # (K,)
    transmat: np.ndarray  # (K, K)

    @property
    def prices(self) -> np.ndarray:
        """Price path starting at 1: p_t = exp(sum_{s<=t} r_s) (returns read as log-returns)."""
        return np.exp(np.cumsum(self.returns))  # (T,)


def _check_markov(transmat: np.ndarray, start: np.ndarray) -> None:
    K = transmat.shape[0]
    if transmat.ndim != 2 or transmat.shape != (K, K):
        raise ValueError(f"transmat must be square (K, K); got shape {transmat.shape}")
    if np.any(transmat < 0) or not np.allclose(transmat.sum(axis=1), 1.0, atol=1e-12):
        raise ValueError("each row of transmat must be a probability vector (non-negative, sums to 1)")
    if start.shape != (K,) or np.any(start < 0) or not np.isclose(start.sum(), 1.0, atol=1e-12):
        raise ValueError(f"start must be a probability vector of length K={K}")


def stationary_distribution(transmat: np.ndarray) -> np.ndarray:
    """pi with pi A = pi, sum(pi) = 1: the left eigenvector of A for eigenvalue 1. Shape (K,)."""
    A = np.asarray(transmat, dtype=np.float64)
    K = A.shape[0]
    # Solve (A^T - I) pi = 0 with the normalisation appended as an extra equation.
    M = np.vstack([A.T - np.eye(K), np.ones((1, K))])  # (K+1, K)
    b = np.zeros(K + 1)
    b[-1] = 1.0
    pi, *_ = np.linalg.lstsq(M, b, rcond=None)
    return pi


def regime_switching_returns(
    T: int,
    rng: np.random.Generator,
    *,
    means=DEFAULT_MEANS,
    vols=DEFAULT_VOLS,
    transmat=DEFAULT_TRANSMAT,
    start=None,
) -> RegimeSeries:
    """Sample T days from a Markov-switching Gaussian model (Hamilton 1989).

    s_0 ~ start (default: the stationary distribution of ``transmat``),
    s_t | s_{t-1} ~ transmat[s_{t-1}],       (Markov chain of regimes)
    r_t | s_t ~ N(means[s_t], vols[s_t]^2).  (regime-dependent returns)
    """
    means = np.asarray(means, dtype=np.float64)
    vols = np.asarray(vols, dtype=np.float64)
    A = np.asarray(transmat, dtype=np.float64)
    K = means.shape[0]
    if T < 1:
        raise ValueError(f"T must be a positive number of days; got {T}")
    if vols.shape != (K,) or A.shape != (K, K):
        raise ValueError(
            f"means ({means.shape}), vols ({vols.shape}) and transmat ({A.shape}) disagree on K={K}"
        )
    if np.any(vols <= 0):
        raise ValueError("vols must be positive standard deviations")
    start = stationary_distribution(A) if start is None else np.asarray(start, dtype=np.float64)
    _check_markov(A, start)

    # The chain: draw uniforms once, then invert each row's CDF.
    u = rng.random(T)  # (T,)
    cdf = np.cumsum(A, axis=1)  # (K, K)
    cdf[:, -1] = 1.0  # guard against round-off leaving a gap at the top
    states = np.empty(T, dtype=np.int64)
    states[0] = min(int(np.searchsorted(np.cumsum(start), u[0], side="right")), K - 1)
    for t in range(1, T):
        states[t] = int(np.searchsorted(cdf[states[t - 1]], u[t], side="right"))
    returns = means[states] + vols[states] * rng.standard_normal(T)  # r_t = mu_s + sigma_s z_t
    return RegimeSeries(returns=returns, states=states, means=means, vols=vols, transmat=A)


def rolling_windows(returns: np.ndarray, window: int) -> np.ndarray:
    """All windows of ``window`` consecutive returns, one per end day t = W-1 .. T-1. Shape (T-W+1, W)."""
    returns = np.asarray(returns, dtype=np.float64)
    if returns.ndim != 1:
        raise ValueError(f"returns must be one-dimensional (T,); got shape {returns.shape}")
    if not 2 <= window <= returns.shape[0]:
        raise ValueError(f"window must be between 2 and T={returns.shape[0]}; got {window}")
    return np.lib.stride_tricks.sliding_window_view(returns, window)  # (T-W+1, W)


def rolling_features(returns: np.ndarray, window: int) -> np.ndarray:
    """Rolling mean and rolling standard deviation of the last ``window`` days. Shape (T-W+1, 2).

    Row i describes the window ending on day i + W - 1, so it only uses the past (no look-ahead).
    """
    x = rolling_windows(returns, window)  # (T-W+1, W)
    return np.stack([x.mean(axis=1), x.std(axis=1)], axis=1)  # (T-W+1, 2)


def standardize(features: np.ndarray) -> np.ndarray:
    """z-score each column, so k-means does not see volatility as 'bigger' than the mean."""
    features = np.asarray(features, dtype=np.float64)
    std = features.std(axis=0)
    if np.any(std == 0):
        raise ValueError("a feature column is constant; it cannot be standardised")
    return (features - features.mean(axis=0)) / std


def confusion_matrix(true: np.ndarray, pred: np.ndarray, K: int) -> np.ndarray:
    """counts[i, j] = number of days whose true regime is i and predicted cluster is j. Shape (K, K)."""
    true = np.asarray(true)
    pred = np.asarray(pred)
    if true.shape != pred.shape:
        raise ValueError(f"true {true.shape} and pred {pred.shape} must label the same days")
    counts = np.zeros((K, K), dtype=np.int64)
    np.add.at(counts, (true, pred), 1)
    return counts


def match_labels(true: np.ndarray, pred: np.ndarray, K: int) -> np.ndarray:
    """Relabel ``pred`` so cluster names agree with ``true`` as often as possible (Hungarian method).

    Cluster numbers are arbitrary; this finds the permutation that maximises agreement.
    """
    counts = confusion_matrix(true, pred, K)
    rows, cols = linear_sum_assignment(-counts)  # maximise matched days
    mapping = np.empty(K, dtype=np.int64)
    mapping[cols] = rows
    return mapping[np.asarray(pred)]


def matched_accuracy(true: np.ndarray, pred: np.ndarray, K: int) -> float:
    """Fraction of days labelled correctly after the best relabelling of the clusters."""
    return float(np.mean(match_labels(true, pred, K) == np.asarray(true)))


def adjusted_rand_index(true: np.ndarray, pred: np.ndarray) -> float:
    """Adjusted Rand index (Hubert & Arabie 1985): pair agreement corrected for chance.

    1 means identical partitions (up to renaming), about 0 means no better than random.

    ARI = (sum_ij C(n_ij, 2) - E) / (max - E), E = sum_i C(a_i, 2) sum_j C(b_j, 2) / C(n, 2),
    max = (sum_i C(a_i, 2) + sum_j C(b_j, 2)) / 2, with n_ij the contingency table, a, b its margins.
    """
    true = np.asarray(true)
    pred = np.asarray(pred)
    if true.shape != pred.shape or true.ndim != 1:
        raise ValueError("true and pred must be one-dimensional label arrays of the same length")
    _, t = np.unique(true, return_inverse=True)
    _, p = np.unique(pred, return_inverse=True)
    n_ij = np.zeros((t.max() + 1, p.max() + 1), dtype=np.float64)
    np.add.at(n_ij, (t, p), 1.0)
    comb2 = lambda m: m * (m - 1) / 2.0  # noqa: E731  C(m, 2)
    sum_ij = comb2(n_ij).sum()
    sum_a = comb2(n_ij.sum(axis=1)).sum()
    sum_b = comb2(n_ij.sum(axis=0)).sum()
    expected = sum_a * sum_b / comb2(float(true.shape[0]))
    maximum = (sum_a + sum_b) / 2.0
    if maximum == expected:  # both labelings are a single cluster (or all singletons)
        return 1.0
    return float((sum_ij - expected) / (maximum - expected))


@dataclass(frozen=True)
class MethodResult:
    """One detector's labels (aligned with ``true``) and its scores."""

    name: str
    labels: np.ndarray  # (T-W+1,) relabelled to match the true regimes
    accuracy: float
    ari: float


@dataclass(frozen=True)
class Comparison:
    """All detectors on one series; every label array covers days W-1 .. T-1."""

    true: np.ndarray  # (T-W+1,)
    window: int
    results: tuple[MethodResult, ...]


def compare_methods(
    series: RegimeSeries, *, window: int = 20, seed: int = 0, hmm_iter: int = 100, n_init: int = 5
) -> Comparison:
    """Run k-means, GMM, Gaussian HMM and Wasserstein k-means on one series and score each.

    The windowed methods label day t from the window ending at t; the HMM labels day t from the whole
    series (Viterbi path). All are scored on the same days, W-1 .. T-1.
    """
    K = series.means.shape[0]
    rng = lambda i: np.random.default_rng([seed, i])  # noqa: E731  one stream per method
    true = series.states[window - 1 :]  # (T-W+1,)
    feats = standardize(rolling_features(series.returns, window))  # (T-W+1, 2) z-scored mean, vol

    raw: dict[str, np.ndarray] = {}
    raw["k-means on (mean, vol)"] = kmeans(feats, K, rng=rng(0), n_init=n_init).labels
    raw["k-means on vol alone"] = kmeans(feats[:, 1:], K, rng=rng(1), n_init=n_init).labels
    raw["Gaussian mixture on (mean, vol)"] = fit_gmm(feats, K, rng=rng(2)).labels
    x = series.returns[:, None]  # (T, 1)
    hmm_fit = baum_welch(x, init_hmm_params(x, K), n_iter=hmm_iter)
    raw["Gaussian HMM on daily returns"] = viterbi(x, hmm_fit.params).states[window - 1 :]
    raw["Wasserstein k-means on windows"] = wasserstein_kmeans(
        rolling_windows(series.returns, window), K, p=1, rng=rng(3), n_init=n_init
    ).labels

    results = []
    for name, labels in raw.items():
        matched = match_labels(true, labels, K)
        results.append(
            MethodResult(
                name=name,
                labels=matched,
                accuracy=float(np.mean(matched == true)),
                ari=adjusted_rand_index(true, labels),
            )
        )
    return Comparison(true=true, window=window, results=tuple(results))


def demo() -> None:
    """Print the comparison table for the page's default series (``mlatlas run regime-detection``)."""
    series = regime_switching_returns(2000, np.random.default_rng(7))
    comp = compare_methods(series)
    print(f"{'method':40s} {'accuracy':>9s} {'ARI':>6s}")
    for r in comp.results:
        print(f"{r.name:40s} {r.accuracy:9.3f} {r.ari:6.3f}")
    x = series.returns[:, None]
    fit = baum_welch(x, init_hmm_params(x, 3), n_iter=100)
    vols = np.sqrt(fit.params.covars[:, 0])
    fitted = ", ".join(f"{v:.2%}" for v in vols)
    true = ", ".join(f"{v:.1%}" for v in series.vols)
    print(f"HMM daily volatilities: {fitted} (true {true})")


DRIFT_REGIMES = dict(means=(0.002, -0.002), vols=(0.01, 0.01), transmat=((0.99, 0.01), (0.02, 0.98)))


SHORT_NAMES = {  # keys of the notebook's value tables, in the order of compare_methods
    "k-means on (mean, vol)": "kmeans",
    "k-means on vol alone": "kmeans_vol",
    "Gaussian mixture on (mean, vol)": "gmm",
    "Gaussian HMM on daily returns": "hmm",
    "Wasserstein k-means on windows": "wkmeans",
}


def seed_table(seeds: int = 5) -> dict[str, float]:
    """ARI of every detector on ``seeds`` fresh 2000-day markets (rng seeds 100, 101, ...):
    ``<detector>_mean``, ``<detector>_sd`` (population sd) and ``<detector>_min``."""
    table: dict[str, list[float]] = {}
    for seed in range(seeds):
        for r in compare_methods(regime_switching_returns(2000, np.random.default_rng(100 + seed))).results:
            table.setdefault(SHORT_NAMES[r.name], []).append(r.ari)
    out: dict[str, float] = {}
    for key, vals in table.items():
        out[f"{key}_mean"], out[f"{key}_sd"], out[f"{key}_min"] = np.mean(vals), np.std(vals), np.min(vals)
    return out


def live_versus_hindsight() -> dict[str, float]:
    """The HMM fitted to the page's series (seed 7): filtered and smoothed labels scored against the
    truth (``filtered_acc``/``_ari``, ``smoothed_acc``/``_ari``), the rounds Baum-Welch ran
    (``rounds``), and the fitted daily volatilities and persistences ordered calm, choppy, crisis
    (``vol_0..2``, ``stay_0..2``)."""
    series = regime_switching_returns(2000, np.random.default_rng(7))
    x = series.returns[:, None]  # (T, 1)
    fit = baum_welch(x, init_hmm_params(x, 3), n_iter=100)
    post = forward_backward(x, fit.params)
    labels = {
        "filtered": post.log_alpha.argmax(axis=1),  # argmax P(s_t | x_0..x_t)
        "smoothed": post.gamma.argmax(axis=1),  # argmax P(s_t | x_0..x_{T-1})
    }
    out: dict[str, float] = {"rounds": len(fit.log_likelihoods)}
    for name, lab in labels.items():
        out[f"{name}_acc"] = matched_accuracy(series.states, lab, 3)
        out[f"{name}_ari"] = adjusted_rand_index(series.states, lab)
    order = np.argsort(fit.params.covars[:, 0])  # calm, choppy, crisis by fitted volatility
    for k, i in enumerate(order):
        out[f"vol_{k}"] = float(np.sqrt(fit.params.covars[i, 0]))
        out[f"stay_{k}"] = float(fit.params.transmat[i, i])
    return out


def drift_table() -> dict[str, float]:
    """Regimes that differ only in drift (+0.2%/day vs -0.2%/day, same 1% volatility; seed 3), the
    HMM given 300 Baum-Welch rounds: ``<detector>_acc`` and ``<detector>_ari``; ``hmm100_ari`` is the
    HMM's score on all days after the chapter's default of 100 rounds."""
    drift = regime_switching_returns(2000, np.random.default_rng(3), **DRIFT_REGIMES)
    out: dict[str, float] = {}
    for r in compare_methods(drift, hmm_iter=300).results:
        out[f"{SHORT_NAMES[r.name]}_acc"], out[f"{SHORT_NAMES[r.name]}_ari"] = r.accuracy, r.ari
    x = drift.returns[:, None]  # the same HMM stopped at the chapter's default of 100 rounds
    short = viterbi(x, baum_welch(x, init_hmm_params(x, 2), n_iter=100).params).states
    out["hmm100_ari"] = adjusted_rand_index(drift.states, short)
    return out


def notebook_demo() -> None:
    """The regime-detection notebook's numbers (``mlatlas run regime-detection-notebook``)."""
    names = {v: k for k, v in SHORT_NAMES.items()}
    print("1. Five seeds of the default market (2000 days): ARI per detector, mean ± sd")
    table = seed_table()
    for key, name in names.items():
        mean, sd, low = (table[f"{key}_{stat}"] for stat in ("mean", "sd", "min"))
        print(f"   {name:40s} {mean:.3f} ± {sd:.3f}  (min {low:.3f})")
    print("2. Live versus hindsight on the page's series (seed 7): HMM accuracy after relabelling")
    live = live_versus_hindsight()
    for name in ("filtered", "smoothed"):
        print(f"   {name:22s} accuracy {live[name + '_acc']:.3f}  ARI {live[name + '_ari']:.3f}")
    print("3. Regimes that differ only in drift (+0.2%/day vs -0.2%/day, same 1% volatility)")
    drift = drift_table()
    for key, name in names.items():
        print(f"   {name:40s} accuracy {drift[key + '_acc']:.3f}  ARI {drift[key + '_ari']:.3f}")
