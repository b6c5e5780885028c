"""Exact GP regression against scikit-learn's GaussianProcessRegressor with the same kernel and fixed
hyper-parameters; the marginal-likelihood gradient against finite differences and scikit-learn's."""

import numpy as np
import pytest
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern, WhiteKernel

from mlatlas.probabilistic.gaussian_processes import (
    Hyperparameters,
    fit,
    kernel,
    log_marginal_likelihood,
    optimise_hyperparameters,
    predict,
    predict_cov,
    toy_data,
)
from mlatlas.verification import verifies

TOL = 1e-8  # float64: both sides factorise the same matrices; observed gaps are ~1e-12
FD_TOL = 1e-6  # central differences with h = 1e-5 on log-parameters: truncation error ~h^2 * |f'''|
FIT_TOL = 1e-4  # two L-BFGS-B runs stop at their own tolerances (~1e-5 relative), not at the same point


def sk_kernel(params, kind, fixed=True):
    bounds = "fixed" if fixed else (1e-5, 1e5)
    base = RBF(params.lengthscale, bounds) if kind == "rbf" else Matern(params.lengthscale, bounds, nu=2.5)
    return ConstantKernel(params.variance, bounds) * base + WhiteKernel(params.noise, bounds)


def data(seed=0, n=15, f=2):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, size=(n, f))
    y = np.sin(X).sum(1) + 0.1 * rng.standard_normal(n)
    return X, y


