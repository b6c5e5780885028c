"""Logistic and softmax regression against scikit-learn's LogisticRegression with the same penalty."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression

from mlatlas.classical.logistic_regression import gradient_descent, newton, softmax_regression
from mlatlas.verification import verifies

TOL = 1e-9  # float64; scikit-learn's newton-cg stops at its own tol=1e-12 on the gradient, ~1e-11 apart
TOL_SOFTMAX = 1e-10  # the iris problem is small and well conditioned: measured 2e-14


def standardised(loader):
    X, y = loader(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), y


@verifies(
    "logistic-regression",
    against="sklearn LogisticRegression",
    tol=TOL,
    note="float64; Newton/IRLS with lambda = 1/C for C in {0.1, 1, 10} on the breast-cancer data "
    "(569 x 30), vs solver newton-cg at tol 1e-12",
)
@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
def test_newton_matches_sklearn_binary(C):
    X, y = standardised(load_breast_cancer)
    ours = newton(X, y, l2=1.0 / C)
    ref = LogisticRegression(C=C, tol=1e-12, max_iter=10_000, solver="newton-cg").fit(X, y)
    np.testing.assert_allclose(ours.coef, ref.coef_[0], rtol=0, atol=TOL * max(1.0, np.abs(ref.coef_).max()))
    np.testing.assert_allclose(ours.intercept, ref.intercept_[0], rtol=0, atol=TOL)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=TOL)


@verifies(
    "logistic-regression",
    against="sklearn LogisticRegression (multinomial)",
    tol=TOL_SOFTMAX,
    note="float64; softmax regression by Newton on iris (150 x 4, 3 classes), all outputs",
)
def test_softmax_regression_matches_sklearn_multinomial():
    X, y = standardised(load_iris)
    ours = softmax_regression(X, y, l2=1.0)
    ref = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000, solver="newton-cg").fit(X, y)
    np.testing.assert_allclose(ours.coef, ref.coef_, rtol=0, atol=TOL_SOFTMAX)
    np.testing.assert_allclose(ours.intercept, ref.intercept_, rtol=0, atol=TOL_SOFTMAX)  # both sum to zero
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=0, atol=TOL_SOFTMAX)


def test_newton_converges_quadratically_and_gradient_descent_slowly():
    X, y = standardised(load_breast_cancer)
    fit = newton(X, y, l2=1.0)
    gaps = fit.losses[:-1] - fit.losses[-1]
    assert len(fit.losses) <= 15  # 11 steps measured (12 losses with the final one)
    assert 1e-6 < gaps[7] < 1e-3 and gaps[8] < 1e-8  # the gap roughly squares per step
    assert len(fit.losses) == 12  # 11 Newton steps, quoted on the page
    quoted = [float(f"{g:.1e}") for g in gaps[6:9]]
    assert quoted == [3.5e-2, 7.1e-5, 3.6e-10]  # quoted on the page
    gd = gradient_descent(X, y, l2=1.0, steps=2000)
    assert np.all(np.diff(gd.losses) <= 1e-9)  # step 1/L never increases the loss
    assert gd.losses[-1] - fit.losses[-1] > 1e-2
    assert round(gd.losses[-1] - fit.losses[-1], 3) == 0.056  # quoted on the page


def test_gradient_descent_reaches_newton_on_a_well_conditioned_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = (rng.random(300) < 1 / (1 + np.exp(-(X @ np.array([1.5, -1.0, 0.5]) + 0.3)))).astype(float)
    gd, exact = gradient_descent(X, y, l2=1.0, steps=3000), newton(X, y, l2=1.0)
    np.testing.assert_allclose(gd.coef, exact.coef, rtol=0, atol=1e-8)


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="needs labels 0 and 1"):
        newton(np.ones((3, 2)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="l2 must be >= 0"):
        newton(np.ones((3, 2)), np.array([0, 1, 1]), l2=-1.0)
    with pytest.raises(ValueError, match="X must be"):
        softmax_regression(np.ones(3), np.array([0, 1, 1]))


def test_newton_step_is_a_weighted_ridge_fit_of_the_working_response():
    """The page's IRLS reading: one Newton step = weighted ridge least squares on z + S^-1 (y - p)."""
    X, y = standardised(load_breast_cancer)
    l2 = 2.0
    one_step = newton(X, y, l2=l2, max_iter=1)  # from w = 0: z = 0, p = 1/2
    Xa = np.hstack([np.ones((len(X), 1)), X])
    p = np.full(len(y), 0.5)
    s = p * (1 - p)
    working = (y - p) / s  # z + S^-1 (y - p) with z = 0
    ridge = l2 * np.eye(Xa.shape[1])
    ridge[0, 0] = 0.0  # the intercept is unpenalised
    w = np.linalg.solve(Xa.T @ (Xa * s[:, None]) + ridge, Xa.T @ (s * working))
    np.testing.assert_allclose(one_step.intercept, w[0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(one_step.coef, w[1:], rtol=0, atol=1e-10 * max(1.0, np.abs(w).max()))
