"""Flow matching: the analytic velocity between Gaussians (its flow, its loss), Euler and Heun orders,
and reflow straightening a trained flow (measured)."""

import pytest
import torch

from mlatlas.generative.flow_matching import (
    cfm_loss,
    euler,
    gaussian_velocity,
    heun,
    reflow_pairs,
    straightness,
    train_flow,
    velocity_of,
)
from mlatlas.generative.toy_data import two_moons
from mlatlas.verification import verifies

DTYPE = torch.float64
MEAN, STD = torch.tensor([2.0, -1.0], dtype=DTYPE), 0.5


def flow_map(x0, t=1.0):
    """The exact flow of the Gaussian-to-Gaussian field: x_0 ↦ t m + s_t x_0, s_t² = (1-t)² + t² std²."""
    t = torch.as_tensor(t, dtype=DTYPE)
    return t * MEAN + torch.sqrt((1 - t) ** 2 + t**2 * STD**2) * x0


HEUN_TOL = 2e-6  # Heun with 1000 steps: global error O(h²), measured 7e-7 here


@verifies(
    "flow-matching",
    against="analytic velocity field for Gaussians",
    tol=HEUN_TOL,
    note="float64; N(0, I) to N(m, 0.5² I): Heun (1000 steps) reproduces the exact flow x_0 ↦ m + 0.5 x_0",
)
def test_gaussian_velocity_transports_exactly():
    x0 = torch.randn(500, 2, generator=torch.Generator().manual_seed(0), dtype=DTYPE)
    v = gaussian_velocity(MEAN, STD)
    torch.testing.assert_close(heun(v, x0, 1000), flow_map(x0), rtol=HEUN_TOL, atol=HEUN_TOL)
    # the velocity is the time derivative of the flow map (central difference, h = 1e-5)
    t, h = 0.37, 1e-5
    derivative = (flow_map(x0, t + h) - flow_map(x0, t - h)) / (2 * h)
    torch.testing.assert_close(
        v(flow_map(x0, t), torch.full((500,), t, dtype=DTYPE)), derivative, rtol=1e-8, atol=1e-8
    )


def test_euler_is_first_order_and_heun_second_order():
    """Halving the step divides the error by ~2 (Euler) and ~4 (Heun): ratios within 10 %."""
    x0 = torch.randn(200, 2, generator=torch.Generator().manual_seed(1), dtype=DTYPE)
    v, exact = gaussian_velocity(MEAN, STD), flow_map(x0)
    for method, order in ((euler, 1), (heun, 2)):
        e1, e2 = ((method(v, x0, n) - exact).abs().max() for n in (20, 40))
        assert abs(float(e1 / e2) / 2**order - 1) < 0.1


@verifies(
    "flow-matching",
    against="analytic velocity field for Gaussians",
    tol=0.15,
    note="the CFM loss is minimised by the exact marginal velocity (200,000 draws, seeded); a small "
    "network trained 1,500 steps matches it within 0.15 RMS on t ∈ [0.1, 0.9]",
)
def test_exact_velocity_minimises_the_loss_and_training_finds_it():
    g = torch.Generator().manual_seed(2)
    x1 = MEAN.float() + STD * torch.randn(200_000, 2, generator=g)
    v = gaussian_velocity(MEAN.float(), STD)

    class Field(torch.nn.Module):
        def __init__(self, scale):
            super().__init__()
            self.scale = scale

        def forward(self, x, t):
            return self.scale * v(x, t)

    losses = {s: float(cfm_loss(Field(s), x1, torch.Generator().manual_seed(3))) for s in (0.95, 1.0, 1.05)}
    assert losses[1.0] < losses[0.95] and losses[1.0] < losses[1.05]
    torch.manual_seed(0)
    model = train_flow(x1[:20000], 1500, torch.Generator().manual_seed(4), hidden=64, lr=5e-3)
    t = 0.1 + 0.8 * torch.rand(2000, generator=g)
    x = flow_map(torch.randn(2000, 2, generator=g, dtype=DTYPE), t[:, None].double()).float()  # x ~ p_t
    with torch.no_grad():
        rms = ((model(x, t) - v(x, t)) ** 2).sum(-1).mean().sqrt()
    assert rms < 0.15


@verifies(
    "flow-matching",
    against="straightness before and after reflow",
    tol=0.5,
    note="a small flow on two moons, reflowed once: Liu et al.'s straightness falls to under half",
)
def test_reflow_straightens_paths():
    g = torch.Generator().manual_seed(5)
    data = two_moons(2000, g)
    torch.manual_seed(0)
    model = train_flow(data, 800, torch.Generator().manual_seed(6), hidden=64, lr=1e-2, batch_size=512)
    pairs = reflow_pairs(model, 2000, torch.Generator().manual_seed(7), num_steps=30)
    torch.manual_seed(1)
    rectified = train_flow(
        pairs, 800, torch.Generator().manual_seed(8), hidden=64, lr=1e-2, batch_size=512, coupled=True
    )
    x0 = torch.randn(1000, 2, generator=g)
    before, after = straightness(velocity_of(model), x0, 50), straightness(velocity_of(rectified), x0, 50)
    assert after < 0.5 * before
    # the analytic field between Gaussians of different widths is curved, and a straight field is not
    assert straightness(gaussian_velocity(MEAN, STD), x0.double()) > 0.01
    assert straightness(lambda x, t: torch.ones_like(x), x0) < 1e-10  # float32 rounding only


def test_gaussian_flow_is_curved_even_at_equal_widths():
    """The page: the exact flow x_0 ↦ t m + s_t x_0 is curved for every std > 0, std = 1 included
    (s_t = √((1-t)² + t²) dips to 1/√2 mid-way), and straight only in the limit std → 0."""
    x0 = torch.randn(1000, 2, generator=torch.Generator().manual_seed(9), dtype=DTYPE)
    assert straightness(gaussian_velocity(MEAN, 1.0), x0, 200) > 0.1
    assert straightness(gaussian_velocity(torch.zeros(2, dtype=DTYPE), 1.0), x0, 200) > 0.1
    assert straightness(gaussian_velocity(MEAN, 1e-9), x0, 200) < 1e-10


def test_figure_one_step_sampling_after_reflow():
    """The page's quoted numbers: one Euler step of the figure's first flow is worse than a fitted
    Gaussian; after one reflow it is within 25 % of the first flow's 100-step energy distance."""
    from mlatlas.generative.figures.flow_matching import one_step_quality

    q = one_step_quality()
    assert q["euler_1"] > q["gaussian"] > q["euler_100"]
    assert q["reflow_1"] < 1.25 * q["euler_100"]


def test_bad_step_count_is_rejected():
    with pytest.raises(ValueError, match="num_steps must be at least 1"):
        euler(gaussian_velocity(MEAN, STD), torch.zeros(1, 2, dtype=DTYPE), 0)
