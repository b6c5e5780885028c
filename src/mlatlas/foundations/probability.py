"""Probability: conditioning, the law of total probability and Bayes' rule on finite spaces.

Paper: Bayes (1763), "An Essay towards solving a Problem in the Doctrine of Chances", and Laplace
(1774); the base-rate example follows Casscells, Schoenberger & Graboys (1978), NEJM 299:999 (no arXiv).
P(H | E) = P(E | H) P(H) / P(E), where P(E) = sum_k P(E | H_k) P(H_k) sums over a partition of
hypotheses. Every rule here is computed two ways: exactly, by enumerating outcomes, and by simulation.

Distributions over finitely many outcomes are plain arrays (exact with Python ``Fraction``s where
the enumeration helpers are used); joint tables are 2-D arrays P[x, y].
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

# ---------------------------------------------------------------------------------------------
# tables: marginals, conditionals, total probability, Bayes
# ---------------------------------------------------------------------------------------------


def _check_distribution(p: np.ndarray, name: str) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if np.any(p < 0) or not np.isclose(p.sum(), 1.0, rtol=0, atol=1e-9):
        raise ValueError(f"{name} must be non-negative and sum to 1 (it sums to {p.sum():.6g})")
    return p


def marginal(joint: np.ndarray, axis: int) -> np.ndarray:
    """P(X = x) = sum_y P(x, y): sum the joint table (X, Y) over the *other* axis; axis 0 keeps X."""
    joint = _check_distribution(joint, "joint")
    if joint.ndim != 2 or axis not in (0, 1):
        raise ValueError("marginal expects a 2-D joint table P[x, y] and axis 0 (keep X) or 1 (keep Y)")
    return joint.sum(axis=1 - axis)


def conditional(joint: np.ndarray) -> np.ndarray:
    """P(X = x | Y = y) = P(x, y) / P(y): each column of the joint table (X, Y) divided by its sum.

    Columns with P(y) = 0 are left as nan: conditioning on an impossible event is undefined.
    """
    joint = _check_distribution(joint, "joint")
    p_y = joint.sum(axis=0, keepdims=True)  # P(y)   (1, Y)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(p_y > 0, joint / p_y, np.nan)  # (X, Y), columns sum to 1


def total_probability(prior: np.ndarray, likelihood: np.ndarray) -> float:
    """P(E) = sum_k P(E | H_k) P(H_k) over a partition H_1..H_K. prior (K,), likelihood (K,)."""
    prior = _check_distribution(prior, "prior")
    likelihood = np.asarray(likelihood, dtype=np.float64)
    if likelihood.shape != prior.shape or np.any((likelihood < 0) | (likelihood > 1)):
        raise ValueError(f"likelihood must hold one probability P(E | H_k) in [0, 1] per hypothesis, "
                         f"shape {prior.shape}")
    return float(np.sum(likelihood * prior))


def bayes(prior: np.ndarray, likelihood: np.ndarray) -> np.ndarray:
    """P(H_k | E) = P(E | H_k) P(H_k) / P(E). prior (K,), likelihood (K,) -> posterior (K,)."""
    evidence = total_probability(prior, likelihood)  # P(E), the normaliser
    if evidence == 0:
        raise ValueError("the evidence has probability 0 under every hypothesis; Bayes' rule is undefined")
    return np.asarray(likelihood, dtype=np.float64) * np.asarray(prior, dtype=np.float64) / evidence


def sequential_bayes(prior: np.ndarray, likelihoods: np.ndarray) -> np.ndarray:
    """Update on observations one at a time: yesterday's posterior is today's prior.

    likelihoods (T, K): row t holds P(e_t | H_k). Returns (T + 1, K): the prior, then each posterior.
    For conditionally independent observations the last row equals one update with the product.
    """
    history = [_check_distribution(prior, "prior")]
    for row in np.atleast_2d(likelihoods):
        history.append(bayes(history[-1], row))
    return np.stack(history)


# ---------------------------------------------------------------------------------------------
# the running example: a diagnostic test and the base-rate fallacy
# ---------------------------------------------------------------------------------------------


class DiagnosticTest(NamedTuple):
    """prevalence P(D); sensitivity P(+ | D); specificity P(- | not D)."""

    prevalence: float
    sensitivity: float
    specificity: float


def positive_predictive_value(test: DiagnosticTest) -> float:
    """P(D | +) = sens * prev / (sens * prev + (1 - spec) * (1 - prev))  (Bayes with two hypotheses)."""
    for name, value in test._asdict().items():
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be a probability in [0, 1], got {value}")
    prior = np.array([test.prevalence, 1.0 - test.prevalence])  # [D, not D]
    likelihood = np.array([test.sensitivity, 1.0 - test.specificity])  # P(+ | D), P(+ | not D)
    return float(bayes(prior, likelihood)[0])


class Estimate(NamedTuple):
    """A Monte Carlo estimate, its standard error, and how many samples it used."""

    value: float
    std_error: float
    n: int


def simulate_positive_predictive_value(test: DiagnosticTest, n: int, rng: np.random.Generator) -> Estimate:
    """Estimate P(D | +) by simulating n people: draw disease, then a test result; count among positives."""
    sick = rng.random(n) < test.prevalence  # D ~ Bernoulli(prevalence)
    u = rng.random(n)
    positive = np.where(sick, u < test.sensitivity, u < 1.0 - test.specificity)  # + | D or + | not D
    m = int(positive.sum())
    if m == 0:
        raise ValueError(f"no positive tests among {n} simulated people; raise n")
    p_hat = float(sick[positive].mean())  # the fraction of positives who are sick
    return Estimate(p_hat, float(np.sqrt(p_hat * (1 - p_hat) / m)), m)


# ---------------------------------------------------------------------------------------------
# probabilities of events: exact enumeration and Monte Carlo
# ---------------------------------------------------------------------------------------------


def enumerate_probability(
    space: Mapping[Any, Fraction | float],
    event: Callable[[Any], bool],
    given: Callable[[Any], bool] | None = None,
) -> Fraction | float:
    """P(event | given) = sum over outcomes in both / sum over outcomes in ``given`` — exact if the
    outcome probabilities are Fractions. ``space`` maps each outcome to its probability."""
    total = sum(space.values())
    if total != 1 and not (isinstance(total, float) and abs(total - 1) < 1e-9):
        raise ValueError(f"outcome probabilities must sum to 1, they sum to {total}")
    cond = given or (lambda _: True)
    p_given = sum(p for w, p in space.items() if cond(w))
    if p_given == 0:
        raise ValueError("the conditioning event has probability 0")
    return sum(p for w, p in space.items() if cond(w) and event(w)) / p_given


def monte_carlo_probability(
    draw: Callable[[np.random.Generator, int], Iterable[Any]],
    event: Callable[[Any], bool],
    n: int,
    rng: np.random.Generator,
    given: Callable[[Any], bool] | None = None,
) -> Estimate:
    """Estimate P(event | given) as a fraction of n simulated outcomes (rejecting those not in given)."""
    outcomes = list(draw(rng, n))
    kept = [w for w in outcomes if given is None or given(w)]
    m = len(kept)
    if m == 0:
        raise ValueError(f"none of the {n} samples satisfied the condition; raise n")
    p_hat = sum(bool(event(w)) for w in kept) / m
    return Estimate(p_hat, float(np.sqrt(p_hat * (1 - p_hat) / m)), m)


def two_dice() -> dict[tuple[int, int], Fraction]:
    """The 36 equally likely outcomes of two fair dice, each with probability exactly 1/36."""
    return {(a, b): Fraction(1, 36) for a in range(1, 7) for b in range(1, 7)}


def draw_two_dice(rng: np.random.Generator, n: int) -> list[tuple[int, int]]:
    """n simulated throws of two fair dice."""
    rolls = rng.integers(1, 7, size=(n, 2))  # (n, 2)
    return [(int(a), int(b)) for a, b in rolls]
