"""Nonlinear dynamics: the logistic map, its bifurcations and Lyapunov exponent, and the Lorenz system.

Papers: R. M. May (1976), "Simple mathematical models with very complicated dynamics", Nature 261;
E. N. Lorenz (1963), "Deterministic Nonperiodic Flow", J. Atmos. Sci. 20(2); G. Benettin, L. Galgani,
J.-M. Strelcyn (1976), "Kolmogorov entropy and numerical experiments", Phys. Rev. A 14 (the
largest exponent by renormalised tangent vectors); G. Benettin, L. Galgani, A. Giorgilli,
J.-M. Strelcyn (1980), "Lyapunov characteristic exponents for smooth dynamical systems...", Meccanica 15
(all of them).

A one-line map x -> r x (1 - x) goes from a fixed point to cycles of period 2, 4, 8, ... to chaos as
r grows; the Lyapunov exponent (mean log stretch per step) is negative on the orderly side and
positive in chaos, crossing zero at the "edge of chaos". The Lorenz flow shows the same sensitivity
in continuous time; we integrate it with a fixed-step RK4 written here.

Shapes: ``R`` values of r, ``N`` iterates or time steps, state vectors are (3,).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# ---------------------------------------------------------------------------------------------
# The logistic map
# ---------------------------------------------------------------------------------------------


def _check_logistic(r: np.ndarray, x0: float) -> None:
    if np.any((r < 0) | (r > 4)):
        raise ValueError("r must lie in [0, 4]; outside it the map sends [0, 1] out of itself")
    if not 0.0 <= x0 <= 1.0:
        raise ValueError(f"x0 must lie in [0, 1]; got {x0}")


def logistic_map(x: np.ndarray, r: np.ndarray) -> np.ndarray:
    """One step of the logistic map, f_r(x) = r x (1 - x) (May 1976)."""
    return r * x * (1.0 - x)


def logistic_orbit(r: float, x0: float, n: int) -> np.ndarray:
    """The orbit x_0, x_1 = f_r(x_0), ..., x_n. Shape (n + 1,)."""
    _check_logistic(np.asarray(r), x0)
    xs = np.empty(n + 1)
    xs[0] = x0
    for t in range(n):
        xs[t + 1] = r * xs[t] * (1.0 - xs[t])
    return xs


def logistic_attractor(r, x0: float = 0.3, n_transient: int = 1000, n_keep: int = 200) -> np.ndarray:
    """For every r, the n_keep iterates after a transient: the bifurcation diagram's points. (R, n_keep)."""
    r = np.atleast_1d(np.asarray(r, dtype=np.float64))  # (R,)
    _check_logistic(r, x0)
    x = np.full_like(r, x0)
    for _ in range(n_transient):  # forget the start; all r values are iterated at once
        x = logistic_map(x, r)
    out = np.empty((r.size, n_keep))
    for t in range(n_keep):
        x = logistic_map(x, r)
        out[:, t] = x
    return out


def logistic_lyapunov(r, x0: float = 0.3, n_transient: int = 1000, n: int = 10_000) -> np.ndarray:
    """Lyapunov exponent lambda(r) = lim (1/n) sum_t ln |f_r'(x_t)|, f_r'(x) = r (1 - 2x). Shape (R,).

    A small error delta_t grows as |delta_{t+1}| ~ |f'(x_t)| |delta_t|, so lambda is its mean log
    growth rate per step: lambda < 0 means nearby orbits converge, lambda > 0 means chaos.
    """
    r = np.atleast_1d(np.asarray(r, dtype=np.float64))  # (R,)
    _check_logistic(r, x0)
    if n < 1:
        raise ValueError(f"n must be at least 1; got {n}")
    x = np.full_like(r, x0)
    for _ in range(n_transient):
        x = logistic_map(x, r)
    total = np.zeros_like(r)
    with np.errstate(divide="ignore"):  # x = 1/2 exactly gives ln 0 = -inf (a superstable orbit)
        for _ in range(n):
            total += np.log(np.abs(r * (1.0 - 2.0 * x)))  # ln |f'(x_t)|
            x = logistic_map(x, r)
    return total / n


def logistic_fixed_point(r: float) -> float:
    """The non-zero fixed point x* = 1 - 1/r (r > 1); its multiplier is f'(x*) = 2 - r."""
    if r <= 1:
        raise ValueError(f"for r <= 1 the only fixed point in [0, 1] is 0; got r = {r}")
    return 1.0 - 1.0 / r


def logistic_period_two(r: float) -> tuple[float, float]:
    """The 2-cycle born at r = 3: x = (r + 1 ± sqrt((r - 3)(r + 1))) / (2r); multiplier 4 + 2r - r^2."""
    if r <= 3:
        raise ValueError(f"the period-2 orbit exists only for r > 3; got r = {r}")
    root = np.sqrt((r - 3.0) * (r + 1.0))
    return (r + 1.0 - root) / (2.0 * r), (r + 1.0 + root) / (2.0 * r)


