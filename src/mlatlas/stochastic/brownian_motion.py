"""Brownian motion: the random-walk limit, quadratic variation, Itô's lemma, GBM and Euler–Maruyama.

Papers: Wiener, 1923, "Differential space"; Itô, 1944, "Stochastic integral"; Maruyama, 1955,
"Continuous Markov processes and stochastic equations"; Higham, 2001, "An algorithmic introduction
to numerical simulation of stochastic differential equations", SIAM Review 43(3).
A Brownian path is the limit of a random walk with steps ±sqrt(dt); its increments are independent
N(0, dt), its squared increments add up to t, and that fact is the whole of Itô's correction term.

Reproducibility contract (handed the lab's generator ``mlatlas.labs.rng.LabRandom``, which is also
written in JavaScript, these simulators replay the browser lab's paths): every simulator draws randomness
with exactly ONE call ``rng.standard_normal((num_paths, num_steps))`` on the generator it is given
(a numpy Generator, or any object with that method). The draws fill the array row by row, so draw
number p * num_steps + k is the standard normal z[p, k] of path p at step k.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class NormalSource(Protocol):
    """Anything with numpy's ``standard_normal(size)``: a numpy Generator or the lab's ``LabRandom``."""

    def standard_normal(self, size: tuple[int, int]) -> np.ndarray: ...


@dataclass(frozen=True)
class Paths:
    """t: (S+1,) time grid; x: (P, S+1) the simulated process; w: (P, S+1) the driving standard
    Brownian motion (W_0 = 0) on the same grid, kept so exact solutions can reuse the same noise."""

    t: np.ndarray
    x: np.ndarray
    w: np.ndarray


def _grid(num_paths: int, num_steps: int, t_max: float) -> np.ndarray:
    if num_paths < 1 or num_steps < 1:
        raise ValueError(f"num_paths and num_steps must be ≥ 1, got {num_paths} and {num_steps}")
    if not (np.isfinite(t_max) and t_max > 0):
        raise ValueError(f"t_max must be a positive time horizon, got {t_max}")
    return np.linspace(0.0, t_max, num_steps + 1)  # (S+1,)


def _draw(rng: NormalSource, num_paths: int, num_steps: int) -> np.ndarray:
    """The one and only random draw: z (P, S), standard normals, row-major (path by path)."""
    z = np.asarray(rng.standard_normal((num_paths, num_steps)), dtype=np.float64)
    return z.reshape(num_paths, num_steps)  # a port may return a flat array: read it row-major


def _cumulative(increments: np.ndarray) -> np.ndarray:
    """(P, S) increments -> (P, S+1) path starting at 0."""
    return np.concatenate([np.zeros((increments.shape[0], 1)), np.cumsum(increments, axis=1)], axis=1)


def brownian_motion(
    rng: NormalSource,
    num_paths: int,
    num_steps: int,
    t_max: float = 1.0,
    drift: float = 0.0,
    sigma: float = 1.0,
    x0: float = 0.0,
) -> Paths:
    """X_t = x0 + μ t + σ W_t, exactly on the grid (no discretisation error).

    W_{t+dt} - W_t = sqrt(dt) z, z ~ N(0, 1) independent     (definition of Brownian motion)
    X_{t+dt} - X_t = μ dt + σ (W_{t+dt} - W_t)
    Returns Paths with x: (P, S+1).
    """
    t = _grid(num_paths, num_steps, t_max)
    if sigma < 0:
        raise ValueError(f"sigma is a volatility and must be ≥ 0, got {sigma}")
    dt = t_max / num_steps
    dw = np.sqrt(dt) * _draw(rng, num_paths, num_steps)  # (P, S) increments of W
    w = _cumulative(dw)  # (P, S+1)
    x = x0 + drift * t[None, :] + sigma * w  # (P, S+1)
    return Paths(t, x, w)


def geometric_brownian_motion(
    rng: NormalSource,
    num_paths: int,
    num_steps: int,
    t_max: float = 1.0,
    mu: float = 0.05,
    sigma: float = 0.2,
    s0: float = 1.0,
) -> Paths:
    """The exact solution of dS = μ S dt + σ S dW (Itô):

    S_t = S_0 exp((μ - σ²/2) t + σ W_t)                   (Itô's lemma applied to log S)
    The -σ²/2 is the Itô correction: the ordinary chain rule would omit it and overstate growth.
    E[S_t] = S_0 e^{μ t}, and log S_t ~ N(log S_0 + (μ - σ²/2) t, σ² t).
    """
    if s0 <= 0:
        raise ValueError(f"s0 must be positive (GBM never changes sign), got {s0}")
    base = brownian_motion(rng, num_paths, num_steps, t_max, drift=0.0, sigma=1.0)
    t, w = base.t, base.w
    x = s0 * np.exp((mu - 0.5 * sigma**2) * t[None, :] + sigma * w)  # (P, S+1)
    return Paths(t, x, w)


def euler_maruyama(
    drift: Callable[[np.ndarray, float], np.ndarray],
    diffusion: Callable[[np.ndarray, float], np.ndarray],
    x0: float,
    rng: NormalSource,
    num_paths: int,
    num_steps: int,
    t_max: float = 1.0,
) -> Paths:
    """Simulate dX = a(X, t) dt + b(X, t) dW with the Euler–Maruyama scheme (Maruyama 1955):

    X_{k+1} = X_k + a(X_k, t_k) dt + b(X_k, t_k) ΔW_k,   ΔW_k = sqrt(dt) z_k
    The coefficients are evaluated at the *left* end of each step, like the Itô integral.
    ``drift`` and ``diffusion`` take (x: (P,), t: float) and return (P,) arrays.
    Strong order 1/2 in general (1 when b is constant). Same draws as ``brownian_motion``.
    """
    t = _grid(num_paths, num_steps, t_max)
    dt = t_max / num_steps
    dw = np.sqrt(dt) * _draw(rng, num_paths, num_steps)  # (P, S)
    x = np.empty((num_paths, num_steps + 1))
    x[:, 0] = x0
    for k in range(num_steps):
        x_k = x[:, k]
        x[:, k + 1] = x_k + drift(x_k, t[k]) * dt + diffusion(x_k, t[k]) * dw[:, k]  # one EM step
    return Paths(t, x, _cumulative(dw))


def scaled_random_walk(rng: NormalSource, num_paths: int, num_steps: int, t_max: float = 1.0) -> Paths:
    """A simple random walk with steps ±sqrt(dt), each sign a fair coin (Donsker's theorem: → W).

    The coin is the sign of a standard normal, so this uses the same single draw as the others;
    P(z = 0) = 0, and z = 0 exactly is read as +1. Returns x: (P, S+1), and w = x.
    """
    t = _grid(num_paths, num_steps, t_max)
    steps = np.where(_draw(rng, num_paths, num_steps) >= 0, 1.0, -1.0)  # (P, S) fair ±1 coins
    x = _cumulative(np.sqrt(t_max / num_steps) * steps)  # S_k sqrt(dt)
    return Paths(t, x, x)


def quadratic_variation(x: np.ndarray) -> np.ndarray:
    """[X]_t = Σ_{t_k < t} (X_{k+1} - X_k)², along the last axis; (..., S+1) -> (..., S+1), [X]_0 = 0.

    For Brownian motion [W]_t → t as the grid is refined (E = t exactly, Var = 2 t² / S per path);
    for any smooth path it → 0. This is the "(dW)² = dt" rule.
    """
    x = np.asarray(x, dtype=np.float64)
    squared = np.diff(x, axis=-1) ** 2  # (..., S)
    return np.concatenate([np.zeros(x.shape[:-1] + (1,)), np.cumsum(squared, axis=-1)], axis=-1)


def ito_integral(h: np.ndarray, w: np.ndarray) -> np.ndarray:
    """∫_0^t h dW ≈ Σ_{t_k < t} h(t_k) (W_{k+1} - W_k), the left-point (non-anticipating) sum.

    h, w: (..., S+1) on the same grid -> (..., S+1) starting at 0. Evaluating h at the left end is
    what makes it Itô: with h = W it gives ∫ W dW = (W_t² - t)/2, not the calculus answer W_t²/2.
    """
    h = np.asarray(h, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if h.shape != w.shape:
        raise ValueError(f"h has shape {h.shape} but w has {w.shape}; sample both on the same grid")
    terms = h[..., :-1] * np.diff(w, axis=-1)  # h(t_k) ΔW_k, (..., S)
    return np.concatenate([np.zeros(w.shape[:-1] + (1,)), np.cumsum(terms, axis=-1)], axis=-1)


def demo() -> None:
    """Print the chapter's checks for one seed (``mlatlas run brownian-motion``)."""
    rng = np.random.default_rng(0)
    mu, sigma, T = 0.5, 1.5, 2.0
    paths = brownian_motion(rng, 20_000, 100, t_max=T, drift=mu, sigma=sigma)
    end = paths.x[:, -1]
    print(f"1. X_T = μT + σW_T with μ={mu}, σ={sigma}, T={T}, 20 000 paths")
    se = sigma * np.sqrt(T / end.size)
    print(f"   mean {end.mean():8.4f}   exact {mu * T:8.4f}   (standard error {se:.4f})")
    print(f"   var  {end.var():8.4f}   exact {sigma**2 * T:8.4f}")
    print("2. Quadratic variation [W]_1 of one path: → 1 as the grid is refined")
    fine = brownian_motion(np.random.default_rng(1), 1, 2**16).w[0]
    for steps in (16, 256, 4096, 2**16):
        print(f"   S = {steps:6d}   [W]_1 = {quadratic_variation(fine[:: 2**16 // steps])[-1]:.4f}")
    print("3. GBM by Euler–Maruyama vs the exact solution on the same noise (μ=0.5, σ=0.8, T=1)")
    print("   steps   mean |S_EM - S_exact|   mean |S_EM - S_no-Itô|")
    for steps in (16, 64, 256, 1024):
        rng = np.random.default_rng(2)
        em = euler_maruyama(lambda x, t: 0.5 * x, lambda x, t: 0.8 * x, 1.0, rng, 2000, steps)
        exact = np.exp((0.5 - 0.8**2 / 2) + 0.8 * em.w[:, -1])
        naive = np.exp(0.5 + 0.8 * em.w[:, -1])
        print(f"   {steps:5d}   {np.mean(np.abs(em.x[:, -1] - exact)):20.4f}   "
              f"{np.mean(np.abs(em.x[:, -1] - naive)):22.4f}")
