"""The 2-D surfaces: hand-written gradients against torch autograd, and the stated minima."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.foundations.surfaces import SURFACES, get_surface
from mlatlas.verification import verifies

TOL = 1e-10
coordinate = st.floats(min_value=-5.0, max_value=5.0, allow_nan=False)


def autograd_gradient(name: str, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.clone().requires_grad_(True)
    y = y.clone().requires_grad_(True)
    get_surface(name).f(x, y).sum().backward()
    return x.grad, y.grad


@verifies("optimizers", against="torch autograd", tol=TOL, note="surface gradients, float64 grid")
@pytest.mark.parametrize("name", sorted(SURFACES))
def test_gradient_matches_autograd_on_a_grid(name):
    surface = get_surface(name)
    xs = torch.linspace(*surface.xlim, 13, dtype=torch.float64)
    ys = torch.linspace(*surface.ylim, 11, dtype=torch.float64)
    x, y = torch.meshgrid(xs, ys, indexing="xy")  # (11, 13) grids
    gx, gy = surface.grad(x, y)
    ax, ay = autograd_gradient(name, x, y)
    scale = 1.0 + max(ax.abs().max().item(), ay.abs().max().item())  # relative to the largest slope
    torch.testing.assert_close(gx, ax, rtol=TOL, atol=TOL * scale)
    torch.testing.assert_close(gy, ay, rtol=TOL, atol=TOL * scale)


@settings(max_examples=25, deadline=None)
@given(x=coordinate, y=coordinate, name=st.sampled_from(sorted(SURFACES)))
def test_gradient_matches_autograd_anywhere(x, y, name):
    tx, ty = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    gx, gy = get_surface(name).grad(tx, ty)
    ax, ay = autograd_gradient(name, tx, ty)
    scale = 1.0 + max(abs(ax.item()), abs(ay.item()))  # absolute error relative to the slope's size
    torch.testing.assert_close(torch.stack([gx, gy]), torch.stack([ax, ay]), rtol=TOL, atol=TOL * scale)


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_stated_minima_are_stationary_and_lowest_on_a_grid(name):
    surface = get_surface(name)
    grid = torch.linspace(-1.0, 1.0, 201, dtype=torch.float64)
    x, y = torch.meshgrid(surface.xlim[0] + (grid + 1) / 2 * (surface.xlim[1] - surface.xlim[0]),
                          surface.ylim[0] + (grid + 1) / 2 * (surface.ylim[1] - surface.ylim[0]),
                          indexing="xy")  # fmt: skip
    lowest = surface.f(x, y).min()
    for mx, my in surface.minima:
        tx, ty = torch.tensor(mx, dtype=torch.float64), torch.tensor(my, dtype=torch.float64)
        gx, gy = surface.grad(tx, ty)
        assert abs(gx.item()) < 1e-4 and abs(gy.item()) < 1e-4  # minima are given to 6 decimals
        assert surface.f(tx, ty) <= lowest + 1e-8


def test_saddle_has_a_saddle_at_the_origin():
    zero = torch.tensor(0.0, dtype=torch.float64)
    gx, gy = get_surface("saddle").grad(zero, zero)
    assert gx == 0 and gy == 0
    hessian = torch.autograd.functional.hessian(lambda v: get_surface("saddle").f(v[0], v[1]),
                                                torch.zeros(2, dtype=torch.float64))  # fmt: skip
    eigenvalues = torch.linalg.eigvalsh(hessian)
    assert eigenvalues[0] < 0 < eigenvalues[1]


def test_quadratic_has_the_stated_condition_number():
    hessian = torch.autograd.functional.hessian(lambda v: get_surface("quadratic").f(v[0], v[1]),
                                                torch.zeros(2, dtype=torch.float64))  # fmt: skip
    eigenvalues = torch.linalg.eigvalsh(hessian)
    torch.testing.assert_close(eigenvalues, torch.tensor([1.0, 25.0], dtype=torch.float64))


def test_unknown_surface_names_the_choices():
    with pytest.raises(ValueError, match="choose one of"):
        get_surface("banana")
