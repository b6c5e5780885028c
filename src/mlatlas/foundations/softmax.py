"""Softmax: from scores to a probability distribution, stably, with a temperature and its Jacobian.

Paper: Bridle (1990), "Probabilistic interpretation of feedforward classification network outputs,
with relationships to statistical pattern recognition" (no arXiv); temperature as in Hinton, Vinyals
& Dean (2015), "Distilling the Knowledge in a Neural Network", arXiv:1503.02531.
softmax(z)_i = exp(z_i / T) / sum_j exp(z_j / T) turns any real vector into positive weights that
sum to 1; subtracting max(z) first changes nothing mathematically and removes every overflow.
"""

from __future__ import annotations

import torch


def _check(z: torch.Tensor, temperature: float) -> None:
    if not isinstance(z, torch.Tensor):
        raise TypeError(f"z must be a torch.Tensor, got {type(z).__name__}; wrap it with torch.as_tensor")
    if not z.is_floating_point():
        raise ValueError(f"z must be a floating-point tensor (got {z.dtype}); call z.double() or z.float()")
    if z.dim() == 0:
        raise ValueError("z must have at least one dimension: softmax normalises along an axis")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}; T -> 0 is argmax, use z.argmax()")


def naive_softmax(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """exp(z_i) / sum_j exp(z_j) taken literally: overflows to inf/inf = nan once z_i > ~709 (float64)."""
    e = torch.exp(z)
    return e / e.sum(dim=dim, keepdim=True)


def log_sum_exp(z: torch.Tensor, dim: int = -1, keepdim: bool = False) -> torch.Tensor:
    """log sum_j exp(z_j) = m + log sum_j exp(z_j - m), with m = max_j z_j (every exponent <= 0)."""
    m = z.amax(dim=dim, keepdim=True)  # the shift: same shape as z with dim kept
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))  # all -inf row: shift by 0, result -inf
    out = m + torch.log(torch.exp(z - m).sum(dim=dim, keepdim=True))
    return out if keepdim else out.squeeze(dim)


def softmax(z: torch.Tensor, dim: int = -1, temperature: float = 1.0) -> torch.Tensor:
    """p_i = exp(z_i / T) / sum_j exp(z_j / T) along ``dim``, computed as exp(z/T - max(z/T)) / sum.

    Any shape; the output has the shape and dtype of ``z``. ``-inf`` entries get probability 0 (masks).
    """
    _check(z, temperature)
    s = z / temperature  # z / T: a temperature rescales the logits
    m = s.amax(dim=dim, keepdim=True)
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    e = torch.exp(s - m)  # shift invariance: softmax(s) = softmax(s - m), and now every e_i <= 1
    return e / e.sum(dim=dim, keepdim=True)  # normalise: sum_i p_i = 1


def log_softmax(z: torch.Tensor, dim: int = -1, temperature: float = 1.0) -> torch.Tensor:
    """log p_i = (s_i - m) - log sum_j exp(s_j - m), s = z / T, m = max_j s_j: exact even where p_i
    underflows to 0.

    The order matters in float32: s_i - (m + log sum) first rounds m + log sum to the spacing of m
    (about 1e-3 near 1e4), while (s_i - m) - log sum only ever adds small numbers.
    """
    _check(z, temperature)
    s = z / temperature
    m = s.amax(dim=dim, keepdim=True)
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))  # all -inf row: shift by 0
    shifted = s - m  # s_i - m <= 0: computed exactly for the largest entries
    return shifted - torch.log(torch.exp(shifted).sum(dim=dim, keepdim=True))  # (s - m) - log sum


def softmax_jacobian(z: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """d p_i / d z_j = (diag(p) - p p^T)_{ij} / T for softmax over the last axis.

    z has shape (..., K); the result has shape (..., K, K), one Jacobian per row.
    """
    p = softmax(z, dim=-1, temperature=temperature)  # (..., K)
    outer = p.unsqueeze(-1) * p.unsqueeze(-2)  # p p^T   (..., K, K)
    return (torch.diag_embed(p) - outer) / temperature  # (diag(p) - p p^T) / T


def softmax_vjp(z: torch.Tensor, grad_p: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Backward pass through softmax without forming the K x K Jacobian: J^T g = p * (g - <p, g>) / T.

    z and grad_p have shape (..., K); so does the result. This is what autograd computes.
    """
    p = softmax(z, dim=-1, temperature=temperature)
    return p * (grad_p - (p * grad_p).sum(dim=-1, keepdim=True)) / temperature


def entropy(p: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """H(p) = -sum_i p_i log p_i in nats, with 0 log 0 = 0; used to show how temperature spreads p."""
    return -(torch.special.xlogy(p, p)).sum(dim=dim)
