"""SimCLR: learn image features by telling two augmented views of one image apart from all others.

Paper: Ting Chen, Simon Kornblith, Mohammad Norouzi, Geoffrey Hinton (2020), "A Simple Framework for
Contrastive Learning of Visual Representations", arXiv:2002.05709.
Draw two random augmentations of every image in a batch, encode both (h = f(x)), project (z = g(h))
and train with NT-Xent: each view must find its twin among the 2B - 1 other views (eq. 1). The
features h, not z, are kept; a linear classifier on them ("linear probe") measures their quality.

Shapes: B batch, S image side (8), F feature width.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mlatlas.architectures.contrastive import nt_xent
from mlatlas.transformers.vit import load_digits_tensors


def random_resized_crop(images: Tensor, generator: torch.Generator, min_side: int = 5) -> Tensor:
    """Crop a random square of side min_side..S from each image and resize it back to S x S: (B, 1, S, S)."""
    b, _, s, _ = images.shape
    if not 1 <= min_side <= s:
        raise ValueError(f"min_side must be in [1, {s}]; got {min_side}")
    sides = torch.randint(min_side, s + 1, (b,), generator=generator)
    out = torch.empty_like(images)
    for i, side in enumerate(sides.tolist()):
        top, left = torch.randint(0, s - side + 1, (2,), generator=generator).tolist()
        crop = images[i : i + 1, :, top : top + side, left : left + side]  # (1, 1, side, side)
        out[i] = F.interpolate(crop, size=(s, s), mode="bilinear", align_corners=False)[0]
    return out


def augment(images: Tensor, generator: torch.Generator) -> Tensor:
    """SimCLR's recipe scaled to 8x8 grey digits: random crop and resize, then intensity jitter and noise.

    (The paper's colour distortion becomes a random contrast on one channel; its blur, pixel noise.)
    """
    x = random_resized_crop(images, generator)  # (B, 1, S, S)
    contrast = 0.6 + 0.8 * torch.rand(x.shape[0], 1, 1, 1, generator=generator)  # in [0.6, 1.4]
    x = x * contrast
    return x + 0.1 * torch.randn(x.shape, generator=generator)  # pixel noise


@dataclass
class SimCLRConfig:
    input_dim: int = 64  # S * S
    hidden_dim: int = 256
    feature_dim: int = 64  # F, the representation h kept after training
    projection_dim: int = 32  # z, where the loss is computed
    temperature: float = 0.5


class SimCLR(nn.Module):
    """h = f(x), an MLP encoder; z = g(h) = W2 ReLU(W1 h), the projection head (paper sec. 2.1)."""

    def __init__(self, cfg: SimCLRConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = nn.Sequential(
            nn.Flatten(),
            nn.Linear(cfg.input_dim, cfg.hidden_dim),
            nn.ReLU(),
            nn.Linear(cfg.hidden_dim, cfg.feature_dim),
            nn.ReLU(),
        )  # f: (B, 1, S, S) -> (B, F)
        self.projector = nn.Sequential(
            nn.Linear(cfg.feature_dim, cfg.feature_dim),
            nn.ReLU(),
            nn.Linear(cfg.feature_dim, cfg.projection_dim),
        )  # g

    def forward(self, view_a: Tensor, view_b: Tensor) -> Tensor:
        """NT-Xent of the two views' projections."""
        z_a = self.projector(self.encoder(view_a))  # (B, projection_dim)
        z_b = self.projector(self.encoder(view_b))
        return nt_xent(z_a, z_b, self.cfg.temperature)


def linear_probe_accuracy(
    train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray
) -> float:
    """Accuracy of a logistic regression fitted on frozen features (standardised)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    probe.fit(train_x, train_y)
    return float(probe.score(test_x, test_y))


@dataclass(frozen=True)
class ProbeResult:
    labels_per_class: int | None  # None: every training label
    raw_pixels: float
    random_encoder: float
    simclr: float


def few_labels(y: Tensor, per_class: int, generator: torch.Generator) -> Tensor:
    """Indices of per_class random examples of each class."""
    picks = []
    for c in range(int(y.max()) + 1):
        idx = torch.nonzero(y == c).flatten()
        picks.append(idx[torch.randperm(len(idx), generator=generator)[:per_class]])
    return torch.cat(picks)


def train_simclr(epochs: int = 30, batch_size: int = 256, seed: int = 0) -> tuple[SimCLR, list[float]]:
    """Train on the training digits with their labels thrown away; returns the model and epoch losses."""
    x_train, _, _, _ = load_digits_tensors(seed)
    torch.manual_seed(seed)
    model = SimCLR(SimCLRConfig())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for batch in torch.randperm(len(x_train), generator=g).split(batch_size):
            x = x_train[batch]
            loss = model(augment(x, g), augment(x, g))  # two views of every image
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(batch)
        losses.append(total / len(x_train))
    return model, losses


@torch.no_grad()
def probe_experiment(
    model: SimCLR, per_class: tuple[int | None, ...] = (5, None), seed: int = 0
) -> list[ProbeResult]:
    """Linear-probe accuracy on held-out digits: raw pixels, an untrained encoder, the SimCLR encoder."""
    x_train, y_train, x_test, y_test = load_digits_tensors(seed)
    torch.manual_seed(seed + 1)
    random_encoder = SimCLR(SimCLRConfig()).encoder.eval()
    model.eval()
    views = {
        "raw_pixels": (x_train.flatten(1), x_test.flatten(1)),
        "random_encoder": (random_encoder(x_train), random_encoder(x_test)),
        "simclr": (model.encoder(x_train), model.encoder(x_test)),
    }
    results = []
    for k in per_class:
        idx = (
            torch.arange(len(y_train))
            if k is None
            else few_labels(y_train, k, torch.Generator().manual_seed(seed))
        )
        acc = {
            name: linear_probe_accuracy(tr[idx].numpy(), y_train[idx].numpy(), te.numpy(), y_test.numpy())
            for name, (tr, te) in views.items()
        }
        results.append(ProbeResult(k, **acc))
    return results


def demo() -> None:
    """`mlatlas run simclr`: train SimCLR on unlabelled digits, then linear-probe with few and all labels."""
    model, losses = train_simclr()
    print(f"NT-Xent: epoch 1 {losses[0]:.3f} -> epoch {len(losses)} {losses[-1]:.3f}")
    for r in probe_experiment(model):
        labels = "all labels" if r.labels_per_class is None else f"{r.labels_per_class} labels/class"
        print(
            f"{labels:>14}  raw pixels {r.raw_pixels:.3f}  "
            f"random encoder {r.random_encoder:.3f}  SimCLR {r.simclr:.3f}"
        )
