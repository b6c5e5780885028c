"""Sinkhorn (kernel and log domain) against POT's ot.sinkhorn, plus marginals and small-ε behaviour."""

import warnings

import numpy as np
import ot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.transport.optimal_transport import exact_transport, squared_euclidean_cost
from mlatlas.transport.sinkhorn import sinkhorn_divergence, sinkhorn_knopp, sinkhorn_log, sinkhorn_symmetric
from mlatlas.verification import verifies

PLAN_TOL = 1e-12  # |ΔP| entrywise, float64, same iteration count as POT
DIV_TOL = 1e-8  # both sides stop at marginal error ~1e-11; the costs inherit ~that error
MARGINAL_TOL = 1e-9  # the tolerance asked of the solver (L1 marginal error)


def _problem(seed: int, m: int = 30, n: int = 24):
    rng = np.random.default_rng(seed)
    a = rng.random(m) + 0.1
    b = rng.random(n) + 0.1
    cost = squared_euclidean_cost(rng.normal(size=(m, 2)), rng.normal(size=(n, 2)) + 0.5)
    return a / a.sum(), b / b.sum(), cost / cost.max()  # costs scaled to [0, 1]


def translated_ring(n: int = 40, shift: float = 30.0):
    """A ring and the same ring far away: every nearest-neighbour cost is > 0.7 of the largest."""
    angle = 2 * np.pi * np.arange(n) / n
    x = np.c_[np.cos(angle), np.sin(angle)]
    y = x[::-1] + np.array([shift, 0.0])
    cost = squared_euclidean_cost(x, y)
    return np.full(n, 1 / n), np.full(n, 1 / n), cost / cost.max()


@verifies(
    "sinkhorn",
    against="POT ot.sinkhorn",
    tol=PLAN_TOL,
    note="entrywise |ΔP|, float64, same iteration count, ε ∈ {0.5, 0.05}",
)
@pytest.mark.parametrize("eps", [0.5, 0.05])
def test_kernel_version_matches_pot(eps):
    a, b, cost = _problem(0)
    ours = sinkhorn_knopp(a, b, cost, eps, num_iters=150, tol=0)
    ref = ot.sinkhorn(a, b, cost, eps, numItermax=150, stopThr=0, warn=False)
    np.testing.assert_allclose(ours.plan, ref, rtol=0, atol=PLAN_TOL)


@verifies(
    "sinkhorn",
    against="POT ot.sinkhorn_log",
    tol=PLAN_TOL,
    note="entrywise |ΔP|, float64, same iteration count, ε ∈ {0.5, 0.05, 0.01}",
)
@pytest.mark.parametrize("eps", [0.5, 0.05, 0.01])
def test_log_version_matches_pot(eps):
    a, b, cost = _problem(1)
    ours = sinkhorn_log(a, b, cost, eps, num_iters=150, tol=0)
    ref = ot.sinkhorn(a, b, cost, eps, method="sinkhorn_log", numItermax=150, stopThr=0, warn=False)
    np.testing.assert_allclose(ours.plan, ref, rtol=0, atol=PLAN_TOL)


def test_kernel_and_log_agree_where_both_work():
    a, b, cost = _problem(2)
    plain = sinkhorn_knopp(a, b, cost, 0.02, num_iters=300, tol=0)
    log = sinkhorn_log(a, b, cost, 0.02, num_iters=300, tol=0)
    np.testing.assert_allclose(plain.plan, log.plan, rtol=0, atol=PLAN_TOL)
    np.testing.assert_allclose(plain.f - plain.f.mean(), log.f - log.f.mean(), atol=1e-10)


