"""Figure for the swin chapter: regular windows, shifted windows, and the mask that keeps them honest."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.swin import shifted_window_mask


def shifted_windows():
    """An 8×8 patch grid with 4×4 windows; the grid shifted by 2; the attention mask of the corner window."""
    H = W = 8
    M, s = 4, 2
    fig, axes = new_figure(1, 3, width=9.0, height=3.2)
    titles = [
        "W-MSA: regular 4×4 windows",
        "SW-MSA: shifted by 2 (colour = window after roll)",
        "mask inside the corner window",
    ]
    for ax, t in zip(axes, titles):
        ax.set_title(t, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    cmap = ListedColormap(PALETTE[:4])
    i, j = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    regular = (i // M) * 2 + (j // M)  # window id, 2×2 windows
    shifted = (((i - s) % H) // M) * 2 + (((j - s) % W) // M)  # which window a patch lands in after the roll
    axes[0].imshow(regular, cmap=cmap, vmin=-0.5, vmax=3.5, alpha=0.6)
    axes[1].imshow(shifted, cmap=cmap, vmin=-0.5, vmax=3.5, alpha=0.6)
    for k in (s, s + M):
        axes[1].axhline(k - 0.5, color=PALETTE[7], lw=1.5)
        axes[1].axvline(k - 0.5, color=PALETTE[7], lw=1.5)
    axes[0].axhline(M - 0.5, color=PALETTE[7], lw=1.5)
    axes[0].axvline(M - 0.5, color=PALETTE[7], lw=1.5)
    mask = shifted_window_mask(H, W, M, s)[-1].numpy()  # (16, 16): the bottom-right window after the roll
    axes[2].imshow(mask, cmap="Blues", vmin=0, vmax=1.2)
    axes[2].set_xlabel("key (16 tokens)")
    axes[2].set_ylabel("query")
    return fig