# ---------------------------------------------------------------------------------------------
# The Lorenz system and a fixed-step integrator
# ---------------------------------------------------------------------------------------------

SIGMA, RHO, BETA = 10.0, 28.0, 8.0 / 3.0  # Lorenz's 1963 values


@dataclass(frozen=True)
class Trajectory:
    t: np.ndarray  # (N + 1,)
    y: np.ndarray  # (N + 1, 3)


def lorenz_rhs(y: np.ndarray, sigma: float = SIGMA, rho: float = RHO, beta: float = BETA) -> np.ndarray:
    """dx/dt = sigma (y - x), dy/dt = x (rho - z) - y, dz/dt = x y - beta z  (Lorenz 1963, eqs. 25–27)."""
    x, yy, z = y[..., 0], y[..., 1], y[..., 2]
    return np.stack([sigma * (yy - x), x * (rho - z) - yy, x * yy - beta * z], axis=-1)


def lorenz_jacobian(y: np.ndarray, sigma: float = SIGMA, rho: float = RHO, beta: float = BETA) -> np.ndarray:
    """The matrix of partial derivatives of lorenz_rhs at the state y (3,). Shape (3, 3)."""
    x, yy, z = y
    return np.array([[-sigma, sigma, 0.0], [rho - z, -1.0, -x], [yy, x, -beta]])


def lorenz_fixed_points(rho: float = RHO, beta: float = BETA) -> np.ndarray:
    """The origin and, for rho > 1, C± = (±sqrt(beta (rho - 1)), ±sqrt(beta (rho - 1)), rho - 1). (P, 3)."""
    if rho <= 1:
        return np.zeros((1, 3))
    c = np.sqrt(beta * (rho - 1.0))
    return np.array([[0.0, 0.0, 0.0], [c, c, rho - 1.0], [-c, -c, rho - 1.0]])


def lorenz_hopf_rho(sigma: float = SIGMA, beta: float = BETA) -> float:
    """rho_H = sigma (sigma + beta + 3) / (sigma - beta - 1): above it C± lose stability (≈ 24.74)."""
    return sigma * (sigma + beta + 3.0) / (sigma - beta - 1.0)


def rk4_step(f: Callable[[np.ndarray], np.ndarray], y: np.ndarray, dt: float) -> np.ndarray:
    """Classical Runge–Kutta: y_{n+1} = y_n + dt/6 (k1 + 2 k2 + 2 k3 + k4); local error O(dt^5)."""
    k1 = f(y)
    k2 = f(y + 0.5 * dt * k1)
    k3 = f(y + 0.5 * dt * k2)
    k4 = f(y + dt * k3)
    return y + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def integrate_rk4(f: Callable[[np.ndarray], np.ndarray], y0, dt: float, n_steps: int) -> Trajectory:
    """n_steps of RK4 with step dt from y0 (an autonomous system y' = f(y)). Global error O(dt^4)."""
    if dt <= 0 or n_steps < 1:
        raise ValueError(f"need dt > 0 and n_steps >= 1; got dt={dt}, n_steps={n_steps}")
    y = np.asarray(y0, dtype=np.float64)
    ys = np.empty((n_steps + 1, *y.shape))
    ys[0] = y
    for n in range(n_steps):
        y = rk4_step(f, y, dt)
        ys[n + 1] = y
    return Trajectory(t=dt * np.arange(n_steps + 1), y=ys)


def lorenz_trajectory(y0=(1.0, 1.0, 1.0), dt: float = 0.01, n_steps: int = 5000) -> Trajectory:
    """The Lorenz system from y0 by RK4 (classical parameters)."""
    return integrate_rk4(lorenz_rhs, y0, dt, n_steps)


def lorenz_max_lyapunov(
    y0=(1.0, 1.0, 1.0), dt: float = 0.01, t_transient: float = 10.0, t_total: float = 200.0
) -> float:
    """The largest Lyapunov exponent by Benettin's method (≈ 0.906 for the classical parameters).

    Carry a tangent vector v with the trajectory, v' = J(y) v (the linearised flow), integrate both by
    RK4, and renormalise v every step: lambda_1 = (1 / t) sum_steps ln |v| (Benettin et al. 1976, 1980).
    """
    if t_total <= 0 or t_transient < 0:
        raise ValueError("t_total must be positive and t_transient non-negative")
    y = integrate_rk4(lorenz_rhs, y0, dt, max(int(round(t_transient / dt)), 1)).y[-1]

    def f(state: np.ndarray) -> np.ndarray:  # state = (y, v), shape (6,)
        return np.concatenate([lorenz_rhs(state[:3]), lorenz_jacobian(state[:3]) @ state[3:]])

    state = np.concatenate([y, np.array([1.0, 0.0, 0.0])])
    n_steps = int(round(t_total / dt))
    log_growth = 0.0
    for _ in range(n_steps):
        state = rk4_step(f, state, dt)
        norm = np.linalg.norm(state[3:])
        log_growth += np.log(norm)  # ln |v| accumulated over this step
        state[3:] /= norm
    return log_growth / (n_steps * dt)
