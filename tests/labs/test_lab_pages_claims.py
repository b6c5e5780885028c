"""What the gradient-descent lab page says about its optimisers, measured with the package's own
update rules (the lab's JavaScript is checked against these same rules by the golden vectors)."""

from __future__ import annotations

import torch

from mlatlas.foundations.optimizers import trajectory_on_surface
from mlatlas.foundations.surfaces import QUADRATIC_A, QUADRATIC_B, QUADRATIC_C


def _steep_coordinate(xs: torch.Tensor) -> torch.Tensor:
    """Coordinate of each iterate along the eigenvector of the quadratic's largest curvature (25)."""
    a = torch.tensor([[QUADRATIC_A, QUADRATIC_B], [QUADRATIC_B, QUADRATIC_C]], dtype=torch.float64)
    eigenvalues, vectors = torch.linalg.eigh(a)
    torch.testing.assert_close(eigenvalues, torch.tensor([1.0, 25.0], dtype=torch.float64))
    return xs @ vectors[:, 1]


def _sign_flips(v: torch.Tensor) -> int:
    return int((v[1:] * v[:-1] < 0).sum())


def test_sgd_zigzags_only_between_one_and_two_over_the_largest_curvature():
    """The steep coordinate is multiplied by 1 - 25 eta each step: no zig-zag at the default 0.03
    (factor 0.25), a sign flip every step for 0.04 < eta < 0.08, divergence past 0.08."""
    calm = _steep_coordinate(trajectory_on_surface("sgd", "quadratic", 40, lr=0.03).xs)
    zigzag = _steep_coordinate(trajectory_on_surface("sgd", "quadratic", 40, lr=0.06).xs)
    assert _sign_flips(calm) == 0 and _sign_flips(zigzag) == 40
    torch.testing.assert_close(calm[1:11] / calm[:10], torch.full((10,), 0.25, dtype=torch.float64))
    wild = _steep_coordinate(trajectory_on_surface("sgd", "quadratic", 20, lr=0.085).xs)
    assert wild.abs()[-1] > 10 * wild.abs()[0]


def test_first_adaptive_steps():
    """Adam's first step is the learning rate in every coordinate; RMSProp (no bias correction, as in
    torch) starts with steps 1/sqrt(1 - 0.99) = 10 times larger, shrinking as its average fills."""
    lr = 0.05
    adam = trajectory_on_surface("adam", "rosenbrock", 1, lr=lr).xs
    rms = trajectory_on_surface("rmsprop", "rosenbrock", 30, lr=lr).xs
    torch.testing.assert_close((adam[1] - adam[0]).abs(), torch.full((2,), lr, dtype=torch.float64))
    torch.testing.assert_close((rms[1] - rms[0]).abs(), torch.full((2,), 10 * lr, dtype=torch.float64),
                               rtol=1e-6, atol=0)  # eps = 1e-8 in the denominator
    assert (rms[-1] - rms[-2]).abs().max() < 2 * lr


def test_adaptive_methods_leave_the_saddle_sooner():
    """From (1.5, 0.001) on the saddle, SGD needs over a hundred steps to leave the ridge (|y| > 0.5);
    RMSProp and Adam leave within a dozen."""
    def escape(optimizer):
        ys = trajectory_on_surface(optimizer, "saddle", 300, lr=0.05).xs[:, 1]
        return int((ys.abs() > 0.5).nonzero()[0])

    assert escape("sgd") > 100
    assert escape("rmsprop") <= 12 and escape("adam") <= 12
