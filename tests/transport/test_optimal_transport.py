"""Exact OT by the transportation simplex, against POT's ot.emd (a C++ network simplex)."""

import numpy as np
import ot
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.transport.optimal_transport import exact_transport, northwest_corner, squared_euclidean_cost
from mlatlas.verification import verifies

TOL = 1e-10  # float64; costs are O(1) sums of O(M N) products


def _problem(seed: int, m: int, n: int, uniform: bool = False):
    rng = np.random.default_rng(seed)
    a = np.full(m, 1.0 / m) if uniform else rng.random(m) + 0.05
    b = np.full(n, 1.0 / n) if uniform else rng.random(n) + 0.05
    cost = squared_euclidean_cost(rng.normal(size=(m, 2)), rng.normal(size=(n, 2)) + 1.0)
    return a / a.sum(), b / b.sum(), cost


def _assert_valid_plan(plan, a, b, atol=TOL):
    assert np.all(plan >= 0)
    np.testing.assert_allclose(plan.sum(axis=1), a, atol=atol)
    np.testing.assert_allclose(plan.sum(axis=0), b, atol=atol)


@verifies("optimal-transport", against="POT ot.emd", tol=TOL,
          note="float64; same optimal cost, valid plan, general weights and uniform clouds")
@pytest.mark.parametrize(("m", "n", "uniform"), [(1, 1, False), (1, 5, False), (6, 6, True), (9, 14, False),
                                                 (30, 30, True), (40, 25, False)])
def test_matches_pot_emd(m, n, uniform):
    a, b, cost = _problem(m * 100 + n, m, n, uniform)
    ours = exact_transport(a, b, cost)
    ref_plan = ot.emd(a, b, cost)
    np.testing.assert_allclose(ours.cost, np.sum(ref_plan * cost), rtol=TOL, atol=TOL)
    _assert_valid_plan(ours.plan, a, b)
    assert np.count_nonzero(ours.plan) <= m + n - 1  # a vertex of the transport polytope
    assert len(ours.basis) == m + n - 1


def test_certificate_strong_duality_and_dual_feasibility():
    a, b, cost = _problem(3, 12, 17)
    result = exact_transport(a, b, cost)
    reduced = cost - result.u[:, None] - result.v[None, :]
    assert reduced.min() >= -1e-12  # u_i + v_j ≤ C_ij everywhere
    np.testing.assert_allclose(reduced[result.plan > 0], 0.0, atol=1e-12)  # complementary slackness
    np.testing.assert_allclose(a @ result.u + b @ result.v, result.cost, rtol=TOL, atol=TOL)  # strong duality


def test_uniform_equal_size_is_an_assignment():
    """With N points of mass 1/N on each side, an optimal plan is a permutation (Birkhoff)."""
    a, b, cost = _problem(4, 25, 25, uniform=True)
    result = exact_transport(a, b, cost)
    rows, cols = scipy.optimize.linear_sum_assignment(cost)
    np.testing.assert_allclose(result.cost, cost[rows, cols].mean(), rtol=TOL, atol=TOL)


def test_northwest_corner_is_a_feasible_spanning_tree():
    a, b, _ = _problem(5, 4, 7)
    plan, basis = northwest_corner(a, b)
    _assert_valid_plan(plan, a, b, atol=1e-15)
    assert len(set(basis)) == 4 + 7 - 1


def test_degenerate_problem_terminates():
    """Integer-like weights tie everywhere: many zero-mass pivots, which must not cycle."""
    n = 12
    cost = np.abs(np.subtract.outer(np.arange(n), np.arange(n)[::-1]).astype(float)) % 3
    a = b = np.full(n, 1.0 / n)
    result = exact_transport(a, b, cost, bland_after=1)
    np.testing.assert_allclose(result.cost, ot.emd2(a, b, cost), rtol=TOL, atol=TOL)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 8), st.integers(1, 8), st.integers(0, 10_000))
def test_random_problems_match_pot(m, n, seed):
    a, b, cost = _problem(seed, m, n)
    np.testing.assert_allclose(exact_transport(a, b, cost).cost, ot.emd2(a, b, cost), rtol=TOL, atol=TOL)


def test_max_iters_warns():
    a, b, cost = _problem(6, 20, 20)
    with pytest.warns(RuntimeWarning, match="raise max_iters"):
        result = exact_transport(a, b, cost, max_iters=2)
    _assert_valid_plan(result.plan, a, b)  # still a feasible plan


@pytest.mark.parametrize(
    ("a", "b", "cost", "message"),
    [
        ([0.5, 0.5], [1.0], np.zeros((2, 2)), "shape"),
        ([0.5, 0.5], [0.3, 0.3], np.zeros((2, 2)), "normalise"),
        ([-0.5, 1.5], [0.5, 0.5], np.zeros((2, 2)), "non-negative"),
        ([0.5, 0.5], [0.5, 0.5], np.array([[0.0, np.inf], [1.0, 0.0]]), "NaN or infinity"),
        ([], [], np.zeros((0, 0)), "non-empty"),
    ],
)
def test_bad_input(a, b, cost, message):
    with pytest.raises(ValueError, match=message):
        exact_transport(a, b, cost)


def test_cost_helper_rejects_mismatched_dimensions():
    with pytest.raises(ValueError, match="features"):
        squared_euclidean_cost(np.zeros((3, 2)), np.zeros((3, 3)))
