"""Data sets for the generative book: two moons, the 8×8 digits, and Gaussian mixtures whose
density, score and noised versions are known in closed form (the references the tests need).

Shape legend: B batch (samples), F features, K mixture components.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

# two moons are drawn roughly centred and scaled to unit variance per axis
MOONS_CENTRE = (0.5, 0.25)
MOONS_SCALE = (0.87, 0.5)


def two_moons(n: int, generator: torch.Generator, noise: float = 0.05) -> Tensor:
    """n points on two interleaved half circles (as scikit-learn's make_moons), (n, 2) float32.

    Angles are uniform on [0, π] (make_moons spaces them evenly); Gaussian noise of std ``noise`` is
    added before centring and scaling to roughly zero mean and unit variance per axis.
    """
    if n < 2:
        raise ValueError(f"ask for at least 2 points, got n={n}")
    n_outer = n // 2
    theta = math.pi * torch.rand(n, generator=generator)
    outer = torch.stack([theta.cos(), theta.sin()], dim=1)[:n_outer]  # (n_outer, 2)
    inner = torch.stack([1 - theta.cos(), 0.5 - theta.sin()], dim=1)[n_outer:]  # (n - n_outer, 2)
    x = torch.cat([outer, inner]) + noise * torch.randn(n, 2, generator=generator)
    x = (x - torch.tensor(MOONS_CENTRE)) / torch.tensor(MOONS_SCALE)
    return x[torch.randperm(n, generator=generator)]


def digits(split: str = "train") -> Tensor:
    """scikit-learn's bundled 8×8 digits as (N, 64) float32 in [0, 1]; the first 1,500 are 'train',
    the other 297 'test'."""
    from sklearn.datasets import load_digits

    x = torch.tensor(load_digits().data, dtype=torch.float32) / 16.0  # (1797, 64)
    if split == "train":
        return x[:1500]
    if split == "test":
        return x[1500:]
    raise ValueError(f"split must be 'train' or 'test', got {split!r}")


@dataclass(frozen=True)
class GaussianMixture:
    """p(x) = Σ_k w_k N(x; μ_k, σ_k² I): weights (K,), means (K, F), stds (K,). Any dtype."""

    weights: Tensor
    means: Tensor
    stds: Tensor

    def __post_init__(self):
        K = self.weights.shape[0]
        if self.means.ndim != 2 or self.means.shape[0] != K or self.stds.shape != (K,):
            raise ValueError("weights (K,), means (K, F) and stds (K,) must agree on K")
        if torch.any(self.stds <= 0) or torch.any(self.weights < 0):
            raise ValueError("stds must be positive and weights non-negative")

    @property
    def features(self) -> int:
        return self.means.shape[1]

    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        k = torch.multinomial(self.weights / self.weights.sum(), n, replacement=True, generator=generator)
        z = torch.randn(n, self.features, generator=generator, dtype=self.means.dtype)
        return self.means[k] + self.stds[k, None] * z  # (B, F)

    def _component_log_probs(self, x: Tensor) -> Tensor:
        d2 = ((x[:, None, :] - self.means[None]) ** 2).sum(-1)  # (B, K) squared distances
        var = self.stds**2
        return (
            (self.weights / self.weights.sum()).log()
            - 0.5 * d2 / var
            - 0.5 * self.features * torch.log(2 * math.pi * var)
        )  # (B, K) log w_k N(x; μ_k, σ_k²)

    def log_prob(self, x: Tensor) -> Tensor:
        return torch.logsumexp(self._component_log_probs(x), dim=1)  # (B,)

    def score(self, x: Tensor) -> Tensor:
        """∇_x log p(x) = Σ_k r_k(x) (μ_k - x) / σ_k², r the posterior responsibilities; (B, F)."""
        r = torch.softmax(self._component_log_probs(x), dim=1)  # (B, K)
        return (r[:, :, None] * (self.means[None] - x[:, None, :]) / (self.stds**2)[None, :, None]).sum(1)

    def scaled_and_noised(self, scale: float | Tensor, noise_std: float | Tensor) -> GaussianMixture:
        """The law of  scale·X + noise_std·Z  (X ~ self, Z ~ N(0, I)): again a mixture, with means
        scale·μ_k and variances scale²σ_k² + noise_std². Diffusion marginals q(x_t) are this."""
        scale = torch.as_tensor(scale, dtype=self.means.dtype)
        noise_std = torch.as_tensor(noise_std, dtype=self.means.dtype)
        return GaussianMixture(
            self.weights, scale * self.means, torch.sqrt((scale * self.stds) ** 2 + noise_std**2)
        )


def eight_gaussians(
    dtype: torch.dtype = torch.float64, radius: float = 2.0, std: float = 0.25
) -> GaussianMixture:
    """Eight equal Gaussians on a circle: the 2-D mixture of the score-matching chapter."""
    angles = torch.arange(8, dtype=dtype) * (2 * math.pi / 8)
    means = radius * torch.stack([angles.cos(), angles.sin()], dim=1)  # (8, 2)
    return GaussianMixture(torch.full((8,), 1 / 8, dtype=dtype), means, torch.full((8,), std, dtype=dtype))


def bimodal_1d(dtype: torch.dtype = torch.float64) -> GaussianMixture:
    """A lopsided two-component 1-D mixture (weights 0.3 / 0.7) for the DDPM exact-score test."""
    return GaussianMixture(
        torch.tensor([0.3, 0.7], dtype=dtype),
        torch.tensor([[-1.5], [1.0]], dtype=dtype),
        torch.tensor([0.3, 0.5], dtype=dtype),
    )
