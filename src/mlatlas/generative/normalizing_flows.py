"""Normalizing flows: an invertible network whose density is exact, by the change of variables.

Papers: Dinh, Sohl-Dickstein, Bengio (2017), "Density estimation using Real NVP", arXiv:1605.08803;
Papamakarios, Pavlakou, Murray (2017), "Masked Autoregressive Flow for Density Estimation",
arXiv:1705.07057; Germain, Gregor, Murray, Larochelle (2015), "MADE: Masked Autoencoder for
Distribution Estimation", arXiv:1502.03509.
Map data x to a Gaussian z = f(x) with a bijection built from layers whose Jacobian is triangular; the
density of x is then the Gaussian's density at f(x) times |det ∂f/∂x|, computed exactly.

    log p_X(x) = log p_Z(f(x)) + log |det ∂f(x)/∂x|                  (change of variables)
    f = f_K ∘ … ∘ f_1:  log |det ∂f/∂x| = Σ_k log |det ∂f_k/∂h_{k-1}|   (chain rule, determinants multiply)
    affine coupling, mask b:  y = b⊙x + (1-b)⊙(x⊙exp(s(b⊙x)) + t(b⊙x))  (RealNVP)
        log |det ∂y/∂x| = Σ_j (1-b_j) s_j(b⊙x);   x = b⊙y + (1-b)⊙((y - t(b⊙y))⊙exp(-s(b⊙y)))
    masked autoregressive layer (MAF):  u_i = (x_i - μ_i(x_{<i})) exp(-α_i(x_{<i}))
        log |det ∂u/∂x| = -Σ_i α_i;  inverse x_i = u_i exp(α_i) + μ_i, one coordinate after another
μ and α come from one MADE network (Germain et al.) whose weight masks let output i see only inputs
earlier in the layer's order. Where we depart from the papers: no batch normalisation and no
multi-scale architecture (2-D data needs neither), and each log-scale is a learned multiple of a tanh,
so that no early step can blow up exp(s).
Shape legend: B batch, F features.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F_
from torch import Tensor, nn

from mlatlas.generative.distances import quality
from mlatlas.generative.toy_data import two_moons
from mlatlas.generative.training import train


def standard_normal_log_prob(z: Tensor) -> Tensor:
    """log N(z; 0, I) summed over features: (B, F) -> (B,)."""
    return -0.5 * (z**2).sum(1) - 0.5 * z.shape[1] * math.log(2 * math.pi)


def _mlp(width_in: int, hidden: int, width_out: int) -> nn.Sequential:
    net = nn.Sequential(
        nn.Linear(width_in, hidden),
        nn.SiLU(),
        nn.Linear(hidden, hidden),
        nn.SiLU(),
        nn.Linear(hidden, width_out),
    )
    nn.init.zeros_(net[-1].weight)  # each layer starts as the identity map
    nn.init.zeros_(net[-1].bias)
    return net


class AffineCoupling(nn.Module):
    """RealNVP's affine coupling: coordinates where mask b = 1 pass through and set the scale and
    shift of the others. x (B, F) -> (y (B, F), log|det| (B,)); ``inverse`` undoes it exactly."""

    def __init__(self, mask: Tensor, hidden: int):
        super().__init__()
        if mask.ndim != 1 or not torch.all((mask == 0) | (mask == 1)) or int(mask.sum()) in (0, mask.numel()):
            raise ValueError(f"mask must be a 1-D 0/1 tensor with both values present, got {mask.tolist()}")
        features = mask.numel()
        self.register_buffer("mask", mask.float())
        self.net = _mlp(features, hidden, 2 * features)  # b⊙x -> (s, t)
        self.scale = nn.Parameter(torch.ones(features))  # s = scale · tanh(raw)

    def _scale_and_shift(self, x_kept: Tensor) -> tuple[Tensor, Tensor]:
        raw_s, t = self.net(x_kept).chunk(2, dim=1)  # (B, F) each
        free = 1 - self.mask  # only the transformed coordinates get a scale and a shift
        return free * self.scale * torch.tanh(raw_s), free * t

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        s, t = self._scale_and_shift(self.mask * x)
        y = self.mask * x + (1 - self.mask) * (x * s.exp() + t)  # y = b⊙x + (1-b)⊙(x⊙e^s + t)
        return y, s.sum(1)  # log|det| = Σ_j (1-b_j) s_j (s is already zero where b = 1)

    def inverse(self, y: Tensor) -> Tensor:
        s, t = self._scale_and_shift(self.mask * y)  # b⊙y = b⊙x: the same s and t
        return self.mask * y + (1 - self.mask) * ((y - t) * (-s).exp())


class MaskedLinear(nn.Linear):
    """A linear layer whose weight is multiplied by a fixed 0/1 mask (out, in)."""

    def __init__(self, mask: Tensor):
        super().__init__(mask.shape[1], mask.shape[0])
        self.register_buffer("mask", mask.float())

    def forward(self, x: Tensor) -> Tensor:
        return F_.linear(x, self.weight * self.mask, self.bias)


class MADE(nn.Module):
    """Germain et al.'s masked network: x (B, F) -> (μ, α), each (B, F), where output i depends only
    on the inputs before i in ``order`` (a permutation of 0..F-1).

    Degrees: input i has degree m(i) = its position in ``order`` + 1, hidden units degrees 1..F-1
    (cycled, not drawn at random), and a weight from degree d to degree d' is kept when d' ≥ d (hidden
    layers) or d' > d (output). So the first coordinate in the order gets constants (biases only)."""

    def __init__(self, order: Tensor, hidden: int):
        super().__init__()
        features = order.numel()
        if features < 2 or sorted(order.tolist()) != list(range(features)):
            raise ValueError(f"order must be a permutation of 0..F-1 with F >= 2, got {order.tolist()}")
        degree_in = torch.empty(features, dtype=torch.long)
        degree_in[order] = torch.arange(1, features + 1)  # m(i): position of coordinate i in the order
        degree_hidden = torch.arange(hidden) % (features - 1) + 1  # 1..F-1, cycled
        self.register_buffer("degree_in", degree_in)
        self.net = nn.Sequential(
            MaskedLinear(degree_hidden[:, None] >= degree_in[None, :]),  # (H, F)
            nn.SiLU(),
            MaskedLinear(degree_hidden[:, None] >= degree_hidden[None, :]),  # (H, H)
            nn.SiLU(),
            MaskedLinear(degree_in.repeat(2)[:, None] > degree_hidden[None, :]),  # (2F, H): μ then α
        )
        nn.init.zeros_(self.net[-1].weight)  # start as the identity map
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        mu, alpha = self.net(x).chunk(2, dim=1)  # (B, F) each
        return mu, alpha