@verifies(
    "sinkhorn",
    against="marginals to tol",
    tol=MARGINAL_TOL,
    note="L1 marginal error at ε = 1e-3 on costs in [0, 1] where the kernel underflows",
)
def test_log_domain_survives_small_eps_where_kernel_breaks():
    a, b, cost = translated_ring()
    eps = 1e-3
    assert np.all(np.exp(-cost / eps).sum(axis=1) == 0.0)  # every row of the kernel underflowed
    with pytest.warns(RuntimeWarning, match="use sinkhorn_log"):
        plain = sinkhorn_knopp(a, b, cost, eps, num_iters=200)
    assert not plain.converged and np.isnan(plain.plan).any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the log version must not even warn
        log = sinkhorn_log(a, b, cost, eps, num_iters=2000, tol=MARGINAL_TOL)
    assert log.converged and np.all(np.isfinite(log.plan))
    assert log.marginal_error <= MARGINAL_TOL
    np.testing.assert_allclose(log.plan.sum(axis=1), a, atol=MARGINAL_TOL)
    np.testing.assert_allclose(log.plan.sum(axis=0), b, atol=MARGINAL_TOL)
    # at ε = 1e-3 the plan is nearly the exact (translation) matching
    exact = exact_transport(a, b, cost)
    assert 0 <= log.cost - exact.cost < 1e-3


def test_cost_approaches_exact_ot_as_eps_shrinks():
    a, b, cost = _problem(3, 20, 20)
    exact = exact_transport(a, b, cost).cost
    gaps = [sinkhorn_log(a, b, cost, eps, num_iters=20000).cost - exact for eps in (0.1, 0.03, 0.01, 0.003)]
    assert all(g >= -1e-12 for g in gaps)  # the exact plan is optimal for <P, C>
    assert all(g1 > g2 for g1, g2 in zip(gaps, gaps[1:]))  # and the gap closes as ε → 0
    assert gaps[-1] < 0.02 * gaps[0]


@verifies(
    "sinkhorn",
    against="POT ot.bregman.empirical_sinkhorn_divergence",
    tol=DIV_TOL,
    note="Genevay et al. debiased form, squared Euclidean cost, ε = 0.5",
)
def test_sinkhorn_divergence_matches_pot():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(15, 2)), rng.normal(size=(11, 2)) + 1.0
    a, b = np.full(15, 1 / 15), np.full(11, 1 / 11)
    ours = sinkhorn_divergence(x, y, 0.5, tol=1e-12, num_iters=5000)
    ref = ot.bregman.empirical_sinkhorn_divergence(x, y, 0.5, a, b, stopThr=1e-12, numIterMax=5000)
    np.testing.assert_allclose(ours.divergence, float(ref), rtol=DIV_TOL, atol=DIV_TOL)
    # S_ε(α, α) = 0: cross and self terms are solved by different iterations, each to marginal error
    # 1e-13, so the two costs (entries of C up to ~20) agree to ~1e-12; 1e-10 is a stated margin
    same = sinkhorn_divergence(x, x, 0.5, num_iters=5000, tol=1e-13)
    assert same.divergence == pytest.approx(0.0, abs=1e-10)


def test_symmetric_iteration_matches_alternating_and_converges_fast():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(25, 2))
    a = rng.random(25) + 0.1
    a /= a.sum()
    cost = squared_euclidean_cost(x, x)
    sym = sinkhorn_symmetric(a, cost, 1.0, tol=1e-13)
    alt = sinkhorn_log(a, a, cost, 1.0, num_iters=5000, tol=1e-13)
    np.testing.assert_allclose(sym.plan, alt.plan, rtol=0, atol=1e-12)  # the same unique fixed point
    np.testing.assert_allclose(sym.plan, sym.plan.T, rtol=0, atol=0)  # symmetric by construction
    # at small ε the alternating iteration crawls; the averaged one does not. The cost is unscaled
    # (largest entry ~16.6), so ε = 0.05 is ~0.003 of it: the page says so and quotes these numbers.
    assert 16 < cost.max() < 17
    fast = sinkhorn_symmetric(a, cost, 0.05, num_iters=200, tol=MARGINAL_TOL)
    assert fast.converged and fast.num_iters == 20
    with pytest.warns(RuntimeWarning, match="raise num_iters"):
        slow = sinkhorn_log(a, a, cost, 0.05, num_iters=200, tol=MARGINAL_TOL)
    assert not slow.converged and 5e-5 < slow.marginal_error < 2e-4  # "still about 1e-4"
    with pytest.raises(ValueError, match="symmetric cost"):
        sinkhorn_symmetric(a, cost + np.triu(np.ones_like(cost)), 0.1)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.02, 1.0), st.integers(1, 12), st.integers(1, 12))
