"""MCMC diagnostics: effective sample size, split R-hat and Monte Carlo standard errors.

Paper: Vehtari, Gelman, Simpson, Carpenter, Bürkner (2021), "Rank-normalization, folding, and
localization: An improved R-hat for assessing convergence of MCMC", Bayesian Analysis,
arXiv:1903.08008; Geyer (1992), "Practical Markov chain Monte Carlo", Statistical Science 7.
Correlated draws carry less information than independent ones: the effective sample size divides
the number of draws by the integrated autocorrelation time, and R-hat compares chains with each other.

``draws`` arrays have shape (chains, draws) for one scalar quantity. Chains are split in half first,
so a chain that drifts shows up as two chains that disagree.
"""

from __future__ import annotations

import numpy as np
from scipy import fft, special


def _check(draws: np.ndarray) -> np.ndarray:
    draws = np.asarray(draws, dtype=np.float64)
    if draws.ndim == 1:
        draws = draws[None, :]  # one chain
    if draws.ndim != 2 or draws.shape[1] < 4:
        raise ValueError(f"draws must be (chains, draws) with at least 4 draws, got shape {draws.shape}")
    return draws


def split_chains(draws: np.ndarray) -> np.ndarray:
    """(chains, draws) -> (2 chains, draws // 2): first and last halves of each chain.

    The middle draw of an odd-length chain is dropped."""
    draws = _check(draws)
    half = draws.shape[1] // 2
    return np.concatenate([draws[:, :half], draws[:, -half:]], axis=0)


def autocovariance(draws: np.ndarray) -> np.ndarray:
    """gamma_t = (1/n) sum_i (x_i - xbar)(x_{i+t} - xbar) per chain, t = 0..n-1: (chains, n).

    Computed by FFT, zero-padded so the circular correlation does not wrap around."""
    n = draws.shape[1]
    centred = draws - draws.mean(axis=1, keepdims=True)
    size = fft.next_fast_len(2 * n)  # pad so the circular correlation has no wrap-around
    f = np.fft.rfft(centred, n=size, axis=1)
    return np.fft.irfft(f * np.conjugate(f), n=size, axis=1)[:, :n] / n


def ess(draws: np.ndarray, method: str = "bulk") -> float:
    """Effective sample size of split chains (Vehtari et al. 2021; Geyer 1992).

    rho_t = 1 - (W - mean_chains gamma_t) / var_plus          combined autocorrelation at lag t
    tau   = -1 + 2 sum_{t} rho_t  over Geyer's initial positive, monotone sequence of pair sums
    ESS   = chains * draws / tau

    method "mean": on the draws themselves (the ESS that sets the error of the posterior mean);
    "bulk": on their rank-normalised z-scores, which also works for heavy tails (the default in
    Stan and ArviZ).
    """
    x = split_chains(draws)
    if method == "bulk":
        x = rank_normalise(x)
    elif method != "mean":
        raise ValueError(f"method must be 'bulk' or 'mean', got {method!r}")
    m, n = x.shape
    if np.ptp(x) < np.finfo(float).resolution:
        return float(m * n)  # a constant carries no autocorrelation to estimate
    acov = autocovariance(x)  # (m, n)
    within = acov[:, 0].mean() * n / (n - 1.0)  # W: mean within-chain variance (ddof = 1)
    var_plus = within * (n - 1.0) / n + (x.mean(axis=1).var(ddof=1) if m > 1 else 0.0)  # var^+
    rho = 1.0 - (within - acov.mean(axis=0)) / var_plus  # (n,)
    rho[0] = 1.0  # by definition (the formula gives 1 - W / (n var^+), a finite-n artefact)
    # Geyer's initial positive sequence: sum pairs P_k = rho_{2k} + rho_{2k+1} while they stay positive
    rho_used = np.zeros(n)
    rho_used[:2] = rho[:2]
    t = 1
    even, odd = rho[0], rho[1]
    while t < n - 3 and even + odd > 0.0:
        even, odd = rho[t + 1], rho[t + 2]
        if even + odd >= 0:
            rho_used[t + 1], rho_used[t + 2] = even, odd
        t += 2
    last = t - 2  # index of the last odd lag kept
    if even > 0:
        rho_used[last + 1] = even  # keep a positive trailing even lag (as Stan does)
    # Geyer's initial monotone sequence: pair sums may not increase
    for k in range(1, last - 1, 2):
        if rho_used[k + 1] + rho_used[k + 2] > rho_used[k - 1] + rho_used[k]:
            rho_used[k + 1] = rho_used[k + 2] = (rho_used[k - 1] + rho_used[k]) / 2.0
    tau = -1.0 + 2.0 * rho_used[: last + 1].sum() + rho_used[last + 1 : last + 2].sum()
    tau = max(tau, 1.0 / np.log10(m * n))  # caps ESS at N log10 N for antithetic chains
    return float(m * n / tau)


def rank_normalise(x: np.ndarray) -> np.ndarray:
    """z = Phi^-1((r - 3/8) / (S + 1/4)) with r the pooled average rank among S draws (Vehtari et al.)."""
    flat = x.ravel()
    ranks = _average_ranks(flat)
    return special.ndtri((ranks - 0.375) / (flat.size + 0.25)).reshape(x.shape)


def _average_ranks(v: np.ndarray) -> np.ndarray:
    """Ranks 1..S with ties given their average rank."""
    order = np.argsort(v, kind="mergesort")
    sorted_v = v[order]
    ranks = np.empty(v.size)
    starts = np.flatnonzero(np.r_[True, sorted_v[1:] != sorted_v[:-1]])  # first index of each tie group
    ends = np.r_[starts[1:], v.size]
    for s, e in zip(starts, ends, strict=True):
        ranks[order[s:e]] = 0.5 * (s + e - 1) + 1.0  # average of ranks s+1 .. e
    return ranks


def _rhat_basic(x: np.ndarray) -> float:
    """sqrt(var^+ / W), var^+ = (n - 1)/n W + B/n  (Gelman & Rubin 1992, as in Vehtari et al.)."""
    n = x.shape[1]
    between = n * x.mean(axis=1).var(ddof=1)  # B
    within = x.var(axis=1, ddof=1).mean()  # W
    return float(np.sqrt((between / within + n - 1) / n))


def rhat(draws: np.ndarray) -> float:
    """Rank-normalised split R-hat: the larger of R-hat on rank-normalised draws and on the rank-normalised
    distance from the median (which catches chains that differ in spread), as proposed by Vehtari et al.
    Near 1.00 when chains agree; above 1.01 is a reason to run longer."""
    x = split_chains(draws)
    folded = np.abs(x - np.median(x))
    return max(_rhat_basic(rank_normalise(x)), _rhat_basic(rank_normalise(folded)))


def mcse_mean(draws: np.ndarray) -> float:
    """Monte Carlo standard error of the posterior mean: sd / sqrt(ESS_mean)."""
    x = _check(draws)
    return float(x.std(ddof=1) / np.sqrt(ess(x, method="mean")))


def mcse_sd(draws: np.ndarray) -> float:
    """Monte Carlo standard error of the posterior sd by the delta method: with c = (x - mean)^2,
    Var(mean c) ~ Var(c) / ESS(c) and d sd / d var = 1 / (2 sd), so se(sd)^2 = Var(mean c) / (4 var)."""
    x = _check(draws)
    c = (x - x.mean()) ** 2  # squared deviations, (chains, draws)
    var = c.mean()
    var_of_mean = (np.mean(c**2) - var**2) / ess(c, method="mean")
    return float(np.sqrt(var_of_mean / var / 4.0))
