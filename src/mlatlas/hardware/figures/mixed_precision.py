"""Figures for the mixed-precision chapter: where fp16 loses gradients, and a dynamic loss scale at work."""

from __future__ import annotations

import math

import numpy as np
import torch

from mlatlas.hardware.mixed_precision import (
    FP16_MAX,
    FP16_MIN_NORMAL,
    FP16_MIN_SUBNORMAL,
    activation_gradients,
    fp16_fate,
    train_fp16_with_loss_scaling,
)
from mlatlas.plotting import PALETTE, new_figure


def fp16_underflow():
    """Left: magnitudes of a small MLP's activation gradients against fp16's range. Right: the
    fraction flushed to zero, left subnormal, or overflowed, as the loss scale S grows."""
    g = activation_gradients()
    log2_g = np.log2(g.abs().numpy())
    fig, (left, right) = new_figure(1, 2, width=9.0, height=3.4)
    left.hist(log2_g, bins=np.arange(-34, 4, 0.5), color=PALETTE[0], alpha=0.7)
    lo, mid, hi = math.log2(FP16_MIN_SUBNORMAL), math.log2(FP16_MIN_NORMAL), math.log2(FP16_MAX)
    left.axvspan(-34, lo - 1, color=PALETTE[3], alpha=0.2, label="rounds to 0 in fp16")
    left.axvspan(lo - 1, mid, color=PALETTE[5], alpha=0.2, label="subnormal: < 11 bits kept")
    left.axvline(hi, color=PALETTE[3], linewidth=1)
    left.set_xlim(-34, 17)
    left.set_xlabel("log₂ |gradient|")
    left.set_ylabel("count")
    left.set_title("activation gradients, S = 1", fontsize=9)
    left.text(hi - 0.5, left.get_ylim()[1] * 0.8, "fp16 max", ha="right", fontsize=7)
    left.legend(fontsize=7, loc="upper left")
    exponents = np.arange(0, 41, 2)
    fates = [fp16_fate(g, 2.0**k) for k in exponents]
    right.plot(exponents, [f.zero for f in fates], color=PALETTE[3], label="flushed to 0")
    right.plot(exponents, [f.subnormal for f in fates], color=PALETTE[5], label="subnormal")
    right.plot(exponents, [f.overflow for f in fates], color=PALETTE[4], label="overflow (inf)")
    right.set_xlabel("loss scale S = 2ᵏ, k")
    right.set_ylabel("fraction of gradients")
    right.set_title("what a loss scale does", fontsize=9)
    right.grid(True)
    right.legend(fontsize=7)
    return fig


def loss_scale_history():
    """The scale S over 60 steps of fp16 training on CPU (growth every 4 clean steps, halve on
    overflow): it climbs until a gradient overflows, then settles in a saw-tooth below the edge."""
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(32, 8, generator=g), torch.randn(32, 1, generator=g)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    run = train_fp16_with_loss_scaling(model, lambda m: torch.nn.functional.mse_loss(m(x), y), 60, lr=0.05,
                                       init_scale=2.0**10, growth_interval=4)  # fmt: skip
    steps = np.arange(len(run.scales))
    fig, ax = new_figure(width=6.4, height=2.8)
    ax.step(steps, np.log2(run.scales), where="post", color=PALETTE[0], label="log₂ S")
    skipped = [s for s, flag in zip(steps, run.skipped) if flag]
    ax.plot(skipped, [math.log2(run.scales[s]) for s in skipped], "x", color=PALETTE[3], markersize=7,
            label="overflow: step skipped")  # fmt: skip
    ax.set_xlabel("step")
    ax.set_ylabel("log₂ S")
    ax.grid(True)
    ax.legend(fontsize=7, loc="lower right")
    return fig
