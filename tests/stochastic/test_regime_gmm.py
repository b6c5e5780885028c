"""Gaussian mixture EM against scikit-learn's GaussianMixture started from the same parameters."""

import warnings

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture

from mlatlas.stochastic.regime_detection import regime_switching_returns, rolling_features, standardize
from mlatlas.stochastic.regime_gmm import GMMParams, fit_gmm
from mlatlas.verification import verifies

TOL = 1e-9  # float64; 25 EM rounds each compound round-off of ~1e-15 through inverses and logs


def _setup(seed=0, T=500):
    s = regime_switching_returns(T, np.random.default_rng(seed))
    x = standardize(rolling_features(s.returns, 20))
    rng = np.random.default_rng(seed)
    init = GMMParams(
        weights=np.array([0.5, 0.3, 0.2]),
        means=x[rng.choice(x.shape[0], 3, replace=False)],
        covariances=np.stack([np.eye(2) * v for v in (0.5, 1.0, 2.0)]),
    )
    return x, init


@verifies(
    "regime-detection",
    against="sklearn.mixture.GaussianMixture",
    tol=TOL,
    note="float64, full covariances, same start, 25 EM rounds",
)
@pytest.mark.parametrize("seed", [0, 1])
def test_gmm_matches_sklearn_from_the_same_start(seed):
    x, init = _setup(seed)
    n_iter = 25
    ours = fit_gmm(x, 3, init=init, max_iter=n_iter, tol=0.0)
    ref = GaussianMixture(
        3,
        covariance_type="full",
        weights_init=init.weights,
        means_init=init.means,
        precisions_init=np.linalg.inv(init.covariances),
        max_iter=n_iter,
        tol=0.0,  # never stop early: both run exactly n_iter EM rounds
        reg_covar=1e-6,
        n_init=1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: expected with tol=0
        ref.fit(x)
    assert ours.log_likelihoods.shape == (n_iter,)
    np.testing.assert_allclose(ours.params.weights, ref.weights_, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(ours.params.means, ref.means_, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(ours.params.covariances, ref.covariances_, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(ours.log_likelihoods[-1], ref.lower_bound_, rtol=TOL)
    np.testing.assert_allclose(ours.resp, ref.predict_proba(x), rtol=1e-7, atol=TOL)
    np.testing.assert_array_equal(ours.labels, ref.predict(x))


def test_em_never_decreases_the_likelihood():
    x, init = _setup(3)
    fit = fit_gmm(x, 3, init=init, max_iter=40, tol=0.0)
    assert np.all(np.diff(fit.log_likelihoods) >= -1e-12)
    np.testing.assert_allclose(fit.resp.sum(1), 1.0, atol=1e-12)
    np.testing.assert_allclose(fit.params.weights.sum(), 1.0, atol=1e-12)


def test_gmm_rejects_bad_input():
    x, init = _setup(0)
    with pytest.raises(ValueError, match="init means"):
        fit_gmm(x, 2, init=init)
    with pytest.raises(ValueError, match="give either"):
        fit_gmm(x, 3)
    with pytest.raises(ValueError, match="K must be between"):
        fit_gmm(x[:2], 3, rng=np.random.default_rng(0))
