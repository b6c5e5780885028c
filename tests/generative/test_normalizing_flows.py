"""Normalizing flows: log-det against autograd Jacobians, exact inverses, MADE's masks, a density that
integrates to one, and the figure's flows fitted to two moons (scored against a fitted Gaussian)."""

import pytest
import torch
from torch.autograd.functional import jacobian

from mlatlas.generative.normalizing_flows import (
    MADE,
    AffineCoupling,
    FlowConfig,
    NormalizingFlow,
    standard_normal_log_prob,
)
from mlatlas.verification import verifies

DTYPE = torch.float64
TOL = 1e-10  # float64
GRID_LIM, GRID_CELLS = 8.0, 401  # midpoint rule on [-8, 8]², cells of side 0.04
GRID_TOL = 1e-6  # measured error ~1e-9 for these flows; the margin covers mass beyond the box
KINDS = ("realnvp", "maf")


def random_flow(kind: str, features: int, seed: int = 0, std: float = 0.3) -> NormalizingFlow:
    """A float64 flow with every parameter drawn from N(0, std²): zero-initialised output layers would
    make each layer the identity and every check trivial."""
    model = NormalizingFlow(FlowConfig(features=features, kind=kind, layers=4, hidden=16)).to(DTYPE)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(std * torch.randn(p.shape, generator=g, dtype=DTYPE))
    return model


@verifies(
    "normalizing-flows",
    against="torch.autograd.functional.jacobian",
    tol=TOL,
    note="float64; log|det ∂f/∂x| of 4-layer RealNVP and MAF flows (random weights, F = 2 and 5) "
    "vs slogdet of the full autograd Jacobian at 10 random inputs",
)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("features", [2, 5])
def test_log_det_matches_autograd_jacobian(kind, features):
    model = random_flow(kind, features, seed=features)
    x = 1.5 * torch.randn(10, features, generator=torch.Generator().manual_seed(1), dtype=DTYPE)
    _, log_det = model(x)
    for x_i, log_det_i in zip(x, log_det):
        J = jacobian(lambda v: model(v[None])[0][0], x_i)  # (F, F)
        sign, log_abs_det = torch.linalg.slogdet(J)
        assert sign != 0
        torch.testing.assert_close(log_det_i, log_abs_det, rtol=TOL, atol=TOL)


@verifies(
    "normalizing-flows",
    against="exact inverse",
    tol=TOL,
    note="float64; f⁻¹(f(x)) = x and f(f⁻¹(z)) = z for RealNVP and MAF flows, F = 2 and 5",
)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("features", [2, 5])
def test_inverse_undoes_forward(kind, features):
    model = random_flow(kind, features, seed=10 + features)
    g = torch.Generator().manual_seed(2)
    x, z = (2 * torch.randn(200, features, generator=g, dtype=DTYPE) for _ in range(2))
    with torch.no_grad():
        torch.testing.assert_close(model.inverse(model(x)[0]), x, rtol=TOL, atol=TOL)
        torch.testing.assert_close(model(model.inverse(z))[0], z, rtol=TOL, atol=TOL)


def test_made_output_sees_only_earlier_inputs():
    """∂(μ_i, α_i)/∂x_j is exactly zero unless x_j comes before x_i in the order (F = 5, shuffled)."""
    order = torch.tensor([3, 0, 4, 1, 2])
    made = MADE(order, hidden=16).to(DTYPE)
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for p in made.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=DTYPE))
    x = torch.randn(5, generator=g, dtype=DTYPE)
    position = torch.empty(5, dtype=torch.long)
    position[order] = torch.arange(5)
    allowed = position[None, :] < position[:, None]  # (i, j): x_j before x_i
    for which in (0, 1):  # μ, then α
        J = jacobian(lambda v, k=which: made(v[None])[k][0], x)  # (F, F): ∂out_i/∂x_j
        assert torch.all(J[~allowed] == 0)
        assert torch.all(J[allowed] != 0)  # and every allowed dependence is there (random weights)


@verifies(
    "normalizing-flows",
    against="density integrates to 1",
    tol=GRID_TOL,
    note="float64; exp(log p) summed over a 401 × 401 midpoint grid on [-8, 8]² for random 2-D "
    "RealNVP and MAF flows; without the log-det term the sum is off by more than 5 %",
)
@pytest.mark.parametrize("kind", KINDS)
def test_density_integrates_to_one(kind):
    model = random_flow(kind, 2, seed=20)
    h = 2 * GRID_LIM / GRID_CELLS
    c = -GRID_LIM + h * (torch.arange(GRID_CELLS, dtype=DTYPE) + 0.5)  # cell midpoints
    grid = torch.cartesian_prod(c, c)  # (401², 2)
    with torch.no_grad():
        z, log_det = model(grid)
        mass = float(torch.exp(standard_normal_log_prob(z) + log_det).sum() * h * h)
        mass_without_log_det = float(torch.exp(standard_normal_log_prob(z)).sum() * h * h)
    assert abs(mass - 1) < GRID_TOL
    assert abs(mass_without_log_det - 1) > 0.05  # the check can fail: the Jacobian term matters


@verifies(
    "normalizing-flows",
    against="torch.distributions.MultivariateNormal",
    tol=TOL,
    note="float64; a freshly built flow is the identity map, so log p is the standard normal's",
)
@pytest.mark.parametrize("kind", KINDS)
def test_fresh_flow_is_the_identity(kind):
    model = NormalizingFlow(FlowConfig(features=3, kind=kind, layers=3, hidden=8)).to(DTYPE)
    x = torch.randn(50, 3, generator=torch.Generator().manual_seed(4), dtype=DTYPE)
    reference = torch.distributions.MultivariateNormal(torch.zeros(3, dtype=DTYPE), torch.eye(3, dtype=DTYPE))
    with torch.no_grad():
        torch.testing.assert_close(model.log_prob(x), reference.log_prob(x), rtol=TOL, atol=TOL)


@verifies(
    "normalizing-flows",
    against="energy distance of a fitted Gaussian",
    tol="< Gaussian's",
    note="the figure's tiny RealNVP and MAF on two moons (seeded): energy distance to 1,000 held-out "
    "points below the fitted Gaussian's, held-out log-likelihood at least 0.8 nats above it",
)
def test_flows_fitted_to_two_moons_beat_a_gaussian():
    from mlatlas.generative.figures.normalizing_flows import flow_numbers

    q = flow_numbers()
    for kind in KINDS:
        assert q["floor"] < q[f"{kind}_energy"] < 0.75 * q["gaussian_energy"]
        assert q[f"{kind}_loglik"] > q["gaussian_loglik"] + 0.8


def test_bad_configurations_are_rejected():
    with pytest.raises(ValueError, match="kind must be"):
        NormalizingFlow(FlowConfig(kind="glow"))
    with pytest.raises(ValueError, match="features >= 2"):
        NormalizingFlow(FlowConfig(features=1))
    with pytest.raises(ValueError, match="both values present"):
        AffineCoupling(torch.ones(2), hidden=4)
    with pytest.raises(ValueError, match="permutation"):
        MADE(torch.tensor([0, 0, 1]), hidden=4)
