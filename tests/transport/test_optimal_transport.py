"""Exact OT against POT's ot.emd (a C++ network simplex): the readable transportation simplex and the
compiled network simplex behind ``exact_transport``, each on its own and against each other."""

import numpy as np
import ot
import pytest
import scipy.optimize
from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.transport.optimal_transport import (
    exact_transport,
    northwest_corner,
    squared_euclidean_cost,
    transportation_simplex,
)
from mlatlas.verification import verifies

TOL = 1e-10  # float64; costs are O(1) sums of O(M N) products
SOLVERS = [exact_transport, transportation_simplex]
SOLVER_IDS = ["network_simplex", "transportation_simplex"]


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


@verifies(
    "optimal-transport",
    against="POT ot.emd",
    tol=TOL,
    note="float64; same optimal cost, valid plan, general weights and uniform clouds",
)
@pytest.mark.parametrize("solve", SOLVERS, ids=SOLVER_IDS)
@pytest.mark.parametrize(
    ("m", "n", "uniform"),
    [
        (1, 1, False),
        (1, 5, False),
        (5, 1, False),
        (6, 6, True),
        (9, 14, False),
        (30, 30, True),
        (40, 25, False),
    ],
)
def test_matches_pot_emd(solve, m, n, uniform):
    a, b, cost = _problem(m * 100 + n, m, n, uniform)
    ours = solve(a, b, cost)
    ref_plan = ot.emd(a, b, cost)
    np.testing.assert_allclose(ours.cost, np.sum(ref_plan * cost), rtol=TOL, atol=TOL)
    _assert_valid_plan(ours.plan, a, b)
    assert np.count_nonzero(ours.plan) <= m + n - 1  # a vertex of the transport polytope
    assert len(ours.basis) == m + n - 1


@pytest.mark.parametrize("solve", SOLVERS, ids=SOLVER_IDS)
def test_certificate_strong_duality_and_dual_feasibility(solve):
    a, b, cost = _problem(3, 12, 17)
    result = solve(a, b, cost)
    reduced = cost - result.u[:, None] - result.v[None, :]
    assert reduced.min() >= -1e-12  # u_i + v_j ≤ C_ij everywhere
    np.testing.assert_allclose(reduced[result.plan > 0], 0.0, atol=1e-12)  # complementary slackness
    np.testing.assert_allclose(a @ result.u + b @ result.v, result.cost, rtol=TOL, atol=TOL)  # strong duality


@pytest.mark.parametrize("solve", SOLVERS, ids=SOLVER_IDS)
def test_uniform_equal_size_is_an_assignment(solve):
    """With N points of mass 1/N on each side, an optimal plan is a permutation (Birkhoff)."""
    a, b, cost = _problem(4, 25, 25, uniform=True)
    result = solve(a, b, cost)
    rows, cols = scipy.optimize.linear_sum_assignment(cost)
    np.testing.assert_allclose(result.cost, cost[rows, cols].mean(), rtol=TOL, atol=TOL)
    # the solver's plan is a vertex: 25 cells with the marginals 1/25 make it a permutation matrix / 25
    _assert_valid_plan(result.plan, a, b)
    assert np.count_nonzero(result.plan) == 25


def test_northwest_corner_is_a_feasible_spanning_tree():
    a, b, _ = _problem(5, 4, 7)
    plan, basis = northwest_corner(a, b)
    _assert_valid_plan(plan, a, b, atol=1e-15)
    assert len(set(basis)) == 4 + 7 - 1


def test_degenerate_problem_terminates():
    """Integer-like weights tie everywhere: many zero-mass pivots, which must not cycle (Bland's rule
    in the readable solver, a strongly feasible tree in the compiled one)."""
    n = 12
    cost = np.abs(np.subtract.outer(np.arange(n), np.arange(n)[::-1]).astype(float)) % 3
    a = b = np.full(n, 1.0 / n)
    result = transportation_simplex(a, b, cost, bland_after=1)
    np.testing.assert_allclose(result.cost, ot.emd2(a, b, cost), rtol=TOL, atol=TOL)
    fast = exact_transport(a, b, cost)
    np.testing.assert_allclose(fast.cost, ot.emd2(a, b, cost), rtol=TOL, atol=TOL)
    _assert_valid_plan(fast.plan, a, b)


