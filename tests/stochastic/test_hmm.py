"""Gaussian HMM (forward–backward, Baum–Welch, Viterbi in log space) against hmmlearn and brute force."""

import itertools

import numpy as np
import pytest
from hmmlearn.hmm import GaussianHMM

from mlatlas.stochastic.hmm import (
    HMMParams,
    baum_welch,
    forward_backward,
    init_hmm_params,
    log_emissions,
    log_likelihood,
    viterbi,
)
from mlatlas.stochastic.regime_detection import regime_switching_returns
from mlatlas.verification import verifies

TOL = 1e-10  # float64; relative, after N_ITER rounds of EM on a few hundred points
N_ITER = 15


def _series(seed=0, T=400):
    return regime_switching_returns(T, np.random.default_rng(seed)).returns[:, None]  # (T, 1)


def _hmmlearn_from(params: HMMParams, n_iter: int) -> GaussianHMM:
    K = params.startprob.shape[0]
    m = GaussianHMM(
        n_components=K,
        covariance_type="diag",
        n_iter=n_iter,
        tol=-np.inf,  # never stop early: exactly n_iter EM rounds, like ours
        init_params="",  # keep the start we give it
        params="stmc",
        covars_prior=0.0,  # plain maximum likelihood, no prior on the variances
        covars_weight=1.0,
        implementation="log",
    )
    m.startprob_ = params.startprob.copy()
    m.transmat_ = params.transmat.copy()
    m.means_ = params.means.copy()
    m.covars_ = params.covars.copy()
    return m