def test_marginals_reached(seed, eps, m, n):
    a, b, cost = _problem(seed, m, n)
    result = sinkhorn_log(a, b, cost, eps, num_iters=5000, tol=MARGINAL_TOL)
    assert result.converged and result.marginal_error <= MARGINAL_TOL
    np.testing.assert_allclose(result.plan.sum(axis=1), a, atol=MARGINAL_TOL)
    np.testing.assert_allclose(result.plan.sum(axis=0), b, atol=MARGINAL_TOL)
    # the plan is the Gibbs form of its potentials
    np.testing.assert_allclose(
        result.plan, np.exp((result.f[:, None] + result.g[None, :] - cost) / eps), rtol=1e-12, atol=0
    )


def test_non_convergence_warns_with_the_knob():
    a, b, cost = _problem(5)
    with pytest.warns(RuntimeWarning, match="raise num_iters"):
        result = sinkhorn_log(a, b, cost, 0.001, num_iters=3)
    assert not result.converged


@pytest.mark.parametrize("solver", [sinkhorn_knopp, sinkhorn_log])
@pytest.mark.parametrize(
    ("eps", "num_iters", "message"),
    [(0.0, 10, "eps must be"), (-1.0, 10, "eps must be"), (0.1, 0, "num_iters")],
)
def test_bad_input(solver, eps, num_iters, message):
    a, b, cost = _problem(6, 3, 3)
    with pytest.raises(ValueError, match=message):
        solver(a, b, cost, eps, num_iters=num_iters)


def test_demo_shows_the_kernel_breaking(capsys):
    from mlatlas.transport.sinkhorn import demo

    demo()
    last = capsys.readouterr().out.strip().splitlines()[-1]  # ε = 1e-3
    kernel, log = last.split("|")
    assert "nan" in kernel and "nan" not in log


def test_zero_mass_points_raise_no_warning_and_receive_nothing():
    """log 0 = -inf marks a point that sends or receives nothing. With warnings turned into errors
    the solvers still run, and the plan equals the plan of the problem without those points."""
    a, b, cost = _problem(5, m=12, n=10)
    a0, b0 = a.copy(), b.copy()
    a0[[2, 7]] = 0.0
    b0[4] = 0.0
    a0, b0 = a0 / a0.sum(), b0 / b0.sum()
    keep_a, keep_b = a0 > 0, b0 > 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        full = sinkhorn_log(a0, b0, cost, eps=0.05)
        reduced = sinkhorn_log(a0[keep_a], b0[keep_b], cost[np.ix_(keep_a, keep_b)], eps=0.05)
        sinkhorn_symmetric(
            a0, squared_euclidean_cost(*[np.random.default_rng(1).normal(size=(12, 2))] * 2), 0.1
        )
    assert np.all(full.plan[~keep_a] == 0) and np.all(full.plan[:, ~keep_b] == 0)
    np.testing.assert_allclose(full.plan[np.ix_(keep_a, keep_b)], reduced.plan, atol=1e-12)


def test_divergence_at_large_eps_is_the_squared_distance_of_the_means():
    """ε → ∞: S_ε → ½ MMD² with kernel −C, which for the squared Euclidean cost is |m_α − m_β|²
    (Feydy et al. 2019). The gap shrinks like 1/ε; at ε = 1e4 it is below 1e-3 relative."""
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(15, 2)), rng.normal(size=(11, 2)) + 1.0
    means = float(np.sum((x.mean(axis=0) - y.mean(axis=0)) ** 2))
    gaps = [
        sinkhorn_divergence(x, y, eps, tol=1e-12, num_iters=5000).divergence - means
        for eps in (10.0, 100.0, 1e4)
    ]
    assert gaps[0] > gaps[1] > gaps[2] > 0
    assert gaps[2] < 1e-3 * means
