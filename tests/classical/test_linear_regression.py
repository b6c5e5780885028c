"""Least squares and ridge against scikit-learn's LinearRegression and Ridge."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression, Ridge

from mlatlas.classical.linear_regression import (
    conditioning_experiment,
    gradient_descent,
    normal_equations,
    qr_least_squares,
)
from mlatlas.verification import verifies

TOL = 1e-10  # float64, well-conditioned data (the diabetes features are standardised)


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X, y


@verifies(
    "linear-regression",
    against="sklearn LinearRegression",
    tol=TOL,
    note="float64; normal equations and QR on scikit-learn's diabetes data (442 x 10), slopes and intercept",
)
@pytest.mark.parametrize("fit", [normal_equations, qr_least_squares])
def test_least_squares_matches_sklearn(diabetes, fit):
    X, y = diabetes
    ref = LinearRegression().fit(X, y)
    ours = fit(X, y)
    np.testing.assert_allclose(ours.coef, ref.coef_, rtol=TOL, atol=TOL * np.abs(ref.coef_).max())
    np.testing.assert_allclose(ours.intercept, ref.intercept_, rtol=TOL)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=TOL)


@verifies(
    "linear-regression",
    against="sklearn Ridge",
    tol=TOL,
    note="float64; normal equations and augmented QR, alpha 0.01, 0.1 and 1 on the diabetes data",
)
@pytest.mark.parametrize("alpha", [0.01, 0.1, 1.0])
@pytest.mark.parametrize("fit", [normal_equations, qr_least_squares])
def test_ridge_matches_sklearn(diabetes, fit, alpha):
    X, y = diabetes
    ref = Ridge(alpha=alpha, solver="cholesky").fit(X, y)
    ours = fit(X, y, l2=alpha)
    np.testing.assert_allclose(ours.coef, ref.coef_, rtol=TOL, atol=TOL * np.abs(ref.coef_).max())
    np.testing.assert_allclose(ours.intercept, ref.intercept_, rtol=TOL)


def test_gradient_descent_reaches_the_closed_form():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3)) @ np.array([[1.0, 0.3, 0.0], [0.0, 1.0, 0.2], [0.0, 0.0, 0.5]])
    y = X @ np.array([2.0, -1.0, 0.5]) + 3.0 + 0.1 * rng.normal(size=100)
    for l2 in (0.0, 1.0):
        gd = gradient_descent(X, y, l2=l2, steps=3000)
        exact = normal_equations(X, y, l2=l2)
        np.testing.assert_allclose(gd.fit.coef, exact.coef, rtol=0, atol=1e-9)  # linear convergence
        assert np.all(np.diff(gd.losses) <= 1e-15)  # step 1/L: the loss never goes up


def test_qr_survives_conditioning_that_breaks_the_normal_equations():
    r = conditioning_experiment()
    last = -1  # degree 12, cond(X) ~ 5e8
    assert r["cond"][last] > 1e8
    assert r["qr"][last] < 1e-7  # error ~ cond * eps for QR: measured 4e-9
    assert r["normal"][last] > 0.1  # ~ cond^2 * eps: the normal equations lose every digit (measured 1.55)
    assert (round(r["qr"][last], 10), round(r["normal"][last], 2)) == (4.4e-09, 1.55)  # quoted on the page
    assert r["qr"].max() < 1e-6  # the figure's alt text: QR stays below one millionth at every degree


def test_the_figures_curvature_ratio():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)) * np.array([1.0, 0.2])  # as in the figure
    curvatures = np.linalg.eigvalsh((X - X.mean(0)).T @ (X - X.mean(0)))
    assert round(curvatures[1] / curvatures[0]) == 24  # the caption's "about 24 times apart"


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="X must be 2-D"):
        normal_equations(np.ones(5), np.ones(5))
    with pytest.raises(ValueError, match="y must have shape"):
        qr_least_squares(np.ones((5, 2)), np.ones(4))
    with pytest.raises(ValueError, match="l2 must be >= 0"):
        normal_equations(np.ones((5, 2)), np.ones(5), l2=-1.0)
    with pytest.raises(ValueError, match="rank-deficient"):
        x = np.arange(5.0)
        qr_least_squares(np.stack([x, 2 * x], 1), x, fit_intercept=False)
