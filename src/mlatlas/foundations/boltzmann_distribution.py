"""The Boltzmann (Gibbs) distribution: energies and a temperature in, probabilities and samples out.

Paper: Boltzmann (1877) and Gibbs (1902), "Elementary Principles in Statistical Mechanics" (no arXiv);
the sampler at the end follows Metropolis, Rosenbluth, Rosenbluth, Teller & Teller (1953),
"Equation of State Calculations by Fast Computing Machines", doi:10.1063/1.1699114.
A state of energy E_i has probability exp(-E_i / kT) / Z: low energy is likely, temperature sets how
strongly. It is the softmax of -E / kT, and it is the distribution that minimises the free energy.

Units: energies and k_B * T in the same unit; k_B defaults to 1 (temperature measured in energy).
All functions are float64 NumPy; samplers take an explicit numpy Generator.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Thermodynamics(NamedTuple):
    """Everything the distribution implies at one temperature (k_B = 1 unless given).

    probs (N,): p_i;  log_partition: log Z;  mean_energy: <E>;  entropy: S = -k sum p log p;
    free_energy: F = -kT log Z = <E> - T S;  heat_capacity: C = Var(E) / (k T^2) = d<E>/dT.
    """

    probs: np.ndarray
    log_partition: float
    mean_energy: float
    entropy: float
    free_energy: float
    heat_capacity: float


class MetropolisChain(NamedTuple):
    """States visited by a Metropolis chain (one per step) and the fraction of proposals accepted."""

    states: np.ndarray
    acceptance_rate: float


def _check(energies: np.ndarray, temperature: float) -> np.ndarray:
    E = np.asarray(energies, dtype=np.float64)
    if E.ndim != 1 or E.size == 0:
        raise ValueError(f"energies must be a non-empty 1-D array, one energy per state; got shape {E.shape}")
    if not np.all(np.isfinite(E)):
        raise ValueError("energies must be finite; drop a forbidden state instead of giving it energy inf")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}; T -> 0 keeps only the ground state")
    return E


def log_partition(energies: np.ndarray, temperature: float, k_B: float = 1.0) -> float:
    """log Z = log sum_i exp(-E_i / kT), with the max-shift of log-sum-exp (never overflows)."""
    E = _check(energies, temperature)
    s = -E / (k_B * temperature)  # -beta E_i
    m = s.max()
    return float(m + np.log(np.sum(np.exp(s - m))))


def boltzmann_probs(energies: np.ndarray, temperature: float, k_B: float = 1.0) -> np.ndarray:
    """p_i = exp(-E_i / kT) / Z, i.e. softmax(-E / kT). energies (N,) -> probs (N,)."""
    E = _check(energies, temperature)
    s = -E / (k_B * temperature)  # -beta E_i
    w = np.exp(s - s.max())  # Boltzmann factors relative to the ground state: the largest is 1
    return w / w.sum()  # divide by Z (in the same relative units)


def thermodynamics(energies: np.ndarray, temperature: float, k_B: float = 1.0) -> Thermodynamics:
    """Z, <E>, S, F and C of the Gibbs distribution over ``energies`` (N,) at ``temperature``."""
    E = _check(energies, temperature)
    T = temperature
    p = boltzmann_probs(E, T, k_B)
    log_z = log_partition(E, T, k_B)
    mean_E = float(np.sum(p * E))  # <E> = sum_i p_i E_i
    var_E = float(np.sum(p * (E - mean_E) ** 2))  # Var(E)
    logp = np.log(p, out=np.zeros_like(p), where=p > 0)  # 0 log 0 = 0
    S = float(-k_B * np.sum(p * logp))  # S = -k sum_i p_i log p_i
    F = -k_B * T * log_z  # F = -kT log Z
    C = var_E / (k_B * T**2)  # fluctuation-dissipation: C = Var(E) / kT^2
    return Thermodynamics(p, log_z, mean_E, S, F, C)


def free_energy_of(q: np.ndarray, energies: np.ndarray, temperature: float, k_B: float = 1.0) -> float:
    """Variational free energy of any distribution q: F[q] = <E>_q - T S[q] >= F, with equality iff q = p."""
    E = _check(energies, temperature)
    q = np.asarray(q, dtype=np.float64)
    if q.shape != E.shape or np.any(q < 0) or not np.isclose(q.sum(), 1.0, rtol=0, atol=1e-9):
        raise ValueError(f"q must be a probability vector with one entry per state (shape {E.shape})")
    logq = np.log(q, out=np.zeros_like(q), where=q > 0)
    return float(np.sum(q * E) + k_B * temperature * np.sum(q * logq))  # <E>_q - T S[q]


def sample(
    energies: np.ndarray, temperature: float, n: int, rng: np.random.Generator, k_B: float = 1.0
) -> np.ndarray:
    """n independent state indices (n,) drawn from the Boltzmann distribution by inverting its CDF.

    u ~ U[0, 1);  state = the first i with u < p_1 + ... + p_i.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    p = boltzmann_probs(energies, temperature, k_B)
    cdf = np.cumsum(p)  # (N,)
    cdf[-1] = 1.0  # guard against rounding leaving the last cumulative sum at 0.9999999999999999
    u = rng.random(n)  # (n,)
    return np.searchsorted(cdf, u, side="right")  # first i with u < cdf_i