class MaskedAutoregressive(nn.Module):
    """One MAF layer: x (B, F) -> (u (B, F), log|det| (B,)) in one pass; ``inverse`` takes F passes."""

    def __init__(self, order: Tensor, hidden: int):
        super().__init__()
        self.made = MADE(order, hidden)
        self.scale = nn.Parameter(torch.ones(order.numel()))  # α = scale · tanh(raw)

    def _mu_alpha(self, x: Tensor) -> tuple[Tensor, Tensor]:
        mu, raw_alpha = self.made(x)
        return mu, self.scale * torch.tanh(raw_alpha)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        mu, alpha = self._mu_alpha(x)
        u = (x - mu) * (-alpha).exp()  # u_i = (x_i - μ_i) exp(-α_i)
        return u, -alpha.sum(1)  # log|det ∂u/∂x| = -Σ_i α_i (the Jacobian is triangular)

    def inverse(self, u: Tensor) -> Tensor:
        x = torch.zeros_like(u)
        for _ in range(u.shape[1]):  # pass k fixes the coordinate of degree k; earlier ones stay fixed
            mu, alpha = self._mu_alpha(x)
            x = u * alpha.exp() + mu  # x_i = u_i exp(α_i) + μ_i
        return x


@dataclass
class FlowConfig:
    features: int = 2  # F
    kind: str = "realnvp"  # "realnvp" (affine coupling) or "maf" (masked autoregressive)
    layers: int = 8
    hidden: int = 64


