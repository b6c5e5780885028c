"""The lab generator: a stream that is a pure function of (seed, position), numpy-compatible shapes,
N(0, 1) statistics, exact helper functions, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from mlatlas.labs.rng import LabRandom, cos_sin_turns, log


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cuts=st.lists(st.integers(0, 9), min_size=1, max_size=5))
def test_split_calls_equal_one_call(seed, cuts):
    whole = LabRandom(seed).standard_normal(sum(cuts))
    rng = LabRandom(seed)
    parts = np.concatenate([rng.standard_normal(c) for c in cuts])
    np.testing.assert_array_equal(parts, whole)


def test_shapes_follow_numpy():
    rng = LabRandom(3)
    assert rng.standard_normal((2, 3, 4)).shape == (2, 3, 4)
    assert isinstance(LabRandom(3).standard_normal(), float)
    flat = LabRandom(3).standard_normal(24)
    np.testing.assert_array_equal(LabRandom(3).standard_normal((2, 3, 4)).ravel(), flat)  # C order


def test_normals_pass_ks_and_moments():
    """Seeded statistical test: 50 000 normals; KS p-value and moments with 5-sigma margins."""
    z = LabRandom(2024).standard_normal(50_000)
    n = z.size
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert abs(z.mean()) < 5 / np.sqrt(n)
    assert abs(z.var() - 1) < 5 * np.sqrt(2 / n)
    assert abs(np.mean(z**4) - 3) < 5 * np.sqrt(96 / n)
    # neighbouring draws (including the two halves of each Box–Muller pair) are uncorrelated
    assert abs(np.corrcoef(z[:-1], z[1:])[0, 1]) < 5 / np.sqrt(n)


def test_uniforms_are_uniform_and_independent_of_normals():
    rng = LabRandom(5)
    u = rng.uniform(20_000)
    assert 0 < u.min() and u.max() < 1
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert rng.position == 0  # the uniform stream does not consume normals


def test_different_seeds_differ():
    a = LabRandom(1).standard_normal(100)
    b = LabRandom(2).standard_normal(100)
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.5 and not np.array_equal(a, b)


def test_exact_log_and_turns_match_libm_to_ulps():
    x = np.exp(np.linspace(-700, 700, 20_001))
    np.testing.assert_allclose(log(x), np.log(x), rtol=4e-16, atol=4e-16)
    u = np.linspace(0, 1, 10_001, endpoint=False)
    c, s = cos_sin_turns(u)
    np.testing.assert_allclose(c, np.cos(2 * np.pi * u), rtol=0, atol=2e-15)
    np.testing.assert_allclose(s, np.sin(2 * np.pi * u), rtol=0, atol=2e-15)


def test_drives_the_brownian_simulator():
    from mlatlas.stochastic.brownian_motion import brownian_motion

    paths = brownian_motion(LabRandom(11), 2000, 4, t_max=1.0)
    var = paths.w[:, -1].var()
    assert abs(var - 1.0) < 5 * np.sqrt(2 / 2000)  # Var W_1 = 1


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "7", True])
def test_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed"):
        LabRandom(seed)


def test_bad_sizes():
    with pytest.raises(ValueError, match="non-negative"):
        LabRandom(0).standard_normal((2, -1))
    with pytest.raises(ValueError, match="non-negative"):
        LabRandom(0).uniform(-3)
