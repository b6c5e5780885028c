"""Figure and quoted numbers for the vae chapter (one small seeded VAE, trained in seconds)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from mlatlas.generative.toy_data import digits
from mlatlas.generative.vae import VAE, VAEConfig, evaluate, train_vae
from mlatlas.plotting import new_figure

CONFIG = VAEConfig(features=64, latent=8, hidden=128)
STEPS = 600


@lru_cache(maxsize=1)
def tiny_vae() -> VAE:
    return train_vae(STEPS, torch.Generator().manual_seed(0), CONFIG, lr=2e-3)


def vae_numbers() -> dict[str, float]:
    """Held-out ELBO and importance-weighted log p(x) (nats per digit), sample energy distances, and
    the ELBO of the same architecture before training."""
    result = evaluate(tiny_vae(), torch.Generator().manual_seed(1))
    torch.manual_seed(0)
    untrained = VAE(CONFIG)
    with torch.no_grad():
        result["untrained_elbo"] = float(
            untrained.elbo(digits("test"), torch.Generator().manual_seed(2)).mean()
        )
    result["steps"] = STEPS
    return result


def _grid(images: torch.Tensor, rows: int = 5, cols: int = 6) -> np.ndarray:
    """(rows·cols, 64) images -> one (rows·9, cols·9) mosaic with 1-pixel gaps."""
    mosaic = np.full((rows * 9, cols * 9), np.nan)
    for k in range(rows * cols):
        r, c = divmod(k, cols)
        mosaic[r * 9 : r * 9 + 8, c * 9 : c * 9 + 8] = images[k].reshape(8, 8).clamp(0, 1).numpy()
    return mosaic


def real_and_generated():
    """Left: held-out digits. Right: decoder means of the small VAE at z ~ N(0, I)."""
    model = tiny_vae()
    samples = model.sample(30, torch.Generator().manual_seed(4))
    fig, (left, right) = new_figure(1, 2, width=7.0, height=3.3)
    for ax, images, title in [
        (left, digits("test")[:30], "held-out digits"),
        (right, samples, "VAE samples"),
    ]:
        ax.imshow(_grid(images), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(title)
        ax.axis("off")
    return fig
