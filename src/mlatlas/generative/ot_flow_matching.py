"""Flow matching with minibatch optimal transport: pair noise with data by exact OT before regressing.

Papers: Tong, Fatras, Malkin, Huguet, Zhang, Rector-Brooks, Wolf, Bengio (2023), "Improving and
generalizing flow-based generative models with minibatch optimal transport", arXiv:2302.00482
(OT-CFM); Pooladian, Ben-Hamu, Domingo-Enrich, Amos, Lipman, Chen (2023), "Multisample Flow Matching:
Straightening Flows with Minibatch Couplings", arXiv:2304.14772.
Conditional flow matching regresses onto x_1 - x_0 for *independent* pairs, whose straight lines cross,
so the learned field (their average) bends. Re-pair each minibatch by the optimal assignment first:

    π_B = argmin_{π ∈ permutations} Σ_i |x_0[π(i)] - x_1[i]|²     (exact OT between the two batches,
                                                                     uniform weights: a permutation)
    L_OT-CFM = E_t (1/B) Σ_i |v_θ(x_t^i, t) - (x_1[i] - x_0[π(i)])|²,   x_t^i = (1 - t) x_0[π(i)] + t x_1[i]

Optimal pairs never collide: <x_0^i - x_0^j, x_1^i - x_1^j> ≥ 0 (no swap lowers the cost), so two points
moving along their lines are never at the same place at the same time; there is less to average and
the flow straightens.
We use σ = 0 (straight lines, as in the flow-matching chapter); Tong et al. add a little noise σ.
Between Gaussians N(0, I) -> N(m, s² I) the population OT coupling is the map x_0 ↦ m + s x_0
(Brenier), whose lines are the flow's own paths: ``ot_gaussian_velocity``.
Shape legend: B batch, F features.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from mlatlas.generative.distances import quality
from mlatlas.generative.flow_matching import Velocity, cfm_loss, euler, straightness, velocity_of
from mlatlas.generative.networks import TimeMLP, TimeMLPConfig
from mlatlas.generative.toy_data import two_moons
from mlatlas.generative.training import train
from mlatlas.transport.optimal_transport import exact_transport, squared_euclidean_cost


def ot_permutation(x0: Tensor, x1: Tensor) -> Tensor:
    """The optimal assignment of noise to data: perm (B,) with x0[perm[i]] paired to x1[i].

    x0, x1: (B, F). Solves the exact OT problem with uniform weights 1/B and cost |x0_i - x1_j|²
    (``mlatlas.transport``); its optimal vertex is a permutation matrix divided by B (Birkhoff).
    """
    if x0.ndim != 2 or x0.shape != x1.shape:
        raise ValueError(
            f"x0 and x1 must both be (B, F) with the same shape, got {tuple(x0.shape)} and "
            f"{tuple(x1.shape)}; minibatch OT pairs one noise point with each data point"
        )
    B = x0.shape[0]
    weights = np.full(B, 1.0 / B)
    cost = squared_euclidean_cost(x0.detach().double().numpy(), x1.detach().double().numpy())  # (B, B)
    plan = exact_transport(weights, weights, cost).plan  # (B, B): one cell of mass 1/B per row and column
    return torch.from_numpy(plan.argmax(axis=0))  # perm[j] = the noise row sent to data point j


def ot_pairs(x0: Tensor, x1: Tensor) -> Tensor:
    """x0 (B, F) reordered so that row i is the noise point optimally paired with x1[i] (B, F)."""
    return x0[ot_permutation(x0, x1)]


def ot_cfm_loss(model: nn.Module, x1: Tensor, generator: torch.Generator) -> Tensor:
    """OT-CFM loss on a batch of data x1 (B, F): draw B noise points, pair them by exact OT, then CFM."""
    x0 = torch.randn(x1.shape, generator=generator, dtype=x1.dtype)  # (B, F) fresh noise
    return cfm_loss(model, x1, generator, x0=ot_pairs(x0, x1))  # straight lines between optimal pairs


def train_ot_flow(
    data: Tensor,
    steps: int,
    generator: torch.Generator,
    hidden: int = 128,
    lr: float = 2e-3,
    batch_size: int = 256,
    coupling: str = "ot",
) -> nn.Module:
    """Train the book's TimeMLP on ``data`` (N, F) with the minibatch ``coupling``: "ot" or "independent".

    Both couplings see the same batches, times and noise draws from ``generator`` (the OT loss only
    reorders the noise), so a comparison at equal steps isolates the coupling.
    """
    losses = {"ot": ot_cfm_loss, "independent": cfm_loss}
    if coupling not in losses:
        raise ValueError(f"coupling must be 'ot' or 'independent', got {coupling!r}")
    model = TimeMLP(TimeMLPConfig(features=data.shape[1], hidden=hidden))
    train(model, losses[coupling], data, steps=steps, batch_size=batch_size, lr=lr, generator=generator)
    return model


def ot_gaussian_velocity(mean: Tensor, std: float) -> Velocity:
    """The exact velocity of the OT coupling from N(0, I) to N(mean, std² I): straight paths.

    The optimal map is x_0 ↦ m + s x_0, so x_t = t m + (1 - t + t s) x_0 and
    v(x, t) = m + (s - 1) x_0 = m + (s - 1)(x - t m) / (1 - t + t s).
    """

    def v(x: Tensor, t: Tensor) -> Tensor:
        t = t[:, None].to(x.dtype)
        return mean + (std - 1) * (x - t * mean) / (1 - t + t * std)

    return v


def compare_couplings(
    steps: int, batch_size: int, hidden: int, lr: float, num_eval: int = 2000, seed: int = 0
) -> dict[str, float]:
    """Train independent CFM and OT-CFM on two moons at equal steps; straightness and energy distance.

    Returns straightness (Liu et al.; 100 Euler steps) of each flow, and the energy distance to held-out
    moons of each flow's samples with 100 and with 2 Euler steps, beside a fitted Gaussian's.
    """
    g = torch.Generator().manual_seed(seed)
    train_x, held_out = two_moons(4000, g), two_moons(num_eval, g)
    x0 = torch.randn(num_eval, 2, generator=torch.Generator().manual_seed(seed + 1))
    result: dict[str, float] = {"steps": steps, "batch_size": batch_size}
    for coupling in ("independent", "ot"):
        torch.manual_seed(seed)  # the same initial weights for both
        model = train_ot_flow(
            train_x, steps, torch.Generator().manual_seed(seed + 2), hidden, lr, batch_size, coupling
        )
        v = velocity_of(model)
        result[f"{coupling}_straightness"] = straightness(v, x0, 100)
        for num_steps in (100, 2):
            q = quality(euler(v, x0, num_steps), train_x, held_out, torch.Generator().manual_seed(seed + 3))
            result[f"{coupling}_energy_{num_steps}"] = q.model
        result["gaussian_energy"] = q.gaussian
    return result


def demo(steps: int = 1500, batch_size: int = 256) -> None:
    """Independent CFM vs OT-CFM on two moons at equal steps, same seeds; straightness and energy distance
    (`mlatlas run optimal-transport-flow-matching`)."""
    r = compare_couplings(steps, batch_size, hidden=128, lr=2e-3)
    print(f"two moons, {steps} steps of batch {batch_size} each, same network, seeds and noise draws")
    for coupling in ("independent", "ot"):
        print(
            f"{coupling:>11} coupling: straightness {r[f'{coupling}_straightness']:.4f}, energy distance "
            f"{r[f'{coupling}_energy_100']:.4f} (100 Euler steps), {r[f'{coupling}_energy_2']:.4f} (2 steps)"
        )
    print(f"fitted Gaussian: energy distance {r['gaussian_energy']:.4f}")