@verifies(
    "gaussian-processes",
    against="sklearn GaussianProcessRegressor",
    tol=TOL,
    note="float64, same kernel (RBF and Matern 5/2) and fixed hyper-parameters: kernel matrix, posterior "
    "mean, variance, covariance and log marginal likelihood",
)
@pytest.mark.parametrize("kind", ["rbf", "matern52"])
def test_matches_sklearn_with_fixed_hyperparameters(kind):
    X, y = data()
    X_new = np.random.default_rng(1).uniform(-3, 3, size=(7, 2))
    params = Hyperparameters(1.7, 0.8, 0.05)
    ref = GaussianProcessRegressor(sk_kernel(params, kind), alpha=0.0, optimizer=None).fit(X, y)
    np.testing.assert_allclose(
        kernel(X, X_new, params.variance, params.lengthscale, kind),
        ref.kernel_.k1(X, X_new),  # the noise-free part of the kernel
        rtol=TOL,
        atol=TOL,
    )
    post = fit(X, y, params, kind)
    mean, var = predict(post, X_new)
    ref_mean, ref_cov = ref.predict(X_new, return_cov=True)
    # sklearn's WhiteKernel adds the noise on the diagonal of k(X_new), so its variance is that of y_new
    np.testing.assert_allclose(mean, ref_mean, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(var + params.noise, np.diag(ref_cov), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(
        predict_cov(post, X_new) + params.noise * np.eye(7), ref_cov, rtol=TOL, atol=TOL
    )
    value, _ = log_marginal_likelihood(X, y, params, kind)
    np.testing.assert_allclose(value, ref.log_marginal_likelihood_value_, rtol=TOL)


@verifies(
    "gaussian-processes",
    against="finite differences",
    tol=FD_TOL,
    note="float64 central differences (h = 1e-5) of the log marginal likelihood in log-hyper-parameters; "
    "also equal to sklearn's analytic gradient to 1e-8",
)
@pytest.mark.parametrize("kind", ["rbf", "matern52"])
def test_marginal_likelihood_gradient(kind):
    X, y = data(seed=2)
    params = Hyperparameters(0.9, 1.3, 0.2)
    theta = params.log()
    _, grad = log_marginal_likelihood(X, y, params, kind)
    h = 1e-5
    fd = np.empty(3)
    for j in range(3):
        e = np.zeros(3)
        e[j] = h
        plus, _ = log_marginal_likelihood(X, y, Hyperparameters.from_log(theta + e), kind)
        minus, _ = log_marginal_likelihood(X, y, Hyperparameters.from_log(theta - e), kind)
        fd[j] = (plus - minus) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=FD_TOL, atol=FD_TOL)
    ref = GaussianProcessRegressor(sk_kernel(params, kind, fixed=False), alpha=0.0, optimizer=None).fit(X, y)
    _, ref_grad = ref.log_marginal_likelihood(theta, eval_gradient=True)  # same order: s^2, l, noise
    np.testing.assert_allclose(grad, ref_grad, rtol=TOL, atol=TOL)


@verifies(
    "gaussian-processes",
    against="sklearn hyper-parameter fit",
    tol=FIT_TOL,
    note="L-BFGS-B from the same start (s^2 = l = noise = 1) on the chapter's toy data; both optimisers "
    "stop at their own tolerances",
)
def test_fitted_hyperparameters_match_sklearn_and_the_page():
    X, y = toy_data(0)
    init = Hyperparameters(1.0, 1.0, 1.0)
    ours = optimise_hyperparameters(X, y, init, "rbf")
    ref = GaussianProcessRegressor(sk_kernel(init, "rbf", fixed=False), alpha=0.0).fit(X, y)
    np.testing.assert_allclose(ours.params.log(), ref.kernel_.theta, rtol=FIT_TOL, atol=FIT_TOL)
    np.testing.assert_allclose(ours.log_marginal_likelihood, ref.log_marginal_likelihood_value_, rtol=FIT_TOL)
    _, grad = log_marginal_likelihood(X, y, ours.params, "rbf")
    assert np.abs(grad).max() < 1e-3  # a stationary point
    start, _ = log_marginal_likelihood(X, y, init, "rbf")
    # numbers quoted on the page
    p = ours.params
    np.testing.assert_allclose([p.variance, p.lengthscale, np.sqrt(p.noise)], PAGE_FIT, rtol=5e-3)
    np.testing.assert_allclose([start, ours.log_marginal_likelihood], PAGE_LML, atol=5e-3)


PAGE_FIT = [2.482, 2.180, 0.157]  # s^2, l, noise sd after fitting (3 significant digits)
PAGE_LML = [-32.88, -4.27]  # log p(y) at the start and at the optimum (2 decimals)


def test_posterior_interpolates_without_noise_and_reverts_to_prior_far_away():
    X, y = data(seed=3)
    post = fit(X, y, Hyperparameters(1.0, 0.7, 1e-10), "rbf")
    mean, var = predict(post, X)
    np.testing.assert_allclose(mean, y, atol=1e-6)  # noise 1e-10: the mean passes through the data
    assert var.max() < 1e-6
    far_mean, far_var = predict(post, np.full((1, 2), 100.0))
    np.testing.assert_allclose([far_mean[0], far_var[0]], [0.0, 1.0], atol=1e-12)  # the prior N(0, s^2)


def test_bad_input_says_what_to_fix():
    X, y = data()
    with pytest.raises(ValueError, match="unknown kernel 'periodic'"):
        kernel(X, X, 1.0, 1.0, "periodic")
    with pytest.raises(ValueError, match="one value per row of X"):
        fit(X, y[:-1], Hyperparameters(1.0, 1.0, 0.1))
    with pytest.raises(ValueError, match="must be positive"):
        fit(X, y, Hyperparameters(1.0, -1.0, 0.1))


def test_short_length_scales_buy_little_fit_but_cost_complexity():
    """The page's reading of the evidence panel (s^2 and noise at their fitted values): from l = 1 down to
    0.1 the data-fit term -1/2 y^T K_y^-1 y gains at most ~2 nats (and falls again below l = 0.4), while
    the complexity term -1/2 log|K_y| drops by more than 25 nats."""
    X, y = toy_data(0)
    best = optimise_hyperparameters(X, y, Hyperparameters(1.0, 1.0, 1.0), "rbf").params
    scales = np.logspace(-1, 0, 21)  # 0.1 ... 1
    posts = [fit(X, y, Hyperparameters(best.variance, l, best.noise), "rbf") for l in scales]
    data_fit = np.array([-0.5 * y @ p.alpha for p in posts])
    complexity = np.array([-np.log(np.diag(p.L)).sum() for p in posts])
    assert data_fit.max() - data_fit[-1] < 2.5  # little better fit than at l = 1 (2.1 nats at best)
    assert data_fit[0] < data_fit[-1]  # and at l = 0.1 a worse one
    assert complexity[-1] - complexity[0] > 25.0
