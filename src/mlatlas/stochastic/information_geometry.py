"""Information geometry: the Fisher information metric and the natural gradient, on the Gaussian family.

Papers: C. R. Rao (1945), "Information and the accuracy attainable in the estimation of statistical
parameters", Bull. Calcutta Math. Soc. 37; S. Amari (1998), "Natural Gradient Works Efficiently in
Learning", Neural Computation 10(2); J. Martens (2014), "New insights and perspectives on the
natural gradient method", arXiv:1412.1193.

The Fisher information F(theta) = E[score score^T] measures how much the distribution changes when
the parameters move: it is the curvature of the KL divergence. Preconditioning the gradient by F^{-1}
gives steepest descent measured in distribution space, a direction that no smooth reparametrisation
changes (a finite step agrees across parametrisations to first order in the step size only).

Parameters of N(mu, sigma^2) are a (2,) float64 tensor (distances and KL also broadcast over
(..., 2)) in one of two parametrisations:
``"mu_sigma"`` theta = (mu, sigma), or ``"mu_log_sigma"`` theta = (mu, log sigma).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

PARAMETRIZATIONS = ("mu_sigma", "mu_log_sigma")


def _mu_sigma(theta: torch.Tensor, parametrization: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(mu, sigma) from theta in the named parametrisation."""
    if parametrization not in PARAMETRIZATIONS:
        raise ValueError(f"parametrization must be one of {PARAMETRIZATIONS}; got {parametrization!r}")
    if theta.ndim < 1 or theta.shape[-1] != 2:
        raise ValueError(
            f"theta must have shape (..., 2) for (mu, sigma) or (mu, log sigma); got {tuple(theta.shape)}"
        )
    mu, second = theta[..., 0], theta[..., 1]
    if parametrization == "mu_sigma":
        if torch.any(second <= 0):
            raise ValueError(f"sigma must be positive; got {second.min().item()}")
        return mu, second
    return mu, torch.exp(second)


def gaussian_log_prob(
    x: torch.Tensor, theta: torch.Tensor, parametrization: str = "mu_sigma"
) -> torch.Tensor:
    """log N(x | mu, sigma^2) = -log sigma - (x - mu)^2 / (2 sigma^2) - log(2 pi) / 2, elementwise."""
    mu, sigma = _mu_sigma(theta, parametrization)
    return -torch.log(sigma) - (x - mu) ** 2 / (2 * sigma**2) - 0.5 * math.log(2 * math.pi)


def fisher_gaussian(theta: torch.Tensor, parametrization: str = "mu_sigma") -> torch.Tensor:
    """The Fisher information of N(mu, sigma^2), in closed form. Shape (2, 2).

    (mu, sigma):     F = diag(1 / sigma^2, 2 / sigma^2)
    (mu, log sigma): F = diag(1 / sigma^2, 2)      (= J^T F_(mu, sigma) J with J = diag(1, sigma))
    Off-diagonals vanish because E[(x - mu)^3] = 0.
    """
    if theta.shape != (2,):
        raise ValueError(f"theta must have shape (2,) here; got {tuple(theta.shape)}")
    _, sigma = _mu_sigma(theta, parametrization)
    second = 2.0 / sigma**2 if parametrization == "mu_sigma" else torch.tensor(2.0, dtype=theta.dtype)
    return torch.diag(torch.stack([1.0 / sigma**2, second]))


def score(x: torch.Tensor, theta: torch.Tensor, parametrization: str = "mu_sigma") -> torch.Tensor:
    """The score d/dtheta log p(x | theta) for every sample, by autograd. x: (N,) -> (N, 2)."""
    theta = theta.detach().requires_grad_(True)
    logp = gaussian_log_prob(x, theta, parametrization)  # (N,)
    rows = [torch.autograd.grad(lp, theta, retain_graph=True)[0] for lp in logp]
    return torch.stack(rows)  # (N, 2)


def fisher_monte_carlo(
    theta: torch.Tensor, n: int, generator: torch.Generator, parametrization: str = "mu_sigma"
) -> torch.Tensor:
    """F ≈ (1/n) sum_i s(x_i) s(x_i)^T with x_i ~ p_theta: the definition, estimated by sampling. (2, 2).

    Uses the closed-form score of the Gaussian, s = ((x - mu)/sigma^2, -1/sigma + (x - mu)^2/sigma^3)
    for (mu, sigma), times the Jacobian diag(1, sigma) for (mu, log sigma).
    """
    mu, sigma = _mu_sigma(theta, parametrization)
    x = mu + sigma * torch.randn(n, generator=generator, dtype=theta.dtype)  # (n,)
    s = torch.stack([(x - mu) / sigma**2, -1.0 / sigma + (x - mu) ** 2 / sigma**3], dim=1)  # (n, 2)
    if parametrization == "mu_log_sigma":
        s = s * torch.stack([torch.ones_like(sigma), sigma])  # chain rule: d/d(log sigma) = sigma d/dsigma
    return s.T @ s / n


