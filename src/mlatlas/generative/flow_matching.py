"""Flow matching and rectified flow: learn the velocity that carries noise to data along straight lines.

Papers: Lipman, Chen, Ben-Hamu, Nickel, Le (2023), "Flow Matching for Generative Modeling",
arXiv:2210.02747; Liu, Gong, Liu (2023), "Flow Straight and Fast: Learning to Generate and Transfer
Data with Rectified Flow", arXiv:2209.03003; Albergo, Vanden-Eijnden (2023), "Building Normalizing
Flows with Stochastic Interpolants", arXiv:2209.15571.
Pair a noise point x_0 with a data point x_1, walk the straight line between them, and regress a
network onto the line's velocity x_1 - x_0; integrating the learned field carries noise to data.

    x_t = (1 - t) x_0 + t x_1,   u_t = x_1 - x_0                  (Lipman et al. eqs. 20-23, σ_min = 0;
                                                                  Liu et al. eq. 1)
    L_CFM = E_{t, x_0, x_1} |v_θ(x_t, t) - (x_1 - x_0)|²          (Lipman et al. eq. 9)
    the minimiser is v*(x, t) = E[x_1 - x_0 | x_t = x]           (the marginal velocity)
Reflow (Liu et al. §2.3): re-pair each x_0 with the x_1 the trained flow sends it to, and train again;
the new coupling's lines cross less, so the paths straighten.
Shape legend: B batch, F features.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from mlatlas.generative.distances import quality
from mlatlas.generative.networks import TimeMLP, TimeMLPConfig
from mlatlas.generative.toy_data import two_moons
from mlatlas.generative.training import train

Velocity = Callable[[Tensor, Tensor], Tensor]  # (x (B, F), t (B,)) -> v (B, F)


def cfm_loss(model: nn.Module, x1: Tensor, generator: torch.Generator, x0: Tensor | None = None) -> Tensor:
    """Conditional flow-matching loss on a batch of data x1 (B, F); x0 ~ N(0, I) unless given (a coupling)."""
    if x0 is None:
        x0 = torch.randn(x1.shape, generator=generator, dtype=x1.dtype)  # independent coupling
    t = torch.rand(x1.shape[0], generator=generator, dtype=x1.dtype)  # (B,) uniform on [0, 1]
    x_t = (1 - t[:, None]) * x0 + t[:, None] * x1  # the straight line
    return ((model(x_t, t) - (x1 - x0)) ** 2).mean()  # regress onto u_t = x1 - x0


def pair_loss(model: nn.Module, pairs: Tensor, generator: torch.Generator) -> Tensor:
    """CFM loss for a fixed coupling stored as rows [x0, x1] of ``pairs`` (B, 2F) (reflow, OT pairs)."""
    x0, x1 = pairs.chunk(2, dim=1)
    return cfm_loss(model, x1, generator, x0=x0)


@torch.no_grad()
def euler(velocity: Velocity, x0: Tensor, num_steps: int, return_path: bool = False) -> Tensor:
    """Integrate dx/dt = v(x, t) from t = 0 to 1 with Euler steps; path (num_steps + 1, B, F) if asked."""
    if num_steps < 1:
        raise ValueError(f"num_steps must be at least 1, got {num_steps}")
    h, x, path = 1.0 / num_steps, x0, [x0]
    for k in range(num_steps):
        t = torch.full((x.shape[0],), k * h, dtype=x.dtype)
        x = x + h * velocity(x, t)  # x_{k+1} = x_k + h v(x_k, t_k)
        path.append(x)
    return torch.stack(path) if return_path else x


@torch.no_grad()
def heun(velocity: Velocity, x0: Tensor, num_steps: int, return_path: bool = False) -> Tensor:
    """Heun's method (explicit trapezoid, second order): two velocity calls per step."""
    if num_steps < 1:
        raise ValueError(f"num_steps must be at least 1, got {num_steps}")
    h, x, path = 1.0 / num_steps, x0, [x0]
    for k in range(num_steps):
        t = torch.full((x.shape[0],), k * h, dtype=x.dtype)
        v = velocity(x, t)
        x_euler = x + h * v  # predictor
        x = x + 0.5 * h * (v + velocity(x_euler, t + h))  # corrector: average of both ends' slopes
        path.append(x)
    return torch.stack(path) if return_path else x


