"""Figure for the state-space-models chapter: the convolution kernel of a diagonal SSM by step size."""

from __future__ import annotations

import numpy as np
import torch

from mlatlas.deep_learning.state_space_models import discretize_zoh, ssm_kernel
from mlatlas.plotting import PALETTE, new_figure


def kernel_by_step_size(n: int = 16, length: int = 200):
    """K_k = C A_bar^k B_bar for S4D-real A_n = -(n + 1), B = 1, C = 1 / N, at three step sizes."""
    a = -torch.arange(1, n + 1, dtype=torch.float64)  # S4D-real: A_n = -(n + 1)
    b = torch.ones(n, dtype=torch.float64)
    c = torch.full((n,), 1.0 / n, dtype=torch.float64)
    fig, ax = new_figure(width=6.4, height=3.6)
    for delta, color in zip((0.3, 0.03, 0.003), PALETTE):
        a_bar, b_bar = discretize_zoh(a, b, delta)
        kernel = ssm_kernel(a_bar, b_bar, c, length).numpy()
        ax.plot(np.arange(length), kernel / kernel[0], color=color, label=f"Δ = {delta}")
    ax.set_xlabel("lag k (steps)")
    ax.set_ylabel("K_k / K_0")
    ax.set_title("A diagonal SSM is a long causal convolution; Δ sets its reach")
    ax.legend()
    ax.grid(True)
    return fig
