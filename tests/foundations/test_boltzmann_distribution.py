"""The Boltzmann distribution against closed forms, thermodynamic identities and seeded sample counts."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from scipy import stats

from mlatlas.foundations import boltzmann_distribution as bz
from mlatlas.verification import verifies

TOL = 1e-12  # float64 closed forms
FD_TOL = 1e-7  # central differences, h = 1e-5: O(h^2) truncation
SIGMAS = 4.0  # sample-frequency margin: |f_i - p_i| <= 4 standard errors sqrt(p_i (1 - p_i) / n)
ALPHA = 1e-3  # chi-square goodness of fit: fail only if p-value < 0.001 (seeded, so deterministic)
SAMPLE_TOL = "4 standard errors per state; chi-square p > 0.001"

LEVELS = np.array([0.0, 0.3, 0.7, 1.0, 1.6, 2.5])


@pytest.mark.parametrize("gap, T", [(1.0, 0.2), (1.0, 1.0), (2.0, 5.0), (0.5, 0.05), (-1.0, 0.7)])
@verifies("boltzmann-distribution", against="analytic probabilities", tol=TOL,
          note="float64; two-level system: $p$, $\\langle E \\rangle$, $S$, $F$, Schottky heat capacity")
def test_two_level_system_closed_forms(gap, T):
    ours = bz.thermodynamics(np.array([0.0, gap]), T)
    exact = bz.two_level_system(gap, T)
    np.testing.assert_allclose(ours.probs, exact.probs, rtol=TOL, atol=TOL)
    for field in ("log_partition", "mean_energy", "entropy", "free_energy", "heat_capacity"):
        np.testing.assert_allclose(getattr(ours, field), getattr(exact, field), rtol=1e-10, atol=TOL)
    np.testing.assert_allclose(ours.probs[1], 1 / (1 + np.exp(gap / T)), rtol=TOL, atol=TOL)


@verifies("boltzmann-distribution", against="analytic probabilities", tol=TOL,
          note="float64; harmonic ladder $E_n = n$: $p_n = (1 - e^{-1/T}) e^{-n/T}$, "
          "$\\langle E \\rangle = 1 / (e^{1/T} - 1)$")
def test_harmonic_ladder_matches_geometric_distribution():
    T = 0.8
    n = np.arange(200)  # e^{-200 / 0.8} is far below float64 resolution: truncation is exact
    th = bz.thermodynamics(n.astype(float), T)
    np.testing.assert_allclose(th.probs, (1 - np.exp(-1 / T)) * np.exp(-n / T), rtol=1e-10, atol=TOL)
    np.testing.assert_allclose(th.mean_energy, 1 / np.expm1(1 / T), rtol=1e-10)
    np.testing.assert_allclose(th.log_partition, -np.log1p(-np.exp(-1 / T)), rtol=1e-10)


def test_is_the_softmax_of_minus_energy_over_t():
    T = 0.37
    torch.testing.assert_close(torch.from_numpy(bz.boltzmann_probs(LEVELS, T)),
                               torch.softmax(torch.from_numpy(-LEVELS / T), dim=0), rtol=TOL, atol=TOL)


def test_thermodynamic_identities_by_finite_differences():
    T, h = 0.9, 1e-5
    th = bz.thermodynamics(LEVELS, T)
    np.testing.assert_allclose(th.free_energy, th.mean_energy - T * th.entropy, rtol=TOL)  # F = <E> - TS
    # d log Z / d beta = -<E>
    beta = 1 / T
    dlogz = (bz.log_partition(LEVELS, 1 / (beta + h)) - bz.log_partition(LEVELS, 1 / (beta - h))) / (2 * h)
    np.testing.assert_allclose(dlogz, -th.mean_energy, rtol=FD_TOL)
    # C = d<E>/dT = Var(E) / T^2
    hot, cold = bz.thermodynamics(LEVELS, T + h), bz.thermodynamics(LEVELS, T - h)
    dE = (hot.mean_energy - cold.mean_energy) / (2 * h)
    np.testing.assert_allclose(dE, th.heat_capacity, rtol=FD_TOL)
    # S = -dF/dT
    dF = (hot.free_energy - cold.free_energy) / (2 * h)
    np.testing.assert_allclose(-dF, th.entropy, rtol=FD_TOL)


def test_numbers_quoted_on_the_page():
    # boltzmann-distribution.md: ground state holds 72 % / 35 % / 21 % at kT = 0.25 / 1 / 4 (uniform 17 %),
    # and the two-level heat capacity peaks near kT = 0.42 gap
    ground = [bz.boltzmann_probs(LEVELS, T)[0] for T in (0.25, 1.0, 4.0)]
    np.testing.assert_array_equal(np.round(100 * np.array(ground)), [72, 35, 21])
    assert round(100 / len(LEVELS)) == 17
    Ts = np.linspace(0.3, 0.6, 3001)
    t_peak = Ts[np.argmax([bz.two_level_system(1.0, T).heat_capacity for T in Ts])]
    assert round(t_peak, 2) == 0.42  # the Schottky peak: kT = 0.4168 gap


def test_temperature_limits_and_no_overflow():
    p_cold = bz.boltzmann_probs(LEVELS, 1e-4)
    np.testing.assert_allclose(p_cold, np.eye(len(LEVELS))[0], rtol=0, atol=1e-300)
    np.testing.assert_allclose(bz.boltzmann_probs(LEVELS, 1e7), 1 / len(LEVELS), rtol=1e-6)
    p = bz.boltzmann_probs(np.array([-5000.0, -4999.0]), 1.0)  # e^{5000} would overflow
    np.testing.assert_allclose(p, [1 / (1 + np.exp(-1)), 1 / (1 + np.exp(1))], rtol=TOL)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=2, max_size=6), st.floats(0.1, 5.0), st.integers(0, 2**31))
def test_gibbs_variational_principle(energies, T, seed):
    # F[q] = <E>_q - T S[q] is minimised exactly by the Boltzmann distribution: F[q] - F = T KL(q || p)
    E = np.array(energies)
    th = bz.thermodynamics(E, T)
    np.testing.assert_allclose(bz.free_energy_of(th.probs, E, T), th.free_energy, rtol=1e-10, atol=1e-10)
    q = np.random.default_rng(seed).dirichlet(np.ones(len(E)))
    kl = np.sum(q * (np.log(q) - np.log(th.probs)))
    np.testing.assert_allclose(bz.free_energy_of(q, E, T) - th.free_energy, T * kl, rtol=1e-8, atol=1e-10)
    assert bz.free_energy_of(q, E, T) >= th.free_energy - 1e-12


@pytest.mark.parametrize("T", [0.3, 1.0, 4.0])
@verifies("boltzmann-distribution", against="sample frequencies", tol=SAMPLE_TOL,
          note="inverse-CDF sampler, 20 000 seeded draws at each of 3 temperatures")
def test_sample_frequencies_match_probabilities(T):
    n = 20_000
    rng = np.random.default_rng(42)
    p = bz.boltzmann_probs(LEVELS, T)
    counts = np.bincount(bz.sample(LEVELS, T, n, rng), minlength=len(LEVELS))
    freq = counts / n
    margin = SIGMAS * np.sqrt(p * (1 - p) / n)
    assert np.all(np.abs(freq - p) <= margin), (freq, p, margin)
    keep = p * n >= 5  # chi-square needs expected counts of at least ~5 per cell
    expected = np.append(p[keep] * n, p[~keep].sum() * n)
    observed = np.append(counts[keep], counts[~keep].sum())
    if expected[-1] == 0:
        expected, observed = expected[:-1], observed[:-1]
    assert stats.chisquare(observed, expected).pvalue > ALPHA


@verifies("boltzmann-distribution", against="sample frequencies", tol=SAMPLE_TOL,
          note="Metropolis chain, 40 000 steps, thinned by 4")
def test_metropolis_chain_reaches_the_boltzmann_distribution():
    T = 0.8
    chain = bz.metropolis(LEVELS, T, 40_000, np.random.default_rng(7), start=5)
    states = chain.states[2000::4]  # drop burn-in; thin to weaken the autocorrelation
    n = len(states)
    p = bz.boltzmann_probs(LEVELS, T)
    freq = np.bincount(states, minlength=len(LEVELS)) / n
    # thinning leaves some correlation, so the 4-standard-error band is computed with an effective
    # sample size of n / 2 (the chain's integrated autocorrelation time at lag 4 is below 2 here)
    margin = SIGMAS * np.sqrt(p * (1 - p) / (n / 2))
    assert np.all(np.abs(freq - p) <= margin), (freq, p, margin)
    assert 0.2 < chain.acceptance_rate < 1.0


def test_sampler_is_deterministic_given_the_generator():
    a = bz.sample(LEVELS, 1.0, 100, np.random.default_rng(3))
    b = bz.sample(LEVELS, 1.0, 100, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert a.min() >= 0 and a.max() < len(LEVELS)


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="temperature must be > 0"):
        bz.boltzmann_probs(LEVELS, 0.0)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        bz.boltzmann_probs(np.zeros((2, 2)), 1.0)
    with pytest.raises(ValueError, match="must be finite"):
        bz.boltzmann_probs(np.array([0.0, np.inf]), 1.0)
    with pytest.raises(ValueError, match="probability vector"):
        bz.free_energy_of(np.array([0.5, 0.6]), np.array([0.0, 1.0]), 1.0)
    with pytest.raises(ValueError, match="start must be a state index"):
        bz.metropolis(LEVELS, 1.0, 10, np.random.default_rng(0), start=9)
    with pytest.raises(ValueError, match="n must be >= 0"):
        bz.sample(LEVELS, 1.0, -1, np.random.default_rng(0))


def test_demo_prints_a_table(capsys):
    th = bz.demo()
    assert "Metropolis" in capsys.readouterr().out
    np.testing.assert_allclose(th.probs, bz.boltzmann_probs(LEVELS, 1.0), rtol=TOL)


def test_figures_return_figures():
    from mlatlas.foundations.figures import boltzmann_distribution as figs

    assert isinstance(figs.levels_and_samples(), Figure)
    assert isinstance(figs.two_level_heat_capacity(), Figure)
