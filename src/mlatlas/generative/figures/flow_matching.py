"""Figure and quoted numbers for the flow-matching chapter: paths before and after one reflow."""

from __future__ import annotations

from functools import lru_cache

import torch

from mlatlas.generative.distances import quality
from mlatlas.generative.flow_matching import euler, reflow_pairs, straightness, train_flow, velocity_of
from mlatlas.generative.toy_data import two_moons
from mlatlas.plotting import PALETTE, new_figure

STEPS = 600  # training steps of each tiny model
N_PATHS = 60


@lru_cache(maxsize=1)
def tiny_flows():
    """A 64-wide flow on two moons and the same network reflowed once on its own pairs."""
    g = torch.Generator().manual_seed(0)
    data = two_moons(2000, g)
    torch.manual_seed(0)
    first = train_flow(data, STEPS, torch.Generator().manual_seed(1), hidden=64, lr=1e-2, batch_size=512)
    pairs = reflow_pairs(first, 2000, torch.Generator().manual_seed(2), num_steps=30)
    torch.manual_seed(1)
    second = train_flow(
        pairs, STEPS, torch.Generator().manual_seed(3), hidden=64, lr=1e-2, batch_size=512, coupled=True
    )
    return data, first, second


def reflow_numbers() -> dict[str, float]:
    """Straightness (Liu et al.) of the two tiny flows on 1,000 noise points."""
    _, first, second = tiny_flows()
    x0 = torch.randn(1000, 2, generator=torch.Generator().manual_seed(4))
    return {
        "before": straightness(velocity_of(first), x0, 50),
        "after": straightness(velocity_of(second), x0, 50),
        "steps": STEPS,
    }


def one_step_quality() -> dict[str, float]:
    """Energy distances to held-out moons of the two tiny flows' samples: the first flow with 100 Euler
    steps and with one, the reflowed flow with one; and a Gaussian fitted to the data (1,000 points)."""
    data, first, second = tiny_flows()
    held_out = two_moons(1000, torch.Generator().manual_seed(10))
    x0 = torch.randn(1000, 2, generator=torch.Generator().manual_seed(11))
    result = {}
    for name, model, num_steps in [("euler_100", first, 100), ("euler_1", first, 1), ("reflow_1", second, 1)]:
        samples = euler(velocity_of(model), x0, num_steps)
        q = quality(samples, data, held_out, torch.Generator().manual_seed(3))
        result[name] = q.model
    result["gaussian"] = q.gaussian
    return result


def paths_before_and_after_reflow():
    """Paths from noise to two moons (Euler, 30 steps) of a flow, and of the same flow reflowed once."""
    data, first, second = tiny_flows()
    x0 = torch.randn(N_PATHS, 2, generator=torch.Generator().manual_seed(5))
    fig, axes = new_figure(1, 2, width=8.0, height=4.0, sharex=True, sharey=True)
    for ax, model, title in [(axes[0], first, "flow matching"), (axes[1], second, "after one reflow")]:
        draw_paths(ax, model, x0, data, title)
    axes[0].legend(loc="lower left", fontsize=9)
    return fig


def draw_paths(ax, model, x0, data, title: str) -> None:
    """One panel: the data in grey and the Euler paths (30 steps) of `model`'s flow from the noise
    `x0`, with their start and end points (shared with the OT flow-matching chapter's figure)."""
    path = euler(velocity_of(model), x0, 30, return_path=True)  # (31, N, 2)
    ax.scatter(data[:800, 0], data[:800, 1], s=2, color=PALETTE[7], alpha=0.35, linewidths=0)
    for k in range(x0.shape[0]):
        ax.plot(path[:, k, 0], path[:, k, 1], color=PALETTE[0], lw=0.8, alpha=0.7)
    ax.scatter(path[0, :, 0], path[0, :, 1], s=10, color=PALETTE[1], label="noise $x_0$", zorder=3)
    ax.scatter(path[-1, :, 0], path[-1, :, 1], s=10, color=PALETTE[2], label="sample $x_1$", zorder=3)
    ax.set_title(title)
    ax.set_aspect("equal")
    ax.set_xlim(-3.2, 3.2)
    ax.set_ylim(-3.2, 3.2)