@verifies(
    "regime-detection",
    against="hmmlearn.hmm.GaussianHMM",
    tol=TOL,
    note="float64, same start, 15 Baum–Welch rounds: log-likelihoods, parameters, Viterbi path",
)
@pytest.mark.parametrize("seed", [0, 1])
def test_baum_welch_and_viterbi_match_hmmlearn(seed):
    x = _series(seed)
    init = init_hmm_params(x, 3)
    ours = baum_welch(x, init, n_iter=N_ITER, tol=-np.inf)
    ref = _hmmlearn_from(init, N_ITER).fit(x)

    np.testing.assert_allclose(ours.log_likelihoods, ref.monitor_.history, rtol=TOL)
    np.testing.assert_allclose(ours.params.startprob, ref.startprob_, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(ours.params.transmat, ref.transmat_, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(ours.params.means, ref.means_, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(ours.params.covars, ref._covars_, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(log_likelihood(x, ours.params), ref.score(x), rtol=TOL)

    path = viterbi(x, ours.params)
    ref_logprob, ref_path = ref.decode(x, algorithm="viterbi")
    np.testing.assert_array_equal(path.states, ref_path)
    np.testing.assert_allclose(path.log_prob, ref_logprob, rtol=TOL)
    np.testing.assert_allclose(forward_backward(x, ours.params).gamma, ref.predict_proba(x), atol=1e-9)


def _tiny():
    params = HMMParams(
        startprob=np.array([0.6, 0.4]),
        transmat=np.array([[0.7, 0.3], [0.2, 0.8]]),
        means=np.array([[0.0], [1.5]]),
        covars=np.array([[1.0], [0.5]]),
    )
    x = np.array([[0.1], [1.2], [1.9], [-0.4], [0.8], [1.4]])
    return params, x


def _log_joint(params, x, path):
    log_b = log_emissions(x, params)
    lp = np.log(params.startprob[path[0]]) + log_b[0, path[0]]
    for t in range(1, len(path)):
        lp += np.log(params.transmat[path[t - 1], path[t]]) + log_b[t, path[t]]
    return lp


def test_forward_and_viterbi_equal_brute_force_enumeration():
    params, x = _tiny()
    paths = list(itertools.product(range(2), repeat=x.shape[0]))  # all 2^6 state paths
    joint = np.array([_log_joint(params, x, p) for p in paths])
    np.testing.assert_allclose(log_likelihood(x, params), np.log(np.exp(joint).sum()), rtol=1e-12)
    best = viterbi(x, params)
    np.testing.assert_array_equal(best.states, paths[int(joint.argmax())])
    np.testing.assert_allclose(best.log_prob, joint.max(), rtol=1e-12)
    # posterior marginals: gamma_t(i) = sum over paths with s_t = i
    post = forward_backward(x, params)
    w = np.exp(joint - joint.max())
    w /= w.sum()
    for t in range(x.shape[0]):
        exact = sum(wi for wi, p in zip(w, paths) if p[t] == 1)
        np.testing.assert_allclose(post.gamma[t, 1], exact, atol=1e-12)
    np.testing.assert_allclose(post.xi_sum.sum(), x.shape[0] - 1, rtol=1e-12)


def test_baum_welch_climbs_and_stays_finite_on_long_series():
    x = _series(5, T=3000)  # P(x) ~ exp(+9500): far beyond float64 (max ~ exp(709))
    fit = baum_welch(x, init_hmm_params(x, 3), n_iter=8, tol=-np.inf)
    assert np.all(np.isfinite(fit.log_likelihoods))
    assert np.all(np.diff(fit.log_likelihoods) >= -1e-8)  # EM is monotone
    np.testing.assert_allclose(fit.params.transmat.sum(1), 1.0, atol=1e-12)


def test_hmm_rejects_bad_input():
    params, x = _tiny()
    with pytest.raises(ValueError, match="features"):
        log_likelihood(np.zeros((4, 2)), params)
    with pytest.raises(ValueError, match="NaN"):
        viterbi(np.array([0.0, np.nan]), params)
    bad = HMMParams(params.startprob, np.array([[0.5, 0.6], [0.2, 0.8]]), params.means, params.covars)
    with pytest.raises(ValueError, match="transmat"):
        baum_welch(x, bad)
    with pytest.raises(ValueError, match="n_iter"):
        baum_welch(x, params, n_iter=0)
    with pytest.raises(ValueError, match="stay"):
        init_hmm_params(x, 2, stay=1.0)


@pytest.mark.parametrize("level", [1e4, 1e6])
def test_m_step_variance_is_accurate_far_from_zero(level):
    """The variance is a centred two-pass sum: E[x^2] - mu^2 lost 4 digits at a level of 1e6."""
    from mlatlas.stochastic.hmm import m_step

    rng = np.random.default_rng(3)
    y = level + rng.normal(0.0, 1.0, (400, 1))
    one_state = HMMParams(
        startprob=np.array([1.0]),
        transmat=np.array([[1.0]]),
        means=np.array([[level]]),
        covars=np.ones((1, 1)),
    )
    est = m_step(y, forward_backward(y, one_state)).covars[0, 0]
    np.testing.assert_allclose(est, y.var(), rtol=1e-12)


def test_left_to_right_model_emits_no_warnings():
    """Zero start and transition masses are log 0 = -inf on purpose; numpy must not warn about them
    (a project that turns warnings into errors still runs)."""
    import warnings

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(m, 1.0, (50, 1)) for m in (0.0, 5.0, 10.0)])
    params = HMMParams(
        startprob=np.array([1.0, 0.0, 0.0]),
        transmat=np.array([[0.9, 0.1, 0.0], [0.0, 0.9, 0.1], [0.0, 0.0, 1.0]]),
        means=np.array([[0.0], [5.0], [10.0]]),
        covars=np.ones((3, 1)),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        post = forward_backward(x, params)
        path = viterbi(x, params)
        fit = baum_welch(x, params, n_iter=3)
    assert np.isfinite(post.log_likelihood) and np.isfinite(fit.log_likelihoods).all()
    assert list(np.flatnonzero(np.diff(path.states))) == [49, 99]  # two switches, in order


def test_compiled_passes_equal_the_numpy_recursion():
    """forward_pass / backward_pass (numba loops) against the row-at-a-time numpy recursion they
    replaced, on a 3-state model with forbidden transitions and an unreachable state (-inf rows)."""
    from mlatlas.stochastic.hmm import backward_pass, forward_pass

    rng = np.random.default_rng(4)
    A = np.array([[0.7, 0.3, 0.0], [0.0, 0.6, 0.4], [0.0, 0.5, 0.5]])  # only state 0 enters state 0
    pi = np.array([0.0, 0.5, 0.5])  # so state 0 is never reached
    with np.errstate(divide="ignore"):
        log_A, log_pi = np.log(A), np.log(pi)
    log_b = rng.normal(2.0, 3.0, (300, 3))  # (T, K)
    T, K = log_b.shape
    ref_alpha, ref_beta = np.empty((T, K)), np.zeros((T, K))
    ref_alpha[0] = log_pi + log_b[0]
    for t in range(1, T):
        ref_alpha[t] = log_b[t] + np.logaddexp.reduce(ref_alpha[t - 1][:, None] + log_A, axis=0)
    for t in range(T - 2, -1, -1):
        ref_beta[t] = np.logaddexp.reduce(log_A + (log_b[t + 1] + ref_beta[t + 1])[None, :], axis=1)
    log_alpha, log_beta = forward_pass(log_pi, log_A, log_b), backward_pass(log_A, log_b)
    assert np.isneginf(log_alpha[:, 0]).all()  # an all -inf log-sum-exp gives -inf, not NaN
    np.testing.assert_array_equal(np.isneginf(log_alpha), np.isneginf(ref_alpha))
    finite = np.isfinite(ref_alpha)
    np.testing.assert_allclose(log_alpha[finite], ref_alpha[finite], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(log_beta, ref_beta, rtol=1e-12, atol=1e-12)
