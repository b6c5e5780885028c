"""Two-dimensional loss surfaces for watching optimisers move.

Classic test functions: Rosenbrock (1960, "An automatic method for finding the greatest or least
value of a function"), Himmelblau (1972, *Applied Nonlinear Programming*) and Rastrigin (1974).
Each surface is a pair of plain float64 functions, the value and its gradient written out by hand,
so that the gradient-descent lab can port them to JavaScript line for line.

Every function takes ``x`` and ``y`` as tensors of any (matching or broadcastable) shape and works
elementwise, so the same code evaluates one point for an optimiser step or a whole grid for a
contour plot. Gradients are returned as a pair ``(df/dx, df/dy)``; the tests check each one against
torch autograd.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import torch
from torch import Tensor

# ---------------------------------------------------------------------------------------------
# Ill-conditioned quadratic: f(x, y) = 1/2 [x y] A [x y]^T, with A = R diag(1, 25) R^T, R a 30°
# rotation. Condition number kappa = 25; rotating the valley means no coordinate-wise method
# (RMSProp, Adam) gets the conditioning for free.
# ---------------------------------------------------------------------------------------------
QUADRATIC_EIGENVALUES = (1.0, 25.0)
QUADRATIC_ANGLE = math.pi / 6
_c, _s = math.cos(QUADRATIC_ANGLE), math.sin(QUADRATIC_ANGLE)
QUADRATIC_A = _c * _c * QUADRATIC_EIGENVALUES[0] + _s * _s * QUADRATIC_EIGENVALUES[1]  # A[0, 0]
QUADRATIC_B = _c * _s * (QUADRATIC_EIGENVALUES[0] - QUADRATIC_EIGENVALUES[1])  # A[0, 1] = A[1, 0]
QUADRATIC_C = _s * _s * QUADRATIC_EIGENVALUES[0] + _c * _c * QUADRATIC_EIGENVALUES[1]  # A[1, 1]


def quadratic(x: Tensor, y: Tensor) -> Tensor:
    """f = (a x² + 2 b x y + c y²) / 2, the rotated ill-conditioned bowl; minimum 0 at (0, 0)."""
    return 0.5 * (QUADRATIC_A * x * x + 2.0 * QUADRATIC_B * x * y + QUADRATIC_C * y * y)


def quadratic_grad(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """∇f = A [x, y]: (a x + b y, b x + c y)."""
    return QUADRATIC_A * x + QUADRATIC_B * y, QUADRATIC_B * x + QUADRATIC_C * y


def rosenbrock(x: Tensor, y: Tensor) -> Tensor:
    """f = (1 − x)² + 100 (y − x²)², a curved banana valley; minimum 0 at (1, 1)."""
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def rosenbrock_grad(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """∂f/∂x = −2 (1 − x) − 400 x (y − x²),  ∂f/∂y = 200 (y − x²)."""
    r = y - x * x  # the valley residual y − x²
    return -2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r


def himmelblau(x: Tensor, y: Tensor) -> Tensor:
    """f = (x² + y − 11)² + (x + y² − 7)²; four minima of value 0, e.g. (3, 2)."""
    return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2


def himmelblau_grad(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """∂f/∂x = 4x u + 2 v,  ∂f/∂y = 2 u + 4y v  with u = x² + y − 11, v = x + y² − 7."""
    u = x * x + y - 11.0
    v = x + y * y - 7.0
    return 4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v


def saddle(x: Tensor, y: Tensor) -> Tensor:
    """f = x²/2 − y²/2 + y⁴/4: a saddle at (0, 0) between two minima (0, ±1) of value −1/4."""
    return 0.5 * x * x - 0.5 * y * y + 0.25 * y**4


def saddle_grad(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """∂f/∂x = x,  ∂f/∂y = −y + y³."""
    return x, -y + y**3


def rastrigin(x: Tensor, y: Tensor) -> Tensor:
    """f = 20 + x² − 10 cos 2πx + y² − 10 cos 2πy: a bowl covered in local minima; minimum 0 at 0."""
    two_pi = 2.0 * math.pi
    return 20.0 + x * x - 10.0 * torch.cos(two_pi * x) + y * y - 10.0 * torch.cos(two_pi * y)


def rastrigin_grad(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """∂f/∂x = 2x + 20π sin 2πx (and the same in y)."""
    two_pi = 2.0 * math.pi
    return (
        2.0 * x + 10.0 * two_pi * torch.sin(two_pi * x),
        2.0 * y + 10.0 * two_pi * torch.sin(two_pi * y),
    )


class Surface(NamedTuple):
    """A named surface: value, gradient, a plotting window, a start point and its global minima."""

    name: str
    f: Callable[[Tensor, Tensor], Tensor]
    grad: Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]


SURFACES: dict[str, Surface] = {
    "quadratic": Surface(
        "quadratic", quadratic, quadratic_grad, (-3.0, 3.0), (-2.0, 2.0), (-2.5, -0.5), ((0.0, 0.0),)
    ),
    "rosenbrock": Surface(
        "rosenbrock", rosenbrock, rosenbrock_grad, (-2.0, 2.0), (-1.0, 3.0), (-1.5, 2.0), ((1.0, 1.0),)
    ),
    "himmelblau": Surface(
        "himmelblau",
        himmelblau,
        himmelblau_grad,
        (-5.0, 5.0),
        (-5.0, 5.0),
        (0.0, 0.0),
        ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848127)),
    ),
    "saddle": Surface(
        "saddle", saddle, saddle_grad, (-2.0, 2.0), (-1.6, 1.6), (1.5, 1e-3), ((0.0, 1.0), (0.0, -1.0))
    ),
    "rastrigin": Surface(
        "rastrigin", rastrigin, rastrigin_grad, (-5.12, 5.12), (-5.12, 5.12), (3.2, 2.4), ((0.0, 0.0),)
    ),
}


def get_surface(name: str) -> Surface:
    """Look up a surface by name, with an error listing the names that exist."""
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}; choose one of {sorted(SURFACES)}")
    return SURFACES[name]
