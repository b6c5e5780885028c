"""Figures for the rlhf-and-alignment chapter."""

from __future__ import annotations

import numpy as np

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.rlhf_and_alignment import run_alignment


def policies_vs_optimum():
    """π_ref, PPO, DPO and the closed-form optimum π* over the 12 responses, sorted by true reward."""
    run = run_alignment()
    order = np.argsort(run.true_reward.numpy())
    fig, (ax_r, ax_p) = new_figure(1, 2, width=8.0, height=3.4, gridspec_kw={"width_ratios": [1, 2.2]})
    x = np.arange(len(order))
    ax_r.bar(x, run.true_reward.numpy()[order], color=PALETTE[7], label="true reward")
    ax_r.plot(
        x,
        run.learned_reward.numpy()[order] + run.true_reward.mean().item(),
        "o",
        color=PALETTE[1],
        ms=4,
        label="reward model (shifted)",
    )
    ax_r.set_xlabel("response (sorted by true reward)")
    ax_r.set_title("reward")
    ax_r.legend(fontsize=8)
    w = 0.2
    series = [
        ("SFT π_ref", run.ref_probs, PALETTE[7]),
        ("PPO", run.ppo_probs, PALETTE[0]),
        ("DPO", run.dpo_probs, PALETTE[2]),
        (r"$\pi^* \propto \pi_{\mathrm{ref}}\, e^{r/\beta}$", run.optimum, PALETTE[3]),
    ]
    for i, (name, p, c) in enumerate(series):
        ax_p.bar(x + (i - 1.5) * w, p.numpy()[order], width=w, color=c, label=name)
    ax_p.set_xlabel("response (sorted by true reward)")
    ax_p.set_ylabel("probability")
    ax_p.set_title(f"policies, β = {run.beta:g}")
    ax_p.legend(fontsize=8)
    for ax in (ax_r, ax_p):
        ax.set_xticks([])
    return fig
