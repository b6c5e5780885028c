"""k-fold and nested CV against scikit-learn; the bias-variance decomposition as an identity."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from mlatlas.classical.cross_validation import (
    bias_variance,
    cross_val_scores,
    kfold_indices,
    nested_cv,
    ridge_mse,
)
from mlatlas.verification import verifies

TOL = 1e-10  # float64
PENALTIES = [0.001, 0.01, 0.1, 1.0]


@verifies("bias-variance-and-cross-validation", against="sklearn KFold", tol=0, note="identical indices")
@pytest.mark.parametrize("n,k", [(10, 5), (11, 3), (442, 5), (7, 7)])
def test_folds_equal_sklearn_kfold(n, k):
    ours = kfold_indices(n, k)
    ref = list(KFold(n_splits=k).split(np.zeros(n)))
    assert len(ours) == len(ref)
    for (tr, te), (rtr, rte) in zip(ours, ref, strict=True):
        np.testing.assert_array_equal(tr, rtr)
        np.testing.assert_array_equal(te, rte)


@verifies(
    "bias-variance-and-cross-validation",
    against="sklearn cross_val_score",
    tol=TOL,
    note="float64; ridge on the diabetes data, 5 folds, fold by fold; nested CV vs GridSearchCV in it",
)
@pytest.mark.parametrize("alpha", [0.01, 1.0])
def test_cross_val_scores_equal_sklearn(alpha):
    X, y = load_diabetes(return_X_y=True)
    ours = cross_val_scores(ridge_mse(alpha), X, y, k=5)
    ref = -cross_val_score(
        Ridge(alpha=alpha, solver="cholesky"), X, y, cv=KFold(5), scoring="neg_mean_squared_error"
    )
    np.testing.assert_allclose(ours, ref, rtol=TOL)


def test_nested_cv_equals_gridsearch_inside_cross_val_score():
    X, y = load_diabetes(return_X_y=True)
    ours = nested_cv(X, y, PENALTIES, outer_k=5, inner_k=4)
    search = GridSearchCV(
        Ridge(solver="cholesky"), {"alpha": PENALTIES}, cv=KFold(4), scoring="neg_mean_squared_error"
    )
    ref = -cross_val_score(search, X, y, cv=KFold(5), scoring="neg_mean_squared_error")
    np.testing.assert_allclose(ours.outer_scores, ref, rtol=TOL)


def test_bias_variance_decomposition_is_an_identity_and_noise_adds_sigma2():
    r = bias_variance(num_datasets=100)
    np.testing.assert_allclose(r.error, r.bias2 + r.variance, rtol=1e-12)  # exact for population variance
    # against fresh targets the noise adds sigma^2 = 0.09 (standard error about 0.002 for low degrees)
    np.testing.assert_allclose(r.test_mse[:6] - r.error[:6], r.noise, atol=0.02)
    assert r.bias2[0] > 10 * r.bias2[3] and r.variance[-1] > 10 * r.variance[2]  # the U shape's two sides
    page = bias_variance()  # the page's 200 data sets
    gap = page.test_mse[:9] - page.error[:9]
    assert (round(gap.min(), 3), round(gap.max(), 3)) == (0.084, 0.088)  # quoted on the page
    # the caption: from degree 5 the plotted bias^2 is mostly the Monte Carlo error of the mean of 200
    # fits, about Var/200 (measured ratios 0.27 to 3.9), not the model's bias
    mc = page.variance / 200
    assert np.all((page.bias2[4:] > 0.2 * mc[4:]) & (page.bias2[4:] < 5 * mc[4:]))
    assert page.test_mse.min() > page.noise and page.degrees[np.argmin(page.test_mse)] == 3  # the alt text


def test_bad_k_is_rejected():
    with pytest.raises(ValueError, match="k must be between 2"):
        kfold_indices(5, 1)
    with pytest.raises(ValueError, match="k must be between 2"):
        kfold_indices(5, 6)


def test_nested_estimate_is_less_optimistic_than_the_best_inner_score():
    X, y = load_diabetes(return_X_y=True)
    nested = nested_cv(X, y, PENALTIES, outer_k=5, inner_k=4).outer_scores.mean()
    best_plain = min(cross_val_scores(ridge_mse(p), X, y, 4).mean() for p in PENALTIES)
    assert (round(nested), round(best_plain)) == (3013, 2960)  # quoted on the page