def gaussian_kl(
    theta_p: torch.Tensor, theta_q: torch.Tensor, parametrization: str = "mu_sigma"
) -> torch.Tensor:
    """KL(p || q) = log(sigma_q / sigma_p) + (sigma_p^2 + (mu_p - mu_q)^2) / (2 sigma_q^2) - 1/2."""
    mu_p, s_p = _mu_sigma(theta_p, parametrization)
    mu_q, s_q = _mu_sigma(theta_q, parametrization)
    return torch.log(s_q / s_p) + (s_p**2 + (mu_p - mu_q) ** 2) / (2 * s_q**2) - 0.5


def fisher_rao_distance(
    theta_p: torch.Tensor, theta_q: torch.Tensor, parametrization: str = "mu_sigma"
) -> torch.Tensor:
    """Geodesic distance of the Fisher metric between two Gaussians (Atkinson & Mitchell 1981).

    ds^2 = (dmu^2 + 2 dsigma^2) / sigma^2 is twice the hyperbolic half-plane metric in (mu/√2, sigma):
    d = √2 arccosh(1 + ((mu_p - mu_q)^2 / 2 + (sigma_p - sigma_q)^2) / (2 sigma_p sigma_q)).
    """
    mu_p, s_p = _mu_sigma(theta_p, parametrization)
    mu_q, s_q = _mu_sigma(theta_q, parametrization)
    eps = ((mu_p - mu_q) ** 2 / 2 + (s_p - s_q) ** 2) / (2 * s_p * s_q)
    # arccosh(1 + eps) = log1p(eps + sqrt(eps (2 + eps))): forming 1 + eps first would lose the
    # digits of a small eps, exactly where the distance should match the local Fisher metric.
    return math.sqrt(2.0) * torch.log1p(eps + torch.sqrt(eps * (2 + eps)))


def mean_nll(x: torch.Tensor, theta: torch.Tensor, parametrization: str = "mu_sigma") -> torch.Tensor:
    """The loss we fit: L(theta) = -(1/N) sum_i log N(x_i | theta)."""
    return -gaussian_log_prob(x, theta, parametrization).mean()


def natural_gradient(
    x: torch.Tensor, theta: torch.Tensor, parametrization: str = "mu_sigma"
) -> tuple[torch.Tensor, torch.Tensor]:
    """(plain gradient g, natural gradient F(theta)^{-1} g) of the mean NLL at theta (Amari 1998)."""
    theta = theta.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(mean_nll(x, theta, parametrization), theta)  # dL/dtheta
    nat = torch.linalg.solve(fisher_gaussian(theta.detach(), parametrization), g)  # F^{-1} g
    return g, nat


@dataclass(frozen=True)
class FitPath:
    thetas: torch.Tensor  # (S + 1, 2) parameters after each step (row 0 = start)
    losses: torch.Tensor  # (S + 1,)   mean NLL at each row


def fit_gaussian(
    x: torch.Tensor,
    theta0: torch.Tensor,
    *,
    lr: float,
    n_steps: int,
    natural: bool,
    parametrization: str = "mu_sigma",
) -> FitPath:
    """Gradient descent on the mean NLL: theta <- theta - lr * g (plain) or theta - lr * F^{-1} g (natural).

    With natural=True and lr=1 in (mu, sigma), one step sends mu to the sample mean m and sigma to
    (sigma + v / sigma) / 2 with v = s^2 + (m - mu)^2: Newton's square-root iteration, so sigma
    converges quadratically to the maximum-likelihood value.
    """
    x = torch.as_tensor(x, dtype=torch.float64)
    if x.ndim != 1 or x.numel() < 2:
        raise ValueError(f"x must be a 1-D sample of at least two points; got shape {tuple(x.shape)}")
    if lr <= 0 or n_steps < 0:
        raise ValueError(f"need lr > 0 and n_steps >= 0; got lr={lr}, n_steps={n_steps}")
    theta = theta0.detach().to(torch.float64).clone()
    _mu_sigma(theta, parametrization)  # validates the start
    thetas = [theta]
    losses = [mean_nll(x, theta, parametrization).detach()]
    for _ in range(n_steps):
        g, nat = natural_gradient(x, theta, parametrization)
        theta = theta - lr * (nat if natural else g)
        if parametrization == "mu_sigma" and theta[1] <= 0:
            raise ValueError(
                "a step made sigma non-positive; lower lr (plain gradient steps scale as 1/sigma^2)"
            )
        thetas.append(theta)
        losses.append(mean_nll(x, theta, parametrization).detach())
    return FitPath(thetas=torch.stack(thetas), losses=torch.stack(losses))
