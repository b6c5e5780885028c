"""Figures and quoted numbers for the OT flow-matching chapter: crossing vs optimal pairs, learned paths."""

from __future__ import annotations

from functools import lru_cache

import torch

from mlatlas.generative.distances import quality
from mlatlas.generative.figures.flow_matching import draw_paths
from mlatlas.generative.flow_matching import euler, straightness, velocity_of
from mlatlas.generative.ot_flow_matching import ot_pairs, train_ot_flow
from mlatlas.generative.toy_data import two_moons
from mlatlas.plotting import PALETTE, new_figure

STEPS = 300  # training steps of each tiny model (equal for both couplings)
BATCH = 128  # minibatch size, so each OT step solves a 128 × 128 assignment
N_PAIRS = 40
N_PATHS = 60


def segments_cross(p0: torch.Tensor, p1: torch.Tensor) -> int:
    """How many pairs of segments [p0_i, p1_i] (B, 2) cross in the plane (proper crossings only)."""

    def side(a, b, c):  # sign of the turn a -> b -> c, for every pair (i, j) at once
        return torch.sign(
            (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1])
            - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0])
        )

    a, b = p0[:, None], p1[:, None]  # segment i
    c, d = p0[None, :], p1[None, :]  # segment j
    crossing = (side(a, b, c) * side(a, b, d) < 0) & (side(c, d, a) * side(c, d, b) < 0)  # (B, B)
    return int(crossing.triu(diagonal=1).sum())


def minibatch():
    """One minibatch: N_PAIRS noise points, N_PAIRS moons points, and the noise in its OT order."""
    g = torch.Generator().manual_seed(7)
    x1 = two_moons(N_PAIRS, g)
    x0 = torch.randn(N_PAIRS, 2, generator=g)
    return x0, x1, ot_pairs(x0, x1)


def crossing_counts() -> dict[str, int]:
    """Crossing segments in the figure's minibatch, independent pairs vs optimal pairs."""
    x0, x1, paired = minibatch()
    return {"independent": segments_cross(x0, x1), "ot": segments_cross(paired, x1), "pairs": N_PAIRS}


def minibatch_couplings():
    """Straight lines from noise to data for random pairs (top) and the exact OT pairing (bottom)."""
    x0, x1, paired = minibatch()
    fig, axes = new_figure(2, 1, width=4.8, height=6.8, sharex=True, sharey=True)  # stacked for phones
    for ax, start, title in [
        (axes[0], x0, "independent pairs"),
        (axes[1], paired, "optimal transport pairs"),
    ]:
        for k in range(N_PAIRS):
            ax.plot([start[k, 0], x1[k, 0]], [start[k, 1], x1[k, 1]], color=PALETTE[0], lw=0.9, alpha=0.8)
        ax.scatter(start[:, 0], start[:, 1], s=14, color=PALETTE[1], label="noise $x_0$", zorder=3)
        ax.scatter(x1[:, 0], x1[:, 1], s=14, color=PALETTE[2], label="data $x_1$", zorder=3)
        ax.set_title(f"{title}: {segments_cross(start, x1)} crossings")
        ax.set_aspect("equal")
    axes[0].legend(loc="lower left", fontsize=9)
    return fig


@lru_cache(maxsize=1)
def tiny_flows():
    """Two 64-wide flows on two moons, trained for STEPS steps with the same batches, noise and times:
    one on independent pairs, one on minibatch-OT pairs."""
    g = torch.Generator().manual_seed(0)
    data = two_moons(2000, g)
    flows = {}
    for coupling in ("independent", "ot"):
        torch.manual_seed(0)  # the same initial weights
        flows[coupling] = train_ot_flow(
            data,
            STEPS,
            torch.Generator().manual_seed(1),
            hidden=64,
            lr=1e-2,
            batch_size=BATCH,
            coupling=coupling,
        )
    return data, flows


def coupling_numbers() -> dict[str, float]:
    """Straightness (100 Euler steps) and energy distance to 1,000 held-out moons (100 and 2 Euler steps)
    of the two tiny flows, and of a Gaussian fitted to the data."""
    data, flows = tiny_flows()
    held_out = two_moons(1000, torch.Generator().manual_seed(10))
    x0 = torch.randn(1000, 2, generator=torch.Generator().manual_seed(11))
    result: dict[str, float] = {"steps": STEPS, "batch": BATCH}
    for coupling, model in flows.items():
        v = velocity_of(model)
        result[f"{coupling}_straightness"] = straightness(v, x0, 100)
        for num_steps in (100, 2):
            q = quality(euler(v, x0, num_steps), data, held_out, torch.Generator().manual_seed(3))
            result[f"{coupling}_energy_{num_steps}"] = q.model
    result["gaussian_energy"] = q.gaussian
    return result


def learned_paths():
    """Paths (Euler, 30 steps) of the flow trained on independent pairs and of the OT-CFM flow."""
    data, flows = tiny_flows()
    x0 = torch.randn(N_PATHS, 2, generator=torch.Generator().manual_seed(5))
    fig, axes = new_figure(2, 1, width=4.8, height=9.0, sharex=True, sharey=True)  # stacked for phones
    for ax, coupling, title in [(axes[0], "independent", "independent CFM"), (axes[1], "ot", "OT-CFM")]:
        draw_paths(ax, flows[coupling], x0, data, title)
    axes[0].legend(loc="lower left", fontsize=9)
    return fig
