"""Mixed precision: fp16 training with dynamic loss scaling by hand, and bf16 autocast.

Papers: Micikevicius, Narang, Alben, Diamos, Elsen, Garcia, Ginsburg, Houston, Kuchaiev, Venkatesh &
Wu 2017, arXiv 1710.03740 (mixed precision training, loss scaling); Kalamkar et al. 2019, arXiv
1905.12322 (bfloat16 for deep learning).
fp16 keeps 10 mantissa bits but only 5 exponent bits, so small gradients flush to zero; multiplying
the loss by a scale S lifts them into range, and dividing the gradients by S undoes it exactly.

The dynamic scaler is three pure functions (init, unscale + inf check, update) that reproduce
torch.amp.GradScaler's rule: skip the step and halve S when a gradient is inf/NaN, double S after
``growth_interval`` clean steps in a row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

FP16_MAX = 65504.0  # largest finite float16: (2 − 2⁻¹⁰) · 2¹⁵
FP16_MIN_NORMAL = 2.0**-14  # smallest normal float16 (full 11-bit precision above this)
FP16_MIN_SUBNORMAL = 2.0**-24  # smallest positive float16; half of it and below rounds to 0


class LossScaleState(NamedTuple):
    """The current loss scale S and how many clean steps in a row have been taken at it."""

    scale: float
    growth_tracker: int


def init_loss_scale(init_scale: float = 2.0**16) -> LossScaleState:
    if not init_scale > 0 or math.isinf(init_scale):
        raise ValueError(f"init_scale must be a positive finite number, got {init_scale}")
    return LossScaleState(float(init_scale), 0)


class Unscaled(NamedTuple):
    """Gradients divided by S, and whether any of them held an inf or NaN (step must be skipped)."""

    grads: list[Tensor]
    found_inf: bool


def unscale_gradients(grads: Sequence[Tensor], scale: float) -> Unscaled:
    """g ← g · (1/S) and check every entry is finite.

    1/S is rounded to float32 first, exactly as GradScaler does (it keeps S in a float32 tensor);
    for the power-of-two scales the rule produces this is exact anyway.
    """
    inv_scale = float(torch.tensor(scale, dtype=torch.float64).reciprocal().float())  # 1/S in float32
    unscaled = [g * inv_scale for g in grads]
    found_inf = any(not bool(torch.isfinite(g).all()) for g in unscaled)  # one inf/NaN poisons the step
    return Unscaled(unscaled, found_inf)


def update_scale(
    state: LossScaleState,
    found_inf: bool,
    *,
    growth_factor: float = 2.0,
    backoff_factor: float = 0.5,
    growth_interval: int = 2000,
) -> LossScaleState:
    """The dynamic loss-scale rule of torch.amp.GradScaler. Micikevicius et al. (2017, §3.2) scale
    the loss and skip steps whose gradients overflow; the rule below also adapts S as it goes.

    overflow:            S ← S · backoff,  tracker ← 0   (and the optimiser step was skipped)
    clean, tracker+1 = N: S ← S · growth,   tracker ← 0   (N = growth_interval)
    clean otherwise:     tracker ← tracker + 1
    """
    if growth_interval < 1 or not growth_factor > 1.0 or not 0.0 < backoff_factor < 1.0:
        raise ValueError("need growth_interval >= 1, growth_factor > 1 and 0 < backoff_factor < 1")
    if found_inf:
        return LossScaleState(state.scale * backoff_factor, 0)  # back off, restart the count
    tracker = state.growth_tracker + 1
    if tracker == growth_interval:
        grown = state.scale * growth_factor
        # GradScaler keeps S in float32: it only grows while the result stays finite there.
        if math.isfinite(float(torch.tensor(grown, dtype=torch.float32))):
            return LossScaleState(grown, 0)
        return LossScaleState(state.scale, 0)
    return LossScaleState(state.scale, tracker)


class ScaledRun(NamedTuple):
    """Per step: the loss (unscaled), the scale used, whether the step was skipped, the parameters after."""

    losses: list[float]
    scales: list[float]
    skipped: list[bool]
    params: list[list[Tensor]]


def train_fp16_with_loss_scaling(
    model: nn.Module,
    loss_fn: Callable[[nn.Module], Tensor],
    num_steps: int,
    *,
    lr: float,
    init_scale: float = 2.0**16,
    growth_interval: int = 2000,
    growth_factor: float = 2.0,
    backoff_factor: float = 0.5,
    device_type: str = "cpu",
) -> ScaledRun:
    """Plain SGD on float32 master weights, forward pass in fp16 under autocast, loss scaled by hand.

    Each step: L = loss_fn(model) under autocast(fp16); backpropagate S·L; g ← grad/S; if any g is
    inf/NaN skip the update, else w ← w − η g; then update S. ``model`` is trained in place.
    """
    state = init_loss_scale(init_scale)
    params = [p for p in model.parameters() if p.requires_grad]
    run = ScaledRun([], [], [], [])
    for _ in range(num_steps):
        for p in params:
            p.grad = None
        with torch.autocast(device_type, dtype=torch.float16):
            loss = loss_fn(model)
        (loss.float() * state.scale).backward()  # backpropagate S · L: small gradients lifted by S
        unscaled = unscale_gradients([p.grad for p in params], state.scale)
        if not unscaled.found_inf:
            with torch.no_grad():
                for p, g in zip(params, unscaled.grads):
                    p.add_(g, alpha=-lr)  # w ← w − η g on the float32 master weights
        run.losses.append(float(loss.detach()))
        run.scales.append(state.scale)
        run.skipped.append(unscaled.found_inf)
        run.params.append([p.detach().clone() for p in params])
        state = update_scale(state, unscaled.found_inf, growth_factor=growth_factor,
                             backoff_factor=backoff_factor, growth_interval=growth_interval)  # fmt: skip
    return run


# --- where fp16 loses gradients -------------------------------------------------------------


class Fp16Fate(NamedTuple):
    """Fractions of values that, after multiplying by S and rounding to fp16, become 0, land in the
    subnormal range (fewer than 11 significant bits), or overflow to inf."""

    zero: float
    subnormal: float
    overflow: float


def fp16_fate(values: Tensor, scale: float = 1.0) -> Fp16Fate:
    """What rounding ``values · S`` to float16 does to them (``values`` nonzero, any float dtype)."""
    if values.numel() == 0:
        raise ValueError("values is empty")
    # NumPy's float16 rounds exactly like torch's (to nearest, ties to even) and is single-threaded,
    # which keeps this cheap for the build-time figure.
    scaled = values.detach().double().cpu().numpy().ravel() * scale
    with np.errstate(over="ignore"):
        half = scaled.astype(np.float16)
    magnitude = np.abs(half)
    zero = (magnitude == 0) & (scaled != 0)  # flushed to zero: information lost entirely
    overflow = np.isinf(half) & np.isfinite(scaled)
    subnormal = (magnitude > 0) & (magnitude < FP16_MIN_NORMAL)
    n = scaled.size
    return Fp16Fate(float(zero.sum() / n), float(subnormal.sum() / n), float(overflow.sum() / n))


def activation_gradients(seed: int = 0, depth: int = 6, width: int = 64, batch: int = 128) -> Tensor:
    """Gradients of a mean loss w.r.t. every hidden activation of a small tanh MLP (float32).

    These are the tensors that fp16 backward passes actually hold. With a mean over a batch of B
    examples, each one is already divided by B, which is why they are so small.
    """
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, width, generator=g).requires_grad_(True)  # (B, F)
    y = torch.randn(batch, 1, generator=g)
    activations = []
    h = x
    for _ in range(depth):
        w = torch.randn(width, width, generator=g) / math.sqrt(width)
        h = torch.tanh(h @ w)  # (B, F)
        h.retain_grad()
        activations.append(h)
    out = h @ (torch.randn(width, 1, generator=g) / math.sqrt(width))  # (B, 1)
    loss = 1e-2 * ((out - y) ** 2).mean()  # a loss late in training: already small
    loss.backward()
    return torch.cat([a.grad.flatten() for a in activations])


class FloatFormat(NamedTuple):
    """What a floating-point format spends its bits on, read from ``torch.finfo``."""

    exponent_bits: int
    mantissa_bits: int  # stored fraction bits; the significand has one more (the implicit leading 1)
    largest: float
    smallest_normal: float
    spacing: float  # eps: the gap between 1 and the next number, 2^-mantissa_bits
    decimal_digits: float  # significand bits x log10(2)


def float_format(dtype: torch.dtype) -> FloatFormat:
    """Exponent and mantissa bits, range, spacing and decimal digits of a floating-point ``dtype``."""
    if not dtype.is_floating_point:
        raise ValueError(f"float_format needs a floating-point dtype, got {dtype}")
    info = torch.finfo(dtype)
    mantissa = round(-math.log2(info.eps))  # eps = 2^-mantissa
    exponent = info.bits - 1 - mantissa  # sign + exponent + mantissa = total bits
    return FloatFormat(
        exponent, mantissa, info.max, info.smallest_normal, info.eps, (mantissa + 1) * math.log10(2)
    )


# What CPU autocast (torch 2.13) returns for each op when given a tensor of the autocast dtype. Unlike
# CUDA autocast, which runs softmax, log_softmax, layer_norm and sum in float32, CPU autocast leaves
# them in bf16; only the losses are promoted to float32. The test re-measures every entry.
AUTOCAST_OPS: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "matmul": lambda h, y: h @ h.T,
    "softmax": lambda h, y: torch.softmax(h, dim=-1),
    "log_softmax": lambda h, y: torch.log_softmax(h, dim=-1),
    "layer_norm": lambda h, y: nn.functional.layer_norm(h, h.shape[-1:]),
    "sum": lambda h, y: h.sum(),
    "cross_entropy": lambda h, y: nn.functional.cross_entropy(h, y),
    "mse_loss": lambda h, y: nn.functional.mse_loss(h, torch.zeros_like(h)),
}


def autocast_output_dtypes(dtype: torch.dtype = torch.bfloat16) -> dict[str, torch.dtype]:
    """The dtype each op in ``AUTOCAST_OPS`` returns under CPU autocast, fed a ``dtype`` activation."""
    g = torch.Generator().manual_seed(0)
    x, w = torch.randn(4, 8, generator=g), torch.randn(8, 8, generator=g)
    y = torch.randint(0, 8, (4,), generator=g)
    with torch.autocast("cpu", dtype=dtype):
        h = x @ w  # a linear layer's output: already in the autocast dtype   (4, 8)
        return {name: op(h, y).dtype for name, op in AUTOCAST_OPS.items()}


def autocast_forward(model: nn.Module, x: Tensor, dtype: torch.dtype = torch.bfloat16) -> Tensor:
    """Run ``model`` on CPU under autocast: matmuls in ``dtype``; on the CPU, softmax, norms and sums
    stay in ``dtype`` too and only losses are promoted to float32 (see ``autocast_output_dtypes``)."""
    if dtype not in (torch.bfloat16, torch.float16):
        raise ValueError(f"autocast dtype must be torch.bfloat16 or torch.float16, got {dtype}")
    with torch.autocast("cpu", dtype=dtype):
        return model(x)
