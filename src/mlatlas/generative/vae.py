"""Variational autoencoders: the evidence lower bound and the reparameterisation trick.

Paper: Kingma, Welling (2014), "Auto-Encoding Variational Bayes", arXiv:1312.6114.
A decoder p(x | z) turns a latent z ~ N(0, I) into data; an encoder q(z | x) guesses which z made x.
Both are trained together by maximising a lower bound on log p(x) whose gradient flows through the
sampling step because z is written as μ + σ ε.

    log p(x) ≥ ELBO = E_{q(z|x)}[log p(x | z)] - KL(q(z | x) || p(z))          (Kingma & Welling eq. 3)
    z = μ(x) + σ(x) ⊙ ε,  ε ~ N(0, I)                                         (reparameterisation, §2.4)
    KL(N(μ, σ²) || N(0, 1)) = -½ Σ (1 + log σ² - μ² - σ²)                      (Appendix B)
Importance-weighted bound (Burda, Grosse, Salakhutdinov 2016, arXiv:1509.00519, §3):
    log p(x) ≈ log (1/K) Σ_k p(x, z_k) / q(z_k | x),  z_k ~ q(z | x)
Shape legend: B batch, F features (pixels), L latent dimensions, K samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mlatlas.generative.distances import energy_distance, fitted_gaussian_samples
from mlatlas.generative.toy_data import digits
from mlatlas.generative.training import train

Encoder = Callable[[Tensor], tuple[Tensor, Tensor]]  # x (B, F) -> μ (B, L), log σ² (B, L)
Decoder = Callable[[Tensor], Tensor]  # z (..., L) -> mean of p(x | z) (..., F)


def gaussian_kl(
    mu_q: Tensor, logvar_q: Tensor, mu_p: Tensor | float = 0.0, logvar_p: Tensor | float = 0.0
) -> Tensor:
    """KL(N(μ_q, diag σ_q²) || N(μ_p, diag σ_p²)) summed over the last axis: (..., L) -> (...)."""
    mu_p, logvar_p = torch.as_tensor(mu_p, dtype=mu_q.dtype), torch.as_tensor(logvar_p, dtype=mu_q.dtype)
    return 0.5 * (logvar_p - logvar_q + (logvar_q.exp() + (mu_q - mu_p) ** 2) / logvar_p.exp() - 1).sum(-1)


def reparameterise(mu: Tensor, logvar: Tensor, eps: Tensor) -> Tensor:
    """z = μ + σ ε: a sample of q whose randomness sits in ε, so gradients reach μ and σ."""
    return mu + (0.5 * logvar).exp() * eps


def gaussian_log_likelihood(x: Tensor, mean: Tensor, log_sigma2: Tensor) -> Tensor:
    """log N(x; mean, σ² I) summed over features: (..., F) -> (...)."""
    return -0.5 * (math.log(2 * math.pi) + log_sigma2 + (x - mean) ** 2 / log_sigma2.exp()).sum(-1)


def elbo(x: Tensor, encode: Encoder, decode: Decoder, log_sigma2: Tensor, eps: Tensor) -> Tensor:
    """Per-example ELBO (B,), reconstruction term averaged over the K noise draws eps (K, B, L)."""
    mu, logvar = encode(x)  # (B, L), (B, L)
    if eps.ndim != 3 or eps.shape[1:] != mu.shape:
        raise ValueError(f"eps must be (K, B, L) = (K, {mu.shape[0]}, {mu.shape[1]}), got {tuple(eps.shape)}")
    z = reparameterise(mu, logvar, eps)  # (K, B, L)
    reconstruction = gaussian_log_likelihood(x, decode(z), log_sigma2).mean(0)  # E_q log p(x | z), (B,)
    return reconstruction - gaussian_kl(mu, logvar)  # eq. 3 with the analytic KL to N(0, I)


def importance_log_likelihood(
    x: Tensor, encode: Encoder, decode: Decoder, log_sigma2: Tensor, eps: Tensor
) -> Tensor:
    """log (1/K) Σ_k p(x, z_k) / q(z_k | x), z_k = μ + σ ε_k: a tighter bound, (B,). eps: (K, B, L)."""
    mu, logvar = encode(x)
    z = reparameterise(mu, logvar, eps)  # (K, B, L)
    log_prior = -0.5 * (z**2 + math.log(2 * math.pi)).sum(-1)  # log N(z; 0, I), (K, B)
    log_q = -0.5 * (eps**2 + math.log(2 * math.pi) + logvar).sum(-1)  # log q(z | x), (K, B)
    log_w = gaussian_log_likelihood(x, decode(z), log_sigma2) + log_prior - log_q  # (K, B)
    return torch.logsumexp(log_w, dim=0) - math.log(eps.shape[0])


@dataclass
class VAEConfig:
    features: int = 64  # F, 8×8 pixels
    latent: int = 8  # L
    hidden: int = 256


class VAE(nn.Module):
    """MLP encoder x -> (μ, log σ²) and decoder z -> mean; one learned decoder variance σ² for all pixels."""

    def __init__(self, config: VAEConfig):
        super().__init__()
        self.config = config
        c = config
        self.encoder = nn.Sequential(
            nn.Linear(c.features, c.hidden),
            nn.SiLU(),
            nn.Linear(c.hidden, c.hidden),
            nn.SiLU(),
            nn.Linear(c.hidden, 2 * c.latent),
        )
        self.decoder = nn.Sequential(
            nn.Linear(c.latent, c.hidden),
            nn.SiLU(),
            nn.Linear(c.hidden, c.hidden),
            nn.SiLU(),
            nn.Linear(c.hidden, c.features),
        )
        # decoder noise variance σ², learned; started at 0.1² (about the pixel noise of a good fit) so
        # the reconstruction term is not drowned by the KL at the start (which collapses the encoder)
        self.log_sigma2 = nn.Parameter(torch.tensor(math.log(0.01)))

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=-1)  # (B, L) each
        return mu, logvar

    def decode(self, z: Tensor) -> Tensor:
        return self.decoder(z)

    def elbo(self, x: Tensor, generator: torch.Generator, num_samples: int = 1) -> Tensor:
        eps = torch.randn(num_samples, x.shape[0], self.config.latent, generator=generator, dtype=x.dtype)
        return elbo(x, self.encode, self.decode, self.log_sigma2, eps)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """Decoder means at z ~ N(0, I): the usual way to show a Gaussian VAE's samples (B, F)."""
        return self.decode(torch.randn(n, self.config.latent, generator=generator))


