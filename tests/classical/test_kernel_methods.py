"""Kernel ridge against scikit-learn's KernelRidge; the kernel trick against explicit features."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.kernel_ridge import KernelRidge as SkKernelRidge
from sklearn.metrics.pairwise import polynomial_kernel as sk_poly
from sklearn.metrics.pairwise import rbf_kernel as sk_rbf

from mlatlas.classical.kernel_methods import degree2_features, kernel_ridge, polynomial_kernel, rbf_kernel
from mlatlas.classical.linear_regression import normal_equations
from mlatlas.verification import verifies

TOL = 1e-10  # float64


@pytest.fixture(scope="module")
def data():
    X, y = load_diabetes(return_X_y=True)
    return X[:200] * 5, y[:200], X[200:260] * 5  # scaled so the kernels are far from constant


@verifies(
    "kernel-methods",
    against="sklearn KernelRidge",
    tol=TOL,
    note="float64; dual coefficients and predictions on 200 diabetes samples; linear, polynomial, RBF",
)
@pytest.mark.parametrize(
    "kernel,params",
    [("linear", {}), ("poly", {"degree": 2, "gamma": 0.5, "coef0": 1.0}), ("rbf", {"gamma": 0.2})],
)
def test_kernel_ridge_matches_sklearn(data, kernel, params):
    X, y, Xq = data
    ours = kernel_ridge(X, y, l2=0.5, kernel=kernel, **params)
    ref = SkKernelRidge(alpha=0.5, kernel=kernel, **params).fit(X, y)
    np.testing.assert_allclose(
        ours.dual_coef, ref.dual_coef_, rtol=TOL, atol=TOL * np.abs(ref.dual_coef_).max()
    )
    np.testing.assert_allclose(ours.predict(Xq), ref.predict(Xq), rtol=TOL, atol=TOL * np.abs(y).max())


def test_kernels_match_sklearn_pairwise(data):
    X, _, Xq = data
    np.testing.assert_allclose(rbf_kernel(X, Xq, gamma=0.3), sk_rbf(X, Xq, gamma=0.3), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(
        polynomial_kernel(X, Xq, 3, 0.5, 1.0), sk_poly(X, Xq, degree=3, gamma=0.5, coef0=1.0), rtol=TOL
    )


def test_linear_kernel_ridge_is_primal_ridge(data):
    X, y, Xq = data
    dual = kernel_ridge(X, y, l2=0.5, kernel="linear")
    primal = normal_equations(X, y, l2=0.5, fit_intercept=False)
    np.testing.assert_allclose(dual.predict(Xq), primal.predict(Xq), rtol=TOL, atol=TOL * np.abs(y).max())
    np.testing.assert_allclose(
        X.T @ dual.dual_coef, primal.coef, rtol=TOL, atol=TOL * np.abs(primal.coef).max()
    )


def test_degree_two_kernel_is_an_inner_product_of_explicit_features(data):
    X, _, Xq = data
    explicit = degree2_features(X, 1.0) @ degree2_features(Xq, 1.0).T
    scale = np.abs(explicit).max()  # entries near zero come from cancellation: compare on the overall scale
    np.testing.assert_allclose(polynomial_kernel(X, Xq, 2, 1.0, 1.0), explicit, rtol=0, atol=TOL * scale)


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="unknown kernel"):
        kernel_ridge(np.ones((3, 1)), np.ones(3), kernel="cosine")
    with pytest.raises(ValueError, match="l2 must be > 0"):
        kernel_ridge(np.ones((3, 1)), np.ones(3), l2=0.0)
