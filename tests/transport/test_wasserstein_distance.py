"""1-D Wasserstein distance: scipy.stats.wasserstein_distance, POT's exact LP, and identities."""

import numpy as np
import ot
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.transport.wasserstein_distance import quantile_function, wasserstein_1d, wasserstein_1d_cdf
from mlatlas.verification import verifies

TOL = 1e-10  # float64; both sides sum O(N) terms of size O(1)


def _sample(seed: int, n: int, m: int, weighted: bool):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = rng.gamma(2.0, size=m) - 1.0
    a = rng.random(n) + 0.1 if weighted else None
    b = rng.random(m) + 0.1 if weighted else None
    return x, y, a, b


@verifies("wasserstein-distance", against="scipy.stats.wasserstein_distance", tol=TOL,
          note="float64, weighted and unweighted samples of different sizes")
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sizes", [(1, 1), (7, 7), (13, 40), (200, 31)])
def test_w1_matches_scipy(weighted, sizes):
    x, y, a, b = _sample(0, *sizes, weighted)
    ours = wasserstein_1d(x, y, a, b, p=1)
    ref = scipy.stats.wasserstein_distance(x, y, a, b)
    np.testing.assert_allclose(ours, ref, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(wasserstein_1d_cdf(x, y, a, b), ref, rtol=TOL, atol=TOL)


@verifies("wasserstein-distance", against="POT ot.emd2", tol=TOL,
          note="W_p^p for p = 2, 3 against the exact linear program on |x - y|^p")
@pytest.mark.parametrize("p", [2.0, 3.0])
def test_wp_matches_exact_linear_program(p):
    x, y, a, b = _sample(1, 25, 17, weighted=True)
    a, b = a / a.sum(), b / b.sum()
    cost = np.abs(x[:, None] - y[None, :]) ** p
    ref = ot.emd2(a, b, cost)
    np.testing.assert_allclose(wasserstein_1d(x, y, a, b, p=p) ** p, ref, rtol=TOL, atol=TOL)


def test_equal_size_uniform_is_sorted_matching():
    x, y, _, _ = _sample(2, 50, 50, weighted=False)
    for p in (1.0, 2.0):
        expected = np.mean(np.abs(np.sort(x) - np.sort(y)) ** p) ** (1 / p)
        np.testing.assert_allclose(wasserstein_1d(x, y, p=p), expected, rtol=TOL, atol=TOL)


def test_gaussians_closed_form():
    """W_2 between N(m1, s1²) and N(m2, s2²) is sqrt((m1-m2)² + (s1-s2)²); check on quantile grids."""
    q = (np.arange(4000) + 0.5) / 4000
    x = scipy.stats.norm.ppf(q, loc=1.0, scale=2.0)
    y = scipy.stats.norm.ppf(q, loc=-0.5, scale=0.5)
    # midpoint-quantile discretisation error is O(log N / N) in the tails; 1e-3 is a stated margin
    np.testing.assert_allclose(wasserstein_1d(x, y, p=2), np.hypot(1.5, 1.5), rtol=1e-3)


def test_quantile_function_steps():
    values, weights = [3.0, 1.0, 2.0], [0.5, 0.25, 0.25]
    got = quantile_function(values, [0.0, 0.25, 0.26, 0.5, 0.51, 1.0], weights)
    np.testing.assert_array_equal(got, [1.0, 1.0, 2.0, 2.0, 3.0, 3.0])


finite = st.floats(-100, 100, allow_nan=False)


@settings(max_examples=25, deadline=None)
@given(st.lists(finite, min_size=1, max_size=12), st.lists(finite, min_size=1, max_size=12),
       st.lists(finite, min_size=1, max_size=12), finite)
def test_metric_properties(x, y, z, shift):
    d_xy, d_yz, d_xz = wasserstein_1d(x, y), wasserstein_1d(y, z), wasserstein_1d(x, z)
    assert wasserstein_1d(x, x) == 0.0
    np.testing.assert_allclose(d_xy, wasserstein_1d(y, x), rtol=1e-12, atol=1e-12)  # symmetry
    assert d_xz <= d_xy + d_yz + 1e-9  # triangle inequality
    # translating both samples by the same amount changes nothing
    np.testing.assert_allclose(wasserstein_1d(np.add(x, shift), np.add(y, shift)), d_xy, atol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"u_values": [], "v_values": [1.0]}, "non-empty 1-D"),
        ({"u_values": [[1.0]], "v_values": [1.0]}, "non-empty 1-D"),
        ({"u_values": [np.nan], "v_values": [1.0]}, "NaN"),
        ({"u_values": [1.0, 2.0], "v_values": [1.0], "u_weights": [1.0]}, "shape"),
        ({"u_values": [1.0], "v_values": [1.0], "v_weights": [-1.0]}, "non-negative"),
        ({"u_values": [1.0], "v_values": [1.0], "v_weights": [0.0]}, "sum to zero"),
        ({"u_values": [1.0], "v_values": [1.0], "p": 0.5}, "p must be"),
    ],
)
def test_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        wasserstein_1d(**kwargs)