def metropolis(
    energies: np.ndarray,
    temperature: float,
    steps: int,
    rng: np.random.Generator,
    *,
    start: int = 0,
    k_B: float = 1.0,
) -> MetropolisChain:
    """A Metropolis chain on the states: propose j uniformly among the other states, accept with
    probability min(1, exp(-(E_j - E_i) / kT)). Needs only energy *differences*, never Z.
    """
    E = _check(energies, temperature)
    N = E.size
    if N < 2:
        raise ValueError("metropolis needs at least two states to move between")
    if not 0 <= start < N:
        raise ValueError(f"start must be a state index in [0, {N - 1}], got {start}")
    proposals = rng.integers(0, N - 1, size=steps)  # index among the N - 1 other states
    log_u = np.log(rng.random(steps))
    states = np.empty(steps, dtype=np.int64)
    i, accepted = start, 0
    for t in range(steps):
        j = proposals[t] + (proposals[t] >= i)  # skip the current state: uniform over the others
        if log_u[t] < -(E[j] - E[i]) / (k_B * temperature):  # accept with min(1, e^{-dE / kT})
            i, accepted = j, accepted + 1
        states[t] = i
    return MetropolisChain(states, accepted / max(steps, 1))


def two_level_system(gap: float, temperature: float) -> Thermodynamics:
    """Closed forms for two states of energies 0 and ``gap`` (k_B = 1), the textbook check.

    p_1 = 1 / (1 + e^{gap/T});  <E> = gap p_1;  C = (gap/T)^2 e^{gap/T} / (1 + e^{gap/T})^2 (Schottky).
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    x = gap / temperature
    p1 = 1.0 / (1.0 + np.exp(x))
    p = np.array([1.0 - p1, p1])
    log_z = float(np.log1p(np.exp(-x)))  # Z = 1 + e^{-gap/T}
    mean_E = gap * p1
    S = float(log_z + mean_E / temperature)  # S = log Z + <E>/T
    C = float(x**2 * np.exp(x) / (1.0 + np.exp(x)) ** 2)
    return Thermodynamics(p, log_z, float(mean_E), S, -temperature * log_z, C)


def demo(seed: int = 0) -> Thermodynamics:
    """Six energy levels at kT = 1: exact probabilities against 20 000 independent samples and a
    20 000-step Metropolis chain; then the thermodynamic quantities."""
    energies = np.array([0.0, 0.3, 0.7, 1.0, 1.6, 2.5])
    T, n = 1.0, 20_000
    rng = np.random.default_rng(seed)
    th = thermodynamics(energies, T)
    direct = np.bincount(sample(energies, T, n, rng), minlength=energies.size) / n
    chain = metropolis(energies, T, n, rng)
    walked = np.bincount(chain.states, minlength=energies.size) / n
    print(f"kT = {T:g}; {n} independent samples; Metropolis chain of {n} steps "
          f"(acceptance {chain.acceptance_rate:.2f})")
    print(f"  {'E':>5}{'exact p':>10}{'sampled':>10}{'Metropolis':>12}")
    for e, p, f, m in zip(energies, th.probs, direct, walked):
        print(f"  {e:>5.2f}{p:>10.4f}{f:>10.4f}{m:>12.4f}")
    print(f"  log Z = {th.log_partition:.4f}, <E> = {th.mean_energy:.4f}, S = {th.entropy:.4f}, "
          f"F = {th.free_energy:.4f}, C = {th.heat_capacity:.4f}")
    return th
