"""Power iteration, deflation, SVD and PCA against numpy.linalg and scikit-learn's PCA."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA

from mlatlas.foundations import linear_algebra as la
from mlatlas.verification import verifies

TOL = 1e-10  # float64 after convergence to residual 1e-12 * ||A||
PCA_TOL = 1e-10


def spd_matrix(F, seed, spectrum=None):
    """A symmetric matrix with a chosen spectrum (default: well separated eigenvalues)."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((F, F)))
    lam = np.array(spectrum) if spectrum is not None else np.geomspace(10.0, 0.1, F)
    return (Q * lam) @ Q.T, lam, Q


@verifies("linear-algebra", against="numpy.linalg", tol=TOL,
          note="float64; power iteration + deflation vs eigh, svd_power vs numpy.linalg.svd")
def test_power_iteration_and_deflation_match_numpy_eigh():
    A, _, _ = spd_matrix(6, seed=0, spectrum=[9.0, -6.0, 4.0, 2.0, 1.0, 0.5])  # a negative eigenvalue too
    rng = np.random.default_rng(1)
    ours = la.top_eigenpairs(A, 4, rng)
    w, V = np.linalg.eigh(A)
    order = np.argsort(-np.abs(w))[:4]
    np.testing.assert_allclose(ours.eigenvalues, w[order], rtol=TOL, atol=TOL)
    np.testing.assert_allclose(ours.eigenvectors, la.sign_fix(V[:, order]), rtol=0, atol=1e-9)


@verifies("linear-algebra", against="numpy.linalg", tol=TOL, note="float64; top-3 singular triplets")
def test_svd_power_matches_numpy_svd():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((9, 5)) @ np.diag([5.0, 3.0, 2.0, 1.0, 0.5])
    ours = la.svd_power(A, 3, np.random.default_rng(3))
    U, S, Vt = np.linalg.svd(A, full_matrices=False)
    np.testing.assert_allclose(ours.S, S[:3], rtol=TOL, atol=TOL)
    V_ref = la.sign_fix(Vt[:3].T)
    np.testing.assert_allclose(ours.Vt.T, V_ref, rtol=0, atol=1e-9)
    signs = np.sign(np.sum(V_ref * Vt[:3].T, axis=0))  # same sign flips on U as on V
    np.testing.assert_allclose(ours.U, U[:, :3] * signs, rtol=0, atol=1e-9)


@verifies("linear-algebra", against="sklearn PCA", tol=PCA_TOL,
          note="float64; iris (bundled): components up to sign, explained variance and ratio, scores")
def test_pca_matches_sklearn_on_iris():
    X = load_iris().data.astype(np.float64)
    ours = la.pca(X, 3)
    ref = PCA(n_components=3, svd_solver="full").fit(X)
    np.testing.assert_allclose(ours.mean, ref.mean_, rtol=PCA_TOL)
    np.testing.assert_allclose(ours.explained_variance, ref.explained_variance_, rtol=PCA_TOL)
    np.testing.assert_allclose(ours.explained_variance_ratio, ref.explained_variance_ratio_, rtol=PCA_TOL)
    signs = np.sign(np.sum(ours.components * ref.components_, axis=1))  # align sklearn's sign convention
    np.testing.assert_allclose(ours.components, ref.components_ * signs[:, None], rtol=0, atol=PCA_TOL)
    np.testing.assert_allclose(ours.scores, ref.transform(X) * signs, rtol=0, atol=PCA_TOL)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 6), st.integers(2, 6), st.integers(0, 2**31))
def test_eckart_young_error_is_the_dropped_singular_values(n, f, seed):
    A = np.random.default_rng(seed).standard_normal((n, f))
    S = np.linalg.svd(A, compute_uv=False)
    for k in range(1, min(n, f) + 1):
        err = np.linalg.norm(A - la.low_rank_approximation(A, k)) ** 2
        np.testing.assert_allclose(err, np.sum(S[k:] ** 2), rtol=1e-9, atol=1e-9)


def test_convergence_rate_is_the_eigenvalue_ratio():
    A, _, _ = spd_matrix(5, seed=4, spectrum=[4.0, 2.0, 1.0, 0.5, 0.25])
    res = la.power_iteration(A, np.random.default_rng(5), tol=1e-14)
    assert res.converged
    r = res.residuals
    rates = r[6:20] / r[5:19]
    np.testing.assert_allclose(np.median(rates), 0.5, rtol=0.05)  # |lambda_2 / lambda_1| = 1/2


def test_figure_numbers_quoted_on_the_page():
    # linear-algebra.md quotes 38 steps (ratio 0.5) and 444 steps (ratio 0.95) to a residual of 1e-12,
    # and 93.8 % / 6.2 % of variance for the PCA cloud: the figure's own setup must reproduce them
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    steps = {}
    for ratio in (0.5, 0.95):
        lam = np.array([1.0, ratio, *np.linspace(0.4, 0.1, 6) * ratio])
        steps[ratio] = la.power_iteration((Q * lam) @ Q.T, np.random.default_rng(1), tol=1e-12).iterations
    assert steps == {0.5: 38, 0.95: 444}
    X = rng.multivariate_normal([1.0, -0.5], [[3.0, 1.6], [1.6, 1.2]], size=400)
    np.testing.assert_allclose(np.round(100 * la.pca(X, 2).explained_variance_ratio, 1), [93.8, 6.2])


def test_non_convergence_warns_and_names_the_knob():
    A, _, _ = spd_matrix(4, seed=6, spectrum=[1.0, 0.999, 0.5, 0.1])
    with pytest.warns(RuntimeWarning, match="raise max_iter"):
        res = la.power_iteration(A, np.random.default_rng(0), max_iter=20)
    assert not res.converged


def test_pca_explains_variance_in_decreasing_order_and_scores_are_uncorrelated():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((300, 3)) @ np.array([[3.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.5, 0.2]])
    res = la.pca(X, 3)
    assert np.all(np.diff(res.explained_variance) <= 0)
    np.testing.assert_allclose(res.explained_variance_ratio.sum(), 1.0, rtol=1e-12)
    cov = np.cov(res.scores, rowvar=False)
    np.testing.assert_allclose(cov, np.diag(res.explained_variance), rtol=0, atol=1e-10)
    np.testing.assert_allclose(res.components @ res.components.T, np.eye(3), rtol=0, atol=1e-12)


def test_bad_input_is_rejected():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="square"):
        la.power_iteration(np.ones((2, 3)), rng)
    with pytest.raises(ValueError, match="symmetric"):
        la.power_iteration(np.array([[1.0, 2.0], [0.0, 1.0]]), rng)
    with pytest.raises(ValueError, match="k must be between 1 and 2"):
        la.top_eigenpairs(np.eye(2), 3, rng)
    with pytest.raises(ValueError, match="N >= 2 rows"):
        la.pca(np.ones((1, 3)), 1)
    with pytest.raises(ValueError, match=r"min\(N, F\) = 2"):
        la.pca(np.ones((5, 2)), 3)


def test_zero_matrix_does_not_divide_by_zero():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = la.power_iteration(np.zeros((3, 3)), np.random.default_rng(0))
    assert res.eigenvalue == 0.0 and res.converged


def test_figures_return_figures():
    from mlatlas.foundations.figures import linear_algebra as figs

    assert isinstance(figs.power_iteration_and_pca(), Figure)
