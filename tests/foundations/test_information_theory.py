"""Entropy, KL and mutual information against scipy.stats.entropy and sklearn's mutual_info_score."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from scipy import stats
from sklearn.metrics import mutual_info_score

from mlatlas.foundations import information_theory as it
from mlatlas.verification import verifies

TOL = 1e-12  # float64

distributions = st.integers(2, 8).flatmap(
    lambda k: st.tuples(
        st.lists(st.floats(0.0, 1.0), min_size=k, max_size=k).filter(lambda v: sum(v) > 1e-3),
        st.lists(st.floats(1e-3, 1.0), min_size=k, max_size=k),
    )
)


@settings(max_examples=25, deadline=None)
@given(distributions, st.sampled_from([None, 2.0, 10.0]))
@verifies("information-theory", against="scipy.stats.entropy", tol=TOL,
          note="float64; entropy and KL, nats / bits / bans, unnormalised inputs with zeros (Hypothesis)")
def test_entropy_and_kl_match_scipy(pq, base):
    p, q = (np.array(v) for v in pq)
    np.testing.assert_allclose(it.entropy(p, base), stats.entropy(p, base=base), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(it.kl_divergence(p, q, base), stats.entropy(p, q, base=base), rtol=1e-10,
                               atol=TOL)
    # H(p, q) = H(p) + KL(p || q) and Gibbs' inequality KL >= 0
    h_pq = it.entropy(p, base) + it.kl_divergence(p, q, base)
    np.testing.assert_allclose(it.cross_entropy(p, q, base), h_pq, rtol=1e-10, atol=TOL)
    assert it.kl_divergence(p, q) >= -TOL
    assert 0 <= it.js_divergence(p, q) <= math.log(2) + TOL


@pytest.mark.parametrize("seed", [0, 1, 2])
@verifies("information-theory", against="sklearn mutual_info_score", tol=TOL,
          note="float64; plug-in MI from 500 paired labels")
def test_mutual_information_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, size=500)
    y = (x + rng.integers(0, 3, size=500)) % 5  # y depends on x, with noise
    np.testing.assert_allclose(it.mutual_information_from_labels(x, y), mutual_info_score(x, y),
                               rtol=TOL, atol=TOL)
    table = it.contingency_table(x, y)
    np.testing.assert_allclose(it.mutual_information(table), mutual_info_score(None, None, contingency=table),
                               rtol=TOL, atol=TOL)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 4), st.integers(2, 4), st.integers(0, 2**31))
def test_chain_rule_identities(nx, ny, seed):
    joint = np.random.default_rng(seed).dirichlet(np.ones(nx * ny)).reshape(nx, ny)
    h_x, h_y = it.entropy(joint.sum(1)), it.entropy(joint.sum(0))
    h_xy = it.joint_entropy(joint)
    mi = it.mutual_information(joint)
    np.testing.assert_allclose(mi, h_x + h_y - h_xy, rtol=1e-10, atol=TOL)  # I = H(X) + H(Y) - H(X, Y)
    np.testing.assert_allclose(it.conditional_entropy(joint), h_xy - h_x, rtol=1e-10, atol=TOL)
    np.testing.assert_allclose(mi, it.mutual_information(joint.T), rtol=1e-10, atol=TOL)  # symmetric
    assert -TOL <= mi <= min(h_x, h_y) + TOL


def test_known_values():
    np.testing.assert_allclose(it.entropy(np.ones(8), base=2), 3.0, rtol=TOL)  # 8 equal outcomes: 3 bits
    np.testing.assert_allclose(it.entropy([1.0, 0.0, 0.0]), 0.0, atol=TOL)
    np.testing.assert_allclose(it.binary_entropy(0.5), 1.0, rtol=TOL)
    np.testing.assert_allclose(it.binary_entropy(np.array([0.0, 1.0])), [0.0, 0.0], atol=TOL)
    # independent variables share no information; a copied bit shares all of it
    np.testing.assert_allclose(it.mutual_information(np.outer([0.3, 0.7], [0.2, 0.5, 0.3])), 0.0, atol=TOL)
    np.testing.assert_allclose(it.mutual_information(np.diag([0.5, 0.5]), base=2), 1.0, rtol=TOL)
    # capacity of the binary symmetric channel: 1 - H_b(flip) bits
    for flip in (0.0, 0.11, 0.5):
        np.testing.assert_allclose(it.mutual_information(it.binary_symmetric_channel(flip), base=2),
                                   1 - it.binary_entropy(flip), rtol=1e-10, atol=TOL)


def test_kl_is_asymmetric_and_infinite_off_support():
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.25, 0.25, 0.5])
    assert it.kl_divergence(p, q) == pytest.approx(math.log(2), rel=TOL)
    assert it.kl_divergence(q, p) == math.inf
    assert it.cross_entropy(q, p) == math.inf
    assert stats.entropy(q, p) == math.inf  # scipy agrees


def test_plug_in_mutual_information_is_biased_upwards_for_independent_labels():
    rng = np.random.default_rng(0)
    estimates = [it.mutual_information_from_labels(rng.integers(0, 4, 200), rng.integers(0, 4, 200))
                 for _ in range(40)]
    # true MI is 0; the plug-in bias is about (4 - 1)(4 - 1) / (2 * 200) = 0.0225 nats
    assert 0.01 < np.mean(estimates) < 0.04


def test_plug_in_mutual_information_at_n_30_sits_about_0_02_bits_above_zero_at_flip_one_half():
    # information-theory.md caption: at f = 1/2 (X and Y independent) the n = 30 estimates sit about
    # 0.02 bits above the true 0; the bias formula gives (2 - 1)(2 - 1) / (2 * 30) nats = 0.024 bits
    rng = np.random.default_rng(0)
    estimates = []
    for _ in range(40):
        x = rng.integers(0, 2, 30)
        y = np.where(rng.random(30) < 0.5, 1 - x, x)  # the figure's channel at flip 1/2
        estimates.append(it.mutual_information_from_labels(x, y, base=2))
    assert 0.01 < np.mean(estimates) < 0.035


def test_plug_in_mutual_information_is_biased_down_for_a_copied_bit():
    # information-theory.md: near flip 0 the n = 30 estimates fall below the true 1 bit
    rng = np.random.default_rng(0)
    estimates = []
    for _ in range(40):
        x = rng.integers(0, 2, 30)
        estimates.append(it.mutual_information_from_labels(x, x, base=2))  # = plug-in H(X) <= 1 bit
    assert max(estimates) <= 1.0 + TOL and np.mean(estimates) < 1.0 - 0.005


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="non-negative"):
        it.entropy(np.array([0.5, -0.1]))
    with pytest.raises(ValueError, match="sums to 0"):
        it.entropy(np.zeros(3))
    with pytest.raises(ValueError, match="same shape"):
        it.kl_divergence(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="2-D table"):
        it.mutual_information(np.ones(4))
    with pytest.raises(ValueError, match="equal length"):
        it.contingency_table(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        it.binary_entropy(1.5)


def test_figures_return_figures():
    from mlatlas.foundations.figures import information_theory as figs

    assert isinstance(figs.entropy_and_channel(), Figure)
