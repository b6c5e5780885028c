"""Logistic map and Lorenz system against known exponents, fixed points and scipy's solve_ivp."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from mlatlas.stochastic.nonlinear_dynamics import (
    integrate_rk4,
    logistic_attractor,
    logistic_fixed_point,
    logistic_lyapunov,
    logistic_orbit,
    logistic_period_two,
    lorenz_fixed_points,
    lorenz_hopf_rho,
    lorenz_jacobian,
    lorenz_max_lyapunov,
    lorenz_rhs,
)
from mlatlas.verification import verifies

LYAP_TOL = 1e-3  # wide: at r = 4 the sum telescopes, so the gap is a boundary term / n (measured 1.7e-6)
EXACT_TOL = 1e-10
RK4_TOL = 2e-7  # RK4 at dt = 1e-3 to t = 2: global error O(dt^4) on states of size ~50 (measured 7e-8)
LORENZ_LAMBDA = 0.9056  # largest Lyapunov exponent of the classical Lorenz system (Sprott 2003)
LORENZ_MARGIN = 0.05  # a 50-time-unit average fluctuates by a few hundredths around the limit


@verifies("nonlinear-dynamics", against="lambda = ln 2 at r = 4", tol=LYAP_TOL, note="1e5 iterates")
def test_lyapunov_at_r4_is_ln2():
    # At r = 4 the map is conjugate to the doubling map x = sin^2(pi theta), theta -> 2 theta: ln 2.
    lam = logistic_lyapunov(4.0, x0=0.3, n=100_000)[0]
    assert abs(lam - np.log(2)) < LYAP_TOL
    # with y = 1 - 2x, ln|f'(x_t)| = ln 2 + (1/2) ln[(1 - y_{t+1}^2) / (1 - y_t^2)]: the sum telescopes,
    # so the gap is O(1/n), far below the 1/sqrt(n) ≈ 3e-3 of an average of independent samples
    assert abs(lam - np.log(2)) < 1e-4


@verifies(
    "nonlinear-dynamics",
    against="analytic fixed points and 2-cycles",
    tol=EXACT_TOL,
    note="lambda = ln|2 - r| and (1/2) ln|4 + 2r - r^2|",
)
@settings(max_examples=25, deadline=None)
@given(st.floats(1.2, 2.9), st.floats(3.05, 3.42))
def test_orderly_side_matches_analytic_exponents(r1, r2):
    # keep away from the superstable points (multiplier 0, lambda = -inf): r = 2 and r = 1 + sqrt 5
    assume(abs(r1 - 2.0) > 0.05 and abs(r2 - (1 + np.sqrt(5))) > 0.03)
    # fixed point x* = 1 - 1/r attracts for 1 < r < 3; its exponent is ln |f'(x*)| = ln |2 - r|
    orbit = logistic_orbit(r1, 0.3, 4000)
    np.testing.assert_allclose(orbit[-1], logistic_fixed_point(r1), rtol=0, atol=EXACT_TOL)
    np.testing.assert_allclose(logistic_lyapunov(r1, n=200)[0], np.log(abs(2 - r1)), atol=EXACT_TOL)
    # past r = 3 a 2-cycle attracts (until 1 + sqrt 6 ≈ 3.449); exponent is half its log multiplier
    lo, hi = logistic_period_two(r2)
    tail = logistic_attractor(r2, n_transient=3000, n_keep=2)[0]
    np.testing.assert_allclose(np.sort(tail), [lo, hi], rtol=0, atol=EXACT_TOL)
    lam = logistic_lyapunov(r2, n_transient=3000, n=200)[0]
    np.testing.assert_allclose(lam, 0.5 * np.log(abs(4 + 2 * r2 - r2**2)), atol=EXACT_TOL)


def test_edge_of_chaos_sign_change():
    # below the accumulation point r_inf ≈ 3.5699 exponents are negative; chaos at r = 3.7 is positive
    lam = logistic_lyapunov(np.array([3.5, 3.56, 3.7, 3.9]), n=20_000)
    assert lam[0] < 0 and lam[1] < 0
    assert lam[2] > 0.2 and lam[3] > 0.4
    # a periodic window inside chaos: the stable 3-cycle at r = 1 + sqrt 8 ≈ 3.8284 has lambda < 0
    assert logistic_lyapunov(3.835, n=20_000)[0] < 0


@verifies(
    "nonlinear-dynamics",
    against="scipy.integrate.solve_ivp",
    tol=RK4_TOL,
    note="Lorenz to t = 2, RK4 dt = 1e-3 vs DOP853 at rtol 1e-13",
)
def test_rk4_lorenz_matches_solve_ivp():
    y0 = np.array([1.0, 1.0, 1.0])
    t_end = 2.0
    errs = []
    for dt in (2e-3, 1e-3):
        ours = integrate_rk4(lorenz_rhs, y0, dt, int(round(t_end / dt)))
        every = int(round(0.01 / dt))  # compare on a grid of 0.01 time units
        ref = solve_ivp(
            lambda t, y: lorenz_rhs(y),
            (0, t_end),
            y0,
            method="DOP853",
            rtol=1e-13,
            atol=1e-13,
            t_eval=ours.t[::every],
        )
        errs.append(np.abs(ours.y[::every] - ref.y.T).max())
    np.testing.assert_allclose(ours.y[::every], ref.y.T, rtol=0, atol=RK4_TOL)  # the dt = 1e-3 run
    assert 12 < errs[0] / errs[1] < 20  # fourth order: halving dt divides the error by ~2^4 = 16


def test_lorenz_fixed_points_and_stability():
    for p in lorenz_fixed_points():
        np.testing.assert_allclose(lorenz_rhs(p), 0.0, atol=EXACT_TOL)
    c_plus = lorenz_fixed_points()[1]
    # at rho = 28 > rho_H ≈ 24.74 the pair C± is unstable: a complex pair with positive real part
    eig = np.linalg.eigvals(lorenz_jacobian(c_plus))
    assert np.max(eig.real) > 0 and np.any(np.abs(eig.imag) > 1)
    # exactly at rho_H the complex pair sits on the imaginary axis (Hopf bifurcation)
    rho_h = lorenz_hopf_rho()
    np.testing.assert_allclose(rho_h, 470 / 19, rtol=1e-14)
    eig_h = np.linalg.eigvals(lorenz_jacobian(lorenz_fixed_points(rho=rho_h)[1], rho=rho_h))
    complex_pair = eig_h[np.abs(eig_h.imag) > 1e-6]
    np.testing.assert_allclose(complex_pair.real, 0.0, atol=1e-10)
    # the flow contracts volume at the constant rate trace J = -(sigma + 1 + beta)
    np.testing.assert_allclose(np.trace(lorenz_jacobian(np.array([3.0, -2.0, 7.0]))), -(10 + 1 + 8 / 3))


@verifies(
    "nonlinear-dynamics",
    against="known Lorenz exponent 0.9056",
    tol=LORENZ_MARGIN,
    note="Benettin tangent method, t = 50",
)
def test_lorenz_largest_lyapunov_exponent():
    assert abs(lorenz_max_lyapunov(t_total=50.0) - LORENZ_LAMBDA) < LORENZ_MARGIN


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match=r"r must lie in \[0, 4\]"):
        logistic_lyapunov(4.5)
    with pytest.raises(ValueError, match="x0 must lie"):
        logistic_orbit(3.0, 1.5, 10)
    with pytest.raises(ValueError, match="period-2"):
        logistic_period_two(2.5)
    with pytest.raises(ValueError, match="only fixed point"):
        logistic_fixed_point(0.5)
    with pytest.raises(ValueError, match="dt > 0"):
        integrate_rk4(lorenz_rhs, np.ones(3), 0.0, 10)
