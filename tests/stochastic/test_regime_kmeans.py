"""k-means (Lloyd + k-means++) against scikit-learn's KMeans started from the same centres."""

import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans

from mlatlas.stochastic.regime_detection import regime_switching_returns, rolling_features, standardize
from mlatlas.stochastic.regime_kmeans import kmeans, squared_distances
from mlatlas.verification import verifies

TOL = 1e-10


def _features(seed=0, T=600):
    s = regime_switching_returns(T, np.random.default_rng(seed))
    return standardize(rolling_features(s.returns, 20))


@verifies(
    "regime-detection",
    against="sklearn.cluster.KMeans",
    tol=TOL,
    note="float64, same initial centres, Lloyd to convergence",
)
@pytest.mark.parametrize("seed", [0, 1])
def test_kmeans_matches_sklearn_from_the_same_start(seed):
    x = _features(seed)
    init = x[np.random.default_rng(seed).choice(x.shape[0], 3, replace=False)]
    ours = kmeans(x, 3, init=init)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0 with an explicit init: sklearn notes n_init=1
        ref = KMeans(3, init=init, n_init=1, algorithm="lloyd", tol=0.0, max_iter=300).fit(x)
    assert ours.converged
    np.testing.assert_array_equal(ours.labels, ref.labels_)
    np.testing.assert_allclose(ours.centers, ref.cluster_centers_, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(ours.inertia, ref.inertia_, rtol=TOL)


def test_kmeans_fixed_point_and_restarts():
    x = _features(2)
    res = kmeans(x, 3, rng=np.random.default_rng(0), n_init=3)
    # at convergence every point sits with its nearest centre, and each centre is its cluster's mean
    np.testing.assert_array_equal(res.labels, squared_distances(x, res.centers).argmin(1))
    for k in range(3):
        np.testing.assert_allclose(res.centers[k], x[res.labels == k].mean(0), atol=TOL)
    single = [kmeans(x, 3, rng=np.random.default_rng(i)).inertia for i in range(3)]
    assert res.inertia <= max(single) + TOL


def test_kmeans_rejects_bad_input():
    x = np.zeros((5, 2))
    with pytest.raises(ValueError, match="K must be between"):
        kmeans(x, 6, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="init must have shape"):
        kmeans(x, 2, init=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="give either"):
        kmeans(x, 2)
    with pytest.raises(ValueError, match=r"\(M, F\)"):
        kmeans(np.zeros(5), 2, rng=np.random.default_rng(0))
