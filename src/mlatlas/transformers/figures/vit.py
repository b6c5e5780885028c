"""Figure for the vit chapter: a digit cut into patches, and the token sequence it becomes."""

from __future__ import annotations

import numpy as np

from mlatlas.plotting import PALETTE, new_figure


def patches_of_a_digit():
    """An 8×8 digit from scikit-learn's bundled set, its 2×2 patch grid, and the 16 flattened patches."""
    import torch
    from sklearn.datasets import load_digits  # bundled: no download

    from mlatlas.transformers.vit import patchify

    img = load_digits().images[0] / 16.0  # (8, 8) a zero
    patches = patchify(torch.tensor(img)[None, None], 2)[0].numpy()  # (16, 4)
    fig, (ax_i, ax_s) = new_figure(1, 2, width=7.6, height=3.2, gridspec_kw={"width_ratios": [1, 2.2]})
    ax_i.imshow(img, cmap="Greys", vmin=0, vmax=1)
    for k in range(1, 4):
        ax_i.axhline(2 * k - 0.5, color=PALETTE[0], lw=1.2)
        ax_i.axvline(2 * k - 0.5, color=PALETTE[0], lw=1.2)
    for n in range(16):
        ax_i.text(
            (n % 4) * 2 + 0.5,
            (n // 4) * 2 + 0.5,
            str(n + 1),
            color=PALETTE[1],
            fontsize=8,
            ha="center",
            va="center",
        )
    ax_i.set_title("8×8 image, 2×2 patches")
    ax_i.set_xticks([])
    ax_i.set_yticks([])
    seq = np.concatenate([np.full((1, 4), np.nan), patches], axis=0).T  # (4, 17): [class] + 16 patches
    ax_s.imshow(seq, cmap="Greys", vmin=0, vmax=1, aspect="auto")
    ax_s.set_xticks(range(17), ["cls"] + [str(n) for n in range(1, 17)], fontsize=7)
    ax_s.set_yticks(range(4), ["p₁", "p₂", "p₃", "p₄"])
    ax_s.set_title("[class] + 16 flattened patches (one column each)")
    return fig