class NormalizingFlow(nn.Module):
    """A stack of invertible layers from data x to z ~ N(0, I). Coupling masks alternate between the
    even and the odd coordinates; autoregressive orders alternate between forward and reversed."""

    def __init__(self, config: FlowConfig):
        super().__init__()
        if config.kind not in ("realnvp", "maf"):
            raise ValueError(f"kind must be 'realnvp' or 'maf', got {config.kind!r}")
        if config.features < 2 or config.layers < 1:
            raise ValueError(
                "a flow needs features >= 2 (one coordinate cannot condition another) and layers >= 1"
            )
        self.config = config
        index = torch.arange(config.features)
        if config.kind == "realnvp":
            layers = [AffineCoupling((index + k) % 2 == 0, config.hidden) for k in range(config.layers)]
        else:
            layers = [
                MaskedAutoregressive(index if k % 2 == 0 else index.flip(0), config.hidden)
                for k in range(config.layers)
            ]
        self.layers = nn.ModuleList(layers)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """z = f(x) (B, F) and log|det ∂f/∂x| (B,), summed over the layers."""
        log_det = torch.zeros(x.shape[0], dtype=x.dtype)
        for layer in self.layers:
            x, layer_log_det = layer(x)
            log_det = log_det + layer_log_det
        return x, log_det

    def inverse(self, z: Tensor) -> Tensor:
        """x = f⁻¹(z): the layers undone in reverse order. (B, F) -> (B, F)."""
        for layer in reversed(self.layers):
            z = layer.inverse(z)
        return z

    def log_prob(self, x: Tensor) -> Tensor:
        """log p_X(x) = log N(f(x); 0, I) + log|det ∂f/∂x|: (B, F) -> (B,)."""
        z, log_det = self(x)
        return standard_normal_log_prob(z) + log_det

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator) -> Tensor:
        """n samples x = f⁻¹(z), z ~ N(0, I): (n, F)."""
        dtype = next(self.parameters()).dtype
        return self.inverse(torch.randn(n, self.config.features, generator=generator, dtype=dtype))


def nll_loss(model: NormalizingFlow, x: Tensor, generator: torch.Generator) -> Tensor:
    """Maximum likelihood: the mean of -log p_X(x) over the batch (no noise needed; generator unused)."""
    return -model.log_prob(x).mean()


def train_flow(
    data: Tensor,
    steps: int,
    generator: torch.Generator,
    kind: str = "realnvp",
    layers: int = 8,
    hidden: int = 64,
    lr: float = 2e-3,
    batch_size: int = 256,
) -> NormalizingFlow:
    """Fit a flow to ``data`` (N, F) by maximum likelihood with the book's training loop."""
    model = NormalizingFlow(FlowConfig(features=data.shape[1], kind=kind, layers=layers, hidden=hidden))
    train(model, nll_loss, data, steps=steps, batch_size=batch_size, lr=lr, generator=generator)
    return model


def gaussian_log_prob(train_x: Tensor, x: Tensor) -> Tensor:
    """log N(x; mean, covariance) of a Gaussian fitted to ``train_x``: the baseline's likelihood, (B,)."""
    mean, cov = train_x.double().mean(0), torch.cov(train_x.double().T)
    return torch.distributions.MultivariateNormal(mean, cov).log_prob(x.double())


def demo(steps: int = 3000) -> None:
    """Fit RealNVP and MAF to two moons; print held-out log-likelihood and the energy distance of
    samples to held-out data, beside a fitted Gaussian's (`mlatlas run normalizing-flows`)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: extra threads only add overhead (about 4× slower on 2 cores)
    try:
        _demo(steps)
    finally:
        torch.set_num_threads(threads)


def _demo(steps: int) -> None:
    g = torch.Generator().manual_seed(0)
    train_x, held_out, held_out_2 = two_moons(4000, g), two_moons(2000, g), two_moons(2000, g)
    gauss_nll = -gaussian_log_prob(train_x, held_out).mean()
    print(f"fitted Gaussian: held-out log-likelihood {-gauss_nll:.3f} nats per point")
    for kind, name in [("realnvp", "RealNVP, 8 coupling layers"), ("maf", "MAF, 8 autoregressive layers")]:
        torch.manual_seed(0)
        model = train_flow(train_x, steps, torch.Generator().manual_seed(1), kind=kind)
        with torch.no_grad():
            log_lik = model.log_prob(held_out).mean()
        samples = model.sample(2000, torch.Generator().manual_seed(2))
        q = quality(samples, train_x, held_out, torch.Generator().manual_seed(3), held_out_2)
        print(
            f"{name}: held-out log-likelihood {log_lik:.3f}; energy distance {q.model:.4f} "
            f"(fitted Gaussian {q.gaussian:.4f}, data vs data {q.floor:.4f})"
        )