def gaussian_velocity(mean: Tensor, std: float) -> Velocity:
    """The exact marginal velocity from x_0 ~ N(0, I) to x_1 ~ N(mean, std² I), independently coupled.

    x_t ~ N(t m, s_t² I) with s_t² = (1 - t)² + t² std²; E[x_1 - x_0 | x_t = x] is
    m + (t std² - (1 - t)) / s_t² · (x - t m), whose flow is x_0 ↦ t m + s_t x_0 (curved for every std > 0:
    s_t is not affine in t, not even at std = 1).
    """

    def v(x: Tensor, t: Tensor) -> Tensor:
        t = t[:, None].to(x.dtype)
        var_t = (1 - t) ** 2 + t**2 * std**2
        return mean + (t * std**2 - (1 - t)) / var_t * (x - t * mean)

    return v


@torch.no_grad()
def straightness(velocity: Velocity, x0: Tensor, num_steps: int = 100) -> float:
    """Liu et al.'s straightness S = ∫₀¹ E|(x_1 - x_0) - v(x_t, t)|² dt along the flow's own paths
    (Euler with ``num_steps``); zero exactly when every path is a straight line at constant speed."""
    path = euler(velocity, x0, num_steps, return_path=True)  # (S + 1, B, F)
    chord = path[-1] - path[0]  # x_1 - x_0
    steps = (path[1:] - path[:-1]) * num_steps  # v(x_t, t) at each Euler node, (S, B, F)
    return float(((steps - chord) ** 2).sum(-1).mean())


def velocity_of(model: nn.Module) -> Velocity:
    return lambda x, t: model(x, t.to(torch.float32)).to(x.dtype)


def train_flow(
    data: Tensor,
    steps: int,
    generator: torch.Generator,
    hidden: int = 128,
    lr: float = 2e-3,
    batch_size: int = 256,
    coupled: bool = False,
) -> nn.Module:
    """Train the book's TimeMLP by flow matching on ``data`` (N, F), or on fixed pairs (N, 2F) if coupled."""
    features = data.shape[1] // 2 if coupled else data.shape[1]
    model = TimeMLP(TimeMLPConfig(features=features, hidden=hidden))
    train(
        model,
        pair_loss if coupled else cfm_loss,
        data,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        generator=generator,
    )
    return model


@torch.no_grad()
def reflow_pairs(model: nn.Module, n: int, generator: torch.Generator, num_steps: int = 100) -> Tensor:
    """n pairs [x0, x1] (n, 2F) with x1 the trained flow's image of x0 (Heun, ``num_steps``)."""
    x0 = torch.randn(n, model.config.features, generator=generator)
    return torch.cat([x0, heun(velocity_of(model), x0, num_steps)], dim=1)


def demo(steps: int = 4000) -> None:
    """Train flow matching on two moons; sample with Euler and Heun; reflow once and measure the
    straightness and one-step sample quality before and after (`mlatlas run flow-matching`)."""
    g = torch.Generator().manual_seed(0)
    train_x, held_out, held_out_2 = two_moons(4000, g), two_moons(2000, g), two_moons(2000, g)
    torch.manual_seed(0)
    model = train_flow(train_x, steps, torch.Generator().manual_seed(1))
    x0 = torch.randn(2000, 2, generator=torch.Generator().manual_seed(2))

    def report(name, x):
        q = quality(x, train_x, held_out, torch.Generator().manual_seed(3), held_out_2)
        print(
            f"{name}: energy distance {q.model:.4f} "
            f"(fitted Gaussian {q.gaussian:.4f}, data vs data {q.floor:.4f})"
        )

    v = velocity_of(model)
    report("flow matching, Euler 100 steps", euler(v, x0, 100))
    report("flow matching, Heun 10 steps (20 calls)", heun(v, x0, 10))
    report("flow matching, 1 Euler step", euler(v, x0, 1))
    pairs = reflow_pairs(model, 4000, torch.Generator().manual_seed(4))
    torch.manual_seed(1)
    rectified = train_flow(pairs, steps, torch.Generator().manual_seed(5), coupled=True)
    report("after one reflow, 1 Euler step", euler(velocity_of(rectified), x0, 1))
    print(
        f"straightness: {straightness(v, x0):.4f} before reflow, "
        f"{straightness(velocity_of(rectified), x0):.4f} after"
    )
