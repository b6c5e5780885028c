"""Information theory: entropy, cross-entropy, KL divergence and mutual information for discrete laws.

Paper: Shannon (1948), "A Mathematical Theory of Communication", Bell System Technical Journal 27;
Kullback & Leibler (1951), "On Information and Sufficiency", Annals of Mathematical Statistics 22.
Entropy H(p) = -sum p log p is the average surprise of a distribution; KL(p || q) = sum p log(p / q)
the extra cost of coding p with q's code; I(X; Y) = KL(P_XY || P_X P_Y) what X tells about Y.

Distributions are 1-D float64 arrays (normalised here if they are not), joint laws 2-D tables
P[x, y]. ``base`` picks the unit: e (nats, the default), 2 (bits). The convention 0 log 0 = 0 holds.
"""

from __future__ import annotations

import numpy as np


def _log(x: np.ndarray, base: float | None) -> np.ndarray:
    """log x in the chosen base, with log 0 = 0 (only ever multiplied by a zero probability)."""
    out = np.log(x, out=np.zeros_like(x), where=x > 0)
    return out if base is None else out / np.log(base)


def _normalise(p: np.ndarray, name: str) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if p.size == 0 or np.any(p < 0) or not np.all(np.isfinite(p)):
        raise ValueError(f"{name} must be a non-empty array of finite, non-negative weights")
    total = p.sum()
    if total <= 0:
        raise ValueError(f"{name} sums to 0; it needs at least one positive weight")
    return p / total  # like scipy.stats.entropy, accept unnormalised counts


def entropy(p: np.ndarray, base: float | None = None) -> float:
    """H(p) = -sum_i p_i log p_i; 0 for a certain outcome, log K for K equally likely ones."""
    p = _normalise(p, "p")
    return float(-np.sum(p * _log(p, base)))


def cross_entropy(p: np.ndarray, q: np.ndarray, base: float | None = None) -> float:
    """H(p, q) = -sum_i p_i log q_i = H(p) + KL(p || q). Infinite if q_i = 0 where p_i > 0."""
    p, q = _normalise(p, "p"), _normalise(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    if np.any((q == 0) & (p > 0)):
        return float("inf")
    return float(-np.sum(p * _log(q, base)))


def kl_divergence(p: np.ndarray, q: np.ndarray, base: float | None = None) -> float:
    """KL(p || q) = sum_i p_i log(p_i / q_i) >= 0, zero iff p = q; not symmetric in p and q."""
    p, q = _normalise(p, "p"), _normalise(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape, got {p.shape} and {q.shape}")
    if np.any((q == 0) & (p > 0)):
        return float("inf")  # p puts mass where q has none: no finite code length
    ratio = np.divide(p, q, out=np.ones_like(p), where=p > 0)  # terms with p_i = 0 contribute 0
    return float(np.sum(p * _log(ratio, base)))


def js_divergence(p: np.ndarray, q: np.ndarray, base: float | None = None) -> float:
    """Jensen-Shannon: (KL(p || m) + KL(q || m)) / 2 with m = (p + q) / 2. Symmetric, at most log 2."""
    p, q = _normalise(p, "p"), _normalise(q, "q")
    m = 0.5 * (p + q)
    return 0.5 * (kl_divergence(p, m, base) + kl_divergence(q, m, base))


def joint_entropy(joint: np.ndarray, base: float | None = None) -> float:
    """H(X, Y) = -sum_{x,y} P(x, y) log P(x, y) of a joint table (X, Y)."""
    joint = np.asarray(joint, dtype=np.float64)
    if joint.ndim != 2:
        raise ValueError(f"joint must be a 2-D table P[x, y], got shape {joint.shape}")
    return entropy(joint.ravel(), base)


def conditional_entropy(joint: np.ndarray, base: float | None = None) -> float:
    """H(Y | X) = H(X, Y) - H(X): what is left to learn about Y once X is known (rows are X)."""
    joint = _normalise(joint, "joint")
    return joint_entropy(joint, base) - entropy(joint.sum(axis=1), base)


def mutual_information(joint: np.ndarray, base: float | None = None) -> float:
    """I(X; Y) = sum_{x,y} P(x,y) log[P(x,y) / (P(x) P(y))] = KL(P_XY || P_X P_Y) >= 0."""
    joint = np.asarray(joint, dtype=np.float64)
    if joint.ndim != 2:
        raise ValueError(f"joint must be a 2-D table P[x, y], got shape {joint.shape}")
    joint = _normalise(joint, "joint")
    p_x = joint.sum(axis=1, keepdims=True)  # P(x)   (X, 1)
    p_y = joint.sum(axis=0, keepdims=True)  # P(y)   (1, Y)
    return kl_divergence(joint.ravel(), (p_x * p_y).ravel(), base)  # distance from independence


def contingency_table(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Counts of each (label of x, label of y) pair: a (X, Y) table over the sorted unique labels."""
    x, y = np.asarray(x), np.asarray(y)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-D label arrays of equal length, got {x.shape} and {y.shape}")
    _, xi = np.unique(x, return_inverse=True)
    _, yi = np.unique(y, return_inverse=True)
    table = np.zeros((xi.max() + 1, yi.max() + 1))
    np.add.at(table, (xi, yi), 1.0)  # count each observed pair
    return table


def mutual_information_from_labels(x: np.ndarray, y: np.ndarray, base: float | None = None) -> float:
    """Plug-in estimate of I(X; Y) from paired samples: the mutual information of their empirical
    joint distribution. For independent labels it is biased upwards (roughly (|X|-1)(|Y|-1) / 2n nats);
    for nearly identical labels it is biased down (it cannot exceed the plug-in H(X))."""
    return mutual_information(contingency_table(x, y), base)


def binary_entropy(p: np.ndarray | float, base: float | None = 2.0) -> np.ndarray:
    """H_b(p) = -p log p - (1 - p) log(1 - p), elementwise; in bits by default."""
    p = np.asarray(p, dtype=np.float64)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("binary_entropy needs probabilities in [0, 1]")
    return -(p * _log(p, base) + (1 - p) * _log(1 - p, base))


def binary_symmetric_channel(flip: float, prior_one: float = 0.5) -> np.ndarray:
    """Joint table P[x, y] of a bit X ~ Bernoulli(prior_one) sent through a channel that flips it
    with probability ``flip``. With a uniform input I(X; Y) = 1 - H_b(flip) bits (the capacity)."""
    if not (0 <= flip <= 1 and 0 <= prior_one <= 1):
        raise ValueError("flip and prior_one must be probabilities in [0, 1]")
    p_x = np.array([1 - prior_one, prior_one])
    channel = np.array([[1 - flip, flip], [flip, 1 - flip]])  # P(y | x), rows x
    return p_x[:, None] * channel  # P(x, y) = P(x) P(y | x)