@verifies(
    "optimal-transport",
    against="POT ot.emd",
    tol=TOL,
    note="network simplex at n = 300, uniform and general weights; vertex plan, marginals to 1e-12",
)
@pytest.mark.parametrize("uniform", [True, False])
def test_network_simplex_matches_pot_at_scale(uniform):
    n = 300
    a, b, cost = _problem(11 + uniform, n, n, uniform)
    result = exact_transport(a, b, cost)
    ref = ot.emd(a, b, cost)
    np.testing.assert_allclose(result.cost, np.sum(ref * cost), rtol=TOL, atol=TOL)
    _assert_valid_plan(result.plan, a, b, atol=1e-12)
    assert np.count_nonzero(result.plan) <= 2 * n - 1  # a vertex of the transport polytope
    assert len(set(result.basis)) == 2 * n - 1
    reduced = cost - result.u[:, None] - result.v[None, :]
    assert reduced.min() >= -1e-12 * max(1.0, cost.max())  # dual feasible up to the pricing tolerance
    np.testing.assert_allclose(a @ result.u + b @ result.v, result.cost, rtol=TOL, atol=TOL)


def test_network_simplex_equals_readable_version():
    """Both solvers reach the same optimal cost; on generic points the optimal plan is unique, so the
    plans agree too."""
    a, b, cost = _problem(21, 35, 28)
    np.testing.assert_allclose(
        exact_transport(a, b, cost).plan, transportation_simplex(a, b, cost).plan, atol=1e-12
    )


@pytest.mark.parametrize("solve", SOLVERS, ids=SOLVER_IDS)
def test_zero_mass_rows_and_columns(solve):
    """Points of zero mass receive nothing, yet the basis still spans them and the duals stay feasible."""
    a, b, cost = _problem(8, 9, 11)
    a[[0, 4]] = 0.0
    b[[0, 5, 10]] = 0.0
    a, b = a / a.sum(), b / b.sum()
    result = solve(a, b, cost)
    np.testing.assert_allclose(result.cost, ot.emd2(a, b, cost), rtol=TOL, atol=TOL)
    _assert_valid_plan(result.plan, a, b)
    assert len(set(result.basis)) == 9 + 11 - 1
    assert (cost - result.u[:, None] - result.v[None, :]).min() >= -1e-12 * max(1.0, cost.max())


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 8), st.integers(1, 8), st.integers(0, 10_000))
def test_random_problems_match_pot(m, n, seed):
    a, b, cost = _problem(seed, m, n)
    reference = ot.emd2(a, b, cost)
    np.testing.assert_allclose(exact_transport(a, b, cost).cost, reference, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(transportation_simplex(a, b, cost).cost, reference, rtol=TOL, atol=TOL)


@pytest.mark.parametrize("solve", SOLVERS, ids=SOLVER_IDS)
def test_max_iters_warns(solve):
    a, b, cost = _problem(6, 20, 20)
    with pytest.warns(RuntimeWarning, match="raise max_iters"):
        result = solve(a, b, cost, max_iters=2)
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
@pytest.mark.parametrize("solve", SOLVERS, ids=SOLVER_IDS)
def test_bad_input(solve, a, b, cost, message):
    with pytest.raises(ValueError, match=message):
        solve(a, b, cost)


def test_cost_helper_rejects_mismatched_dimensions():
    with pytest.raises(ValueError, match="features"):
        squared_euclidean_cost(np.zeros((3, 2)), np.zeros((3, 3)))


@pytest.mark.parametrize("weights", ["uniform", "steps"])
def test_network_simplex_on_a_grid_full_of_ties(weights):
    """Integer grids have many equal costs and the uniform case is an assignment: most pivots are
    degenerate, which a strongly feasible tree must get through without cycling."""
    grid = np.stack(np.meshgrid(np.arange(12), np.arange(12)), axis=-1).reshape(-1, 2).astype(float)
    cost = squared_euclidean_cost(grid, grid[::-1] + np.array([3.0, 0.0]))  # (144, 144)
    a = np.full(144, 1.0 / 144)
    b = a if weights == "uniform" else np.repeat([1.0, 2.0, 3.0], 48) / 288.0
    result = exact_transport(a, b, cost)
    np.testing.assert_allclose(result.cost, ot.emd2(a, b, cost), rtol=TOL, atol=TOL)
    _assert_valid_plan(result.plan, a, b, atol=1e-12)
    assert np.count_nonzero(result.plan) <= 2 * 144 - 1
