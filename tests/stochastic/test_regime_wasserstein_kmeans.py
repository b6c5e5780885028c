"""Wasserstein k-means: its 1-D distances against scipy, and the barycentre's optimality."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import wasserstein_distance

from mlatlas.stochastic.regime_detection import regime_switching_returns, rolling_windows
from mlatlas.stochastic.regime_wasserstein_kmeans import (
    pairwise_wasserstein,
    pairwise_wasserstein_naive,
    wasserstein_barycenter,
    wasserstein_kmeans,
    wasserstein_p_sorted,
)
from mlatlas.verification import verifies

TOL = 1e-12

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@verifies(
    "regime-detection",
    against="scipy.stats.wasserstein_distance",
    tol=TOL,
    note="W_1 between windows, float64",
)
@settings(max_examples=25, deadline=None)
@given(arrays(np.float64, (2, 12), elements=finite))
def test_window_distance_matches_scipy(pair):
    a, b = np.sort(pair, axis=1)
    np.testing.assert_allclose(
        wasserstein_p_sorted(a, b, 1), wasserstein_distance(pair[0], pair[1]), rtol=TOL, atol=TOL
    )


def test_vectorised_table_equals_the_transport_chapter_function():
    s = regime_switching_returns(80, np.random.default_rng(0))
    xs = np.sort(rolling_windows(s.returns, 10), axis=1)
    cents = xs[[0, 30, 60]]
    for p in (1, 2):
        np.testing.assert_allclose(
            pairwise_wasserstein(xs, cents, p), pairwise_wasserstein_naive(xs, cents, p), rtol=1e-10, atol=TOL
        )


@pytest.mark.parametrize("p", [1, 2])
def test_barycentre_minimises_the_total_cost(p):
    rng = np.random.default_rng(p)
    xs = np.sort(rng.standard_normal((15, 8)) * rng.uniform(0.5, 2, (15, 1)), axis=1)
    bar = wasserstein_barycenter(xs, p)
    assert np.all(np.diff(bar) >= 0)  # a valid quantile function
    cost = lambda c: np.sum(wasserstein_p_sorted(xs, c, p) ** p)  # noqa: E731
    for _ in range(20):  # no sorted perturbation does better
        other = np.sort(bar + 0.05 * rng.standard_normal(8))
        assert cost(bar) <= cost(other) + TOL


def test_separates_calm_from_turbulent_windows():
    rng = np.random.default_rng(0)
    calm = rng.normal(0, 0.01, (30, 20))
    wild = rng.normal(0, 0.05, (30, 20))
    res = wasserstein_kmeans(np.vstack([calm, wild]), 2, rng=np.random.default_rng(1), n_init=2)
    assert res.converged
    assert len(set(res.labels[:30])) == 1 and len(set(res.labels[30:])) == 1
    assert res.labels[0] != res.labels[-1]


def test_wasserstein_kmeans_rejects_bad_input():
    w = np.zeros((6, 4))
    with pytest.raises(ValueError, match="p must be 1 or 2"):
        wasserstein_kmeans(w, 2, p=3, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="init must have shape"):
        wasserstein_kmeans(w, 2, init=np.zeros((2, 5)))
    with pytest.raises(ValueError, match="rolling_windows"):
        wasserstein_kmeans(np.zeros(6), 2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="p = 1 or p = 2"):
        wasserstein_barycenter(w, 3)
