"""Bias, variance and cross-validation: the decomposition by simulation, k-fold and nested CV.

Sources: Geman, Bienenstock, Doursat (1992), "Neural Networks and the Bias/Variance Dilemma", Neural
Computation 4(1):1-58; Stone (1974), "Cross-Validatory Choice and Assessment of Statistical
Predictions", JRSS B 36(2):111-147; Varma, Simon (2006), "Bias in error estimation when using
cross-validation for model selection", BMC Bioinformatics 7:91 (nested CV).
Expected squared error splits into bias^2 + variance + noise; k-fold CV estimates it from one data
set, and choosing a hyperparameter needs a second, inner CV to keep the estimate honest.

    E[(y - f_hat(x))^2] = (E f_hat(x) - f(x))^2 + Var f_hat(x) + sigma^2      (Hastie et al. eq. 7.9)

Shapes: N samples, F features, D simulated data sets, M test points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from mlatlas.classical.linear_regression import normal_equations, polynomial_features, qr_least_squares


def kfold_indices(n: int, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Contiguous folds in order, the first n % k of them one sample larger: (train, test) index pairs."""
    if not 2 <= k <= n:
        raise ValueError(f"k must be between 2 and the number of samples {n}, got {k}")
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    everything = np.arange(n)
    return [
        (np.concatenate([everything[:a], everything[b:]]), everything[a:b])
        for a, b in zip(bounds, bounds[1:])
    ]


def ridge_mse(l2: float) -> Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], float]:
    """A fit-and-score function: ridge with penalty l2 on the train part, MSE on the test part."""

    def fit_and_score(X_train, y_train, X_test, y_test) -> float:
        fit = normal_equations(X_train, y_train, l2=l2)
        return float(np.mean((fit.predict(X_test) - y_test) ** 2))

    return fit_and_score


def cross_val_scores(fit_and_score, X: np.ndarray, y: np.ndarray, k: int = 5) -> np.ndarray:
    """The score of each of k folds, the model refitted on the other k - 1: (k,)."""
    return np.array([fit_and_score(X[tr], y[tr], X[te], y[te]) for tr, te in kfold_indices(len(y), k)])


class NestedResult(NamedTuple):
    outer_scores: np.ndarray  # (outer_k,) test MSE of the model chosen inside each outer training part
    chosen: np.ndarray  # (outer_k,) the penalty the inner CV picked each time


def nested_cv(
    X: np.ndarray, y: np.ndarray, penalties: Sequence[float], outer_k: int = 5, inner_k: int = 5
) -> NestedResult:
    """Choose the ridge penalty by inner k-fold CV on each outer training part; score it on the outer fold.

    The outer test fold never influences the choice, so the mean outer score estimates the error of the
    whole procedure (selection included); the best inner score is optimistically biased.
    """
    scores, chosen = [], []
    for tr, te in kfold_indices(len(y), outer_k):
        inner = [cross_val_scores(ridge_mse(p), X[tr], y[tr], inner_k).mean() for p in penalties]
        best = penalties[int(np.argmin(inner))]  # the first of equals, like GridSearchCV
        chosen.append(best)
        scores.append(ridge_mse(best)(X[tr], y[tr], X[te], y[te]))
    return NestedResult(np.array(scores), np.array(chosen))


class BiasVariance(NamedTuple):
    degrees: np.ndarray  # (G,)
    bias2: np.ndarray  # (G,) mean over test points of (E f_hat - f)^2, E f_hat the mean of D fits (+ ~Var/D)
    variance: np.ndarray  # (G,) mean over test points of Var f_hat
    error: np.ndarray  # (G,) mean over data sets and test points of (f_hat - f)^2
    test_mse: np.ndarray  # (G,) the same against fresh noisy targets: error + sigma^2 in expectation
    noise: float  # sigma^2


def bias_variance(
    degrees: Sequence[int] = range(1, 13),
    num_datasets: int = 200,
    n: int = 30,
    sigma: float = 0.3,
    seed: int = 0,
) -> BiasVariance:
    """Fit polynomials to D noisy samples of f(x) = sin(2 pi x) on [0, 1] and measure the three terms."""
    rng = np.random.default_rng(seed)
    x_test = np.linspace(0.05, 0.95, 50)  # (M,)
    f_test = np.sin(2 * np.pi * x_test)
    data = [rng.uniform(0, 1, n) for _ in range(num_datasets)]
    noisy = [np.sin(2 * np.pi * x) + sigma * rng.normal(size=n) for x in data]
    fresh = f_test + sigma * rng.normal(size=(num_datasets, len(x_test)))  # (D, M) new targets
    out = {"bias2": [], "variance": [], "error": [], "test_mse": []}
    for d in degrees:
        preds = np.stack(
            [
                qr_least_squares(polynomial_features(x, d), y).predict(polynomial_features(x_test, d))
                for x, y in zip(data, noisy)
            ]
        )  # (D, M)
        mean = preds.mean(axis=0)  # E f_hat(x)
        out["bias2"].append(np.mean((mean - f_test) ** 2))  # (E f_hat - f)^2
        out["variance"].append(np.mean(preds.var(axis=0)))  # Var f_hat, over data sets
        out["error"].append(np.mean((preds - f_test) ** 2))
        out["test_mse"].append(np.mean((preds - fresh) ** 2))
    return BiasVariance(np.array(list(degrees)), *(np.array(out[k]) for k in out), sigma**2)
