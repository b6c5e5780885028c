"""Displacement interpolation: McCann's geodesic between two distributions, from the exact plan.

Paper: McCann, 1997, "A Convexity Principle for Interacting Gases", Advances in Mathematics 128;
Peyré & Cuturi, 2019, "Computational Optimal Transport", arXiv:1803.00567, Remark 7.1.
Instead of fading one distribution into the other, move every unit of mass along a straight line
from x_i to the y_j the optimal plan sends it to: μ_t = Σ_ij P_ij δ_{(1-t) x_i + t y_j}.

With the squared Euclidean cost this path is a constant-speed geodesic of the Wasserstein space:
W_2(μ_s, μ_t) = |t - s| W_2(μ_0, μ_1). A linear mix (1-t) μ_0 + t μ_1 is not.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from mlatlas.transport.optimal_transport import exact_transport, squared_euclidean_cost


@dataclass(frozen=True)
class WeightedCloud:
    """points: (K, F) with weights: (K,) summing to the transported mass."""

    points: np.ndarray
    weights: np.ndarray


def displacement_interpolation(
    x: ArrayLike, y: ArrayLike, plan: ArrayLike, t: float, threshold: float = 1e-12
) -> WeightedCloud:
    """μ_t = Σ_ij P_ij δ_{(1-t) x_i + t y_j}  (McCann 1997, eq. (7) in Peyré–Cuturi Rem. 7.1).

    x: (M, F), y: (N, F), plan: (M, N) a transport plan between them, t ∈ [0, 1]. Each pair the plan
    moves more than ``threshold`` × its largest entry becomes one point; an exact plan has at most
    M + N - 1 such pairs, so μ_t has at most M + N - 1 atoms.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    P = np.asarray(plan, dtype=np.float64)
    if P.shape != (len(x), len(y)):
        raise ValueError(f"plan has shape {P.shape} but x, y have {len(x)} and {len(y)} points")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"x has {x.shape[1]} features but y has {y.shape[1]}")
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"t must lie in [0, 1] (0 is x, 1 is y), got {t}")
    i, j = np.nonzero(P > threshold * P.max())  # the pairs that carry mass, (K,), (K,)
    points = (1.0 - t) * x[i] + t * y[j]  # (K, F) each unit of mass on its straight line
    return WeightedCloud(points, P[i, j])


def mccann_interpolation(
    x: ArrayLike, y: ArrayLike, times: ArrayLike, a: ArrayLike | None = None, b: ArrayLike | None = None
) -> list[WeightedCloud]:
    """The W_2 geodesic from (x, a) to (y, b) sampled at ``times``: solve exact OT for |x - y|² once,
    then slide the mass along the plan. Weights default to uniform. x: (M, F), y: (N, F)."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    a = np.full(len(x), 1.0 / len(x)) if a is None else a
    b = np.full(len(y), 1.0 / len(y)) if b is None else b
    plan = exact_transport(a, b, squared_euclidean_cost(x, y)).plan  # (M, N)
    return [displacement_interpolation(x, y, plan, float(t)) for t in np.asarray(times, dtype=np.float64)]
