"""Displacement interpolation: endpoints, the W_2 geodesic identity (with POT ot.emd2), 1-D quantiles."""

import numpy as np
import ot
import pytest

from mlatlas.transport.displacement_interpolation import (
    WeightedCloud,
    displacement_interpolation,
    mccann_interpolation,
)
from mlatlas.transport.optimal_transport import exact_transport, squared_euclidean_cost
from mlatlas.transport.wasserstein_distance import wasserstein_1d
from mlatlas.verification import verifies

TOL = 1e-10  # float64


def _clouds(seed: int, m: int = 14, n: int = 10):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(m, 2))
    y = rng.normal(size=(n, 2)) * 0.5 + np.array([3.0, 1.0])
    a, b = rng.random(m) + 0.1, rng.random(n) + 0.1
    return x, y, a / a.sum(), b / b.sum()


def _w2(p: WeightedCloud, q: WeightedCloud) -> float:
    return float(np.sqrt(ot.emd2(p.weights, q.weights, squared_euclidean_cost(p.points, q.points))))


@verifies("displacement-interpolation", against="W2 geodesic identity", tol=TOL,
          note="W_2(μ_s, μ_t) = |t - s| W_2(μ_0, μ_1), distances by POT ot.emd2, float64")
def test_constant_speed_geodesic():
    x, y, a, b = _clouds(0)
    times = [0.0, 0.2, 0.5, 0.9, 1.0]
    clouds = mccann_interpolation(x, y, times, a, b)
    total = _w2(clouds[0], clouds[-1])
    np.testing.assert_allclose(total, np.sqrt(exact_transport(a, b, squared_euclidean_cost(x, y)).cost),
                               rtol=TOL)
    for s, cs in zip(times, clouds):
        for t, ct in zip(times, clouds):
            # compare squares: sqrt would turn a 1e-18 round-off in W_2²(μ_s, μ_s) into 1e-9
            np.testing.assert_allclose(_w2(cs, ct) ** 2, (t - s) ** 2 * total**2, rtol=TOL, atol=TOL)


@verifies("displacement-interpolation", against="endpoints", tol=1e-15,
          note="μ_0 = (x, a), μ_1 = (y, b): identical points, weights equal after merging atoms")
def test_endpoints():
    x, y, a, b = _clouds(1)
    start, end = mccann_interpolation(x, y, [0.0, 1.0], a, b)
    for cloud, points, weights in ((start, x, a), (end, y, b)):
        merged = {}
        for p, w in zip(map(tuple, cloud.points), cloud.weights):
            merged[p] = merged.get(p, 0.0) + w
        assert set(merged) == set(map(tuple, points))
        np.testing.assert_allclose([merged[tuple(p)] for p in points], weights, atol=1e-15)


def test_one_dimensional_interpolant_averages_quantiles():
    """In 1-D the geodesic's quantile function is (1 - t) F^{-1} + t G^{-1}."""
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(30, 1)), rng.exponential(size=(30, 1))
    t = 0.3
    (cloud,) = mccann_interpolation(x, y, [t])
    expected = (1 - t) * np.sort(x[:, 0]) + t * np.sort(y[:, 0])
    np.testing.assert_allclose(np.sort(cloud.points[:, 0]), expected, atol=TOL)
    np.testing.assert_allclose(wasserstein_1d(x[:, 0], cloud.points[:, 0], p=2),
                               t * wasserstein_1d(x[:, 0], y[:, 0], p=2), rtol=TOL)


def test_linear_mixture_is_not_a_geodesic():
    """Contrast: the mixture ½ μ_0 + ½ μ_1 is not on a shortest path: going through it is a detour."""
    x, y, a, b = _clouds(3)
    start, end = mccann_interpolation(x, y, [0.0, 1.0], a, b)
    mixture = type(start)(np.r_[x, y], np.r_[0.5 * a, 0.5 * b])
    detour = _w2(start, mixture) + _w2(mixture, end)
    assert detour > 1.1 * _w2(start, end)  # the McCann midpoint has detour = 1 exactly


def test_mass_is_conserved_and_atoms_are_few():
    x, y, a, b = _clouds(4)
    (cloud,) = mccann_interpolation(x, y, [0.5], a, b)
    np.testing.assert_allclose(cloud.weights.sum(), 1.0, atol=1e-14)
    assert len(cloud.weights) <= len(x) + len(y) - 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"t": 1.5}, "t must lie"),
        ({"plan": np.ones((2, 2))}, "plan has shape"),
        ({"y": np.zeros((3, 3))}, "features"),
    ],
)
def test_bad_input(kwargs, message):
    args = {"x": np.zeros((2, 2)), "y": np.zeros((3, 2)), "plan": np.ones((2, 3)) / 6, "t": 0.5} | kwargs
    with pytest.raises(ValueError, match=message):
        displacement_interpolation(**args)
