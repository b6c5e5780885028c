"""Energy distance against scipy; the fitted-Gaussian baseline; the ddpm figure's quoted quality."""

import numpy as np
import pytest
import torch
from scipy import stats

from mlatlas.generative.distances import energy_distance, fitted_gaussian_samples
from mlatlas.verification import verifies

TOL = 1e-10  # float64


@verifies(
    "ddpm", against="scipy.stats.energy_distance", tol=TOL, note="float64, 1-D samples of unequal sizes"
)
def test_energy_distance_matches_scipy():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 1, generator=g, dtype=torch.float64)
    y = 0.5 + 2 * torch.randn(200, 1, generator=g, dtype=torch.float64)
    expected = stats.energy_distance(x[:, 0].numpy(), y[:, 0].numpy())
    np.testing.assert_allclose(energy_distance(x, y), expected, rtol=TOL, atol=TOL)


def test_energy_distance_properties():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(400, 2, generator=g, dtype=torch.float64)
    assert energy_distance(x, x) == 0.0
    assert energy_distance(x, x + 1) > energy_distance(x, x + 0.1) > 0
    np.testing.assert_allclose(energy_distance(x, x[:200] * 2), energy_distance(x[:200] * 2, x), rtol=TOL)
    with pytest.raises(ValueError, match="same F"):
        energy_distance(x, torch.zeros(3, 3))


def test_fitted_gaussian_has_the_data_moments():
    """Margin: 20,000 samples; the variance of a unit-variance axis has standard error √(2/20000) = 0.01,
    so moments must agree within 0.05 (5 standard errors)."""
    g = torch.Generator().manual_seed(2)
    train = torch.randn(5000, 2, generator=g, dtype=torch.float64) @ torch.tensor(
        [[1.0, 0.5], [0.0, 0.3]], dtype=torch.float64
    )
    samples = fitted_gaussian_samples(train, 20000, g)
    torch.testing.assert_close(samples.mean(0), train.mean(0), atol=0.05, rtol=0)
    torch.testing.assert_close(torch.cov(samples.T), torch.cov(train.T), atol=0.05, rtol=0)


def test_ddpm_figure_model_beats_the_gaussian():
    """The chapter's tiny DDPM (the figure's) must be closer to held-out moons than a fitted Gaussian."""
    from mlatlas.generative.figures.ddpm import sample_quality

    q = sample_quality()
    assert q["ancestral"] < 0.7 * q["gaussian"] and q["ddim"] < 0.7 * q["gaussian"]
    assert q["floor"] < q["ancestral"]
    # the chapter says 50 deterministic DDIM steps score as well as 1,000 ancestral ones on this model
    assert q["ddim"] < 1.2 * q["ancestral"]
