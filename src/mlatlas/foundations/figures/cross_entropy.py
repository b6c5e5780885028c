"""Figures for the cross-entropy chapter."""

from __future__ import annotations

import numpy as np
import torch

from mlatlas.foundations.cross_entropy import cross_entropy, cross_entropy_grad, optimal_logit_gap
from mlatlas.plotting import PALETTE, new_figure

K = 5


def label_smoothing_curves():
    """Loss and true-class gradient as the true logit pulls ahead of four others, for eps = 0, 0.1, 0.2."""
    gaps = np.linspace(-4.0, 12.0, 321)
    z = torch.zeros(len(gaps), K, dtype=torch.float64)
    z[:, 0] = torch.from_numpy(gaps)  # logits (m, 0, 0, 0, 0): the true class leads by m   (321, K)
    target = torch.zeros(len(gaps), dtype=torch.long)

    fig, (ax_loss, ax_grad) = new_figure(1, 2, width=8.0, height=3.4)
    for k, eps in enumerate([0.0, 0.1, 0.2]):
        loss = cross_entropy(z, target, label_smoothing=eps, reduction="none").numpy()
        grad = cross_entropy_grad(z, target, label_smoothing=eps, reduction="sum")[:, 0].numpy()
        label = "no smoothing" if eps == 0 else f"ε = {eps:g}"
        ax_loss.plot(gaps, loss, color=PALETTE[k], label=label)
        ax_grad.plot(gaps, grad, color=PALETTE[k], label=label)
        if eps > 0:
            m = optimal_logit_gap(K, eps)
            zm = torch.zeros(1, K, dtype=torch.float64)
            zm[0, 0] = m
            ax_loss.plot([m], [cross_entropy(zm, target[:1], label_smoothing=eps).item()], "o",
                         color=PALETTE[k], markersize=5)
            ax_grad.axvline(m, color=PALETTE[k], linestyle=":", linewidth=1)
    ax_loss.set(xlabel="true-class logit lead m", ylabel="cross-entropy (nats)", ylim=(0, 6),
                title="loss: smoothing gives a finite minimum")
    ax_grad.axhline(0, color=PALETTE[7], linewidth=0.8)
    ax_grad.set(xlabel="true-class logit lead m", ylabel=r"$\partial L / \partial z_{\mathrm{true}} = p - y$",
                title="gradient on the true logit")
    ax_loss.legend(fontsize=8)
    ax_grad.legend(fontsize=8, loc="lower right")
    return fig