def vae_loss(model: VAE, x: Tensor, generator: torch.Generator) -> Tensor:
    """Negative ELBO per example, averaged over the batch (one noise draw per example)."""
    return -model.elbo(x, generator).mean()


def train_vae(
    steps: int, generator: torch.Generator, config: VAEConfig | None = None, lr: float = 1e-3
) -> VAE:
    """Train on the 1,500 training digits (seeded by ``generator``)."""
    torch.manual_seed(int(torch.randint(2**31, (1,), generator=generator)))  # network initialisation
    model = VAE(config or VAEConfig())
    train(model, vae_loss, digits("train"), steps=steps, batch_size=128, lr=lr, generator=generator)
    return model


def evaluate(model: VAE, generator: torch.Generator, num_importance: int = 200) -> dict[str, float]:
    """Held-out digits: ELBO and importance-weighted log-likelihood (nats per digit), and the energy
    distances of samples (and of a fitted Gaussian's samples) to the test digits."""
    train_x, test_x = digits("train"), digits("test")
    with torch.no_grad():
        eps = torch.randn(num_importance, test_x.shape[0], model.config.latent, generator=generator)
        held_out_elbo = model.elbo(test_x, generator, num_samples=16).mean()
        iwae = importance_log_likelihood(test_x, model.encode, model.decode, model.log_sigma2, eps).mean()
        samples = model.sample(test_x.shape[0], generator)
    gaussian = fitted_gaussian_samples(train_x, test_x.shape[0], generator)
    return {
        "elbo": float(held_out_elbo),
        "log_likelihood": float(iwae),
        "energy": energy_distance(samples, test_x),
        "gaussian_energy": energy_distance(gaussian, test_x),
    }


def demo(steps: int = 6000) -> None:
    """Train the digit VAE and print held-out numbers next to a fitted Gaussian's (`mlatlas run vae`)."""
    model = train_vae(steps, torch.Generator().manual_seed(0))
    r = evaluate(model, torch.Generator().manual_seed(1))
    print(
        f"held-out digits, nats per digit: ELBO {r['elbo']:.1f}, importance-weighted log p(x) "
        f"{r['log_likelihood']:.1f} (K = 200)"
    )
    print(
        f"energy distance of 297 samples to the test digits: VAE {r['energy']:.3f}, "
        f"fitted Gaussian {r['gaussian_energy']:.3f}"
    )
