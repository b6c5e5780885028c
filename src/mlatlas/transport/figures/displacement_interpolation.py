"""Figures for the displacement-interpolation chapter."""

from __future__ import annotations

import numpy as np

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transport.displacement_interpolation import displacement_interpolation, mccann_interpolation
from mlatlas.transport.optimal_transport import exact_transport, squared_euclidean_cost


def example_clouds(n: int = 80) -> tuple[np.ndarray, np.ndarray]:
    """A Gaussian blob and a ring (seeded), n points each."""
    rng = np.random.default_rng(7)
    blob = rng.normal(size=(n, 2)) * 0.35 + np.array([-2.0, 0.0])
    angle = rng.uniform(0, 2 * np.pi, n)
    ring = np.c_[np.cos(angle), np.sin(angle)] * (1.2 + 0.08 * rng.normal(size=(n, 1))) + np.array([2.0, 0.3])
    return blob, ring


def morph():
    """Top: McCann interpolation at t = 0, ¼, ½, ¾, 1: the blob travels and opens into the ring.
    Bottom: the linear mixture (1-t) μ0 + t μ1 at the same t, which only fades one into the other."""
    blob, ring = example_clouds()
    times = [0.0, 0.25, 0.5, 0.75, 1.0]
    clouds = mccann_interpolation(blob, ring, times)
    fig, axes = new_figure(2, 5, width=7.6, height=2.9)
    rng = np.random.default_rng(0)
    for k, (t, cloud) in enumerate(zip(times, clouds)):
        axes[0, k].scatter(*cloud.points.T, s=3, color=PALETTE[0])
        axes[0, k].set_title(f"t = {t:g}")
        keep = rng.random(len(blob)) >= t  # each point is drawn from μ0 with probability 1 - t
        axes[1, k].scatter(*np.r_[blob[keep], ring[~keep]].T, s=3, color=PALETTE[1])
    for ax in axes.ravel():
        ax.set(xlim=(-3.3, 3.5), ylim=(-1.6, 1.9), xticks=[], yticks=[])
    axes[0, 0].set_ylabel("McCann")
    axes[1, 0].set_ylabel("mixture")
    return fig


def trajectories():
    """The straight paths of the exact plan (40 points each side) and the midpoint cloud t = ½."""
    blob, ring = example_clouds(40)
    n = len(blob)
    plan = exact_transport(np.full(n, 1 / n), np.full(n, 1 / n), squared_euclidean_cost(blob, ring)).plan
    fig, ax = new_figure(width=6.0, height=3.0)
    for i, j in zip(*np.nonzero(plan > 1e-12)):
        ax.plot([blob[i, 0], ring[j, 0]], [blob[i, 1], ring[j, 1]], color=PALETTE[7], lw=0.6, alpha=0.6)
    mid = displacement_interpolation(blob, ring, plan, 0.5)
    ax.scatter(*blob.T, s=10, color=PALETTE[0], label="t = 0", zorder=3)
    ax.scatter(*mid.points.T, s=10, color=PALETTE[2], label="t = ½", zorder=3)
    ax.scatter(*ring.T, s=10, color=PALETTE[1], label="t = 1", zorder=3)
    ax.set(aspect="equal", title="Each unit of mass travels a straight line at constant speed")
    ax.legend(loc="upper left", fontsize=8, ncols=3)
    return fig
