"""Cross-entropy from logits, with label smoothing, class weights, ignored targets and its p - y gradient.

Paper: label smoothing from Szegedy, Vanhoucke, Ioffe, Shlens & Wojna (2015), "Rethinking the
Inception Architecture for Computer Vision", arXiv:1512.00567; analysed in Müller, Kornblith &
Hinton (2019), "When Does Label Smoothing Help?", arXiv:1906.02629.
The loss -sum_c q_c log softmax(z)_c scores logits z against a target distribution q; its gradient
with respect to the logits is (sum_c q_c) p - q, which for a one-hot target is just p - y.

Every variant below is one formula with a different *target weight* matrix q (B, K): a one-hot row
for a class label, (1 - eps) onehot + eps / K for label smoothing, a row of zeros for an ignored
example, and columns multiplied by w_c for class weights. Reductions follow torch's conventions.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from mlatlas.foundations.softmax import log_softmax

REDUCTIONS = ("mean", "sum", "none")


class TargetWeights(NamedTuple):
    """q (B, K): the weight of -log p_c in example i's loss; norm: what "mean" divides the sum by."""

    q: torch.Tensor
    norm: torch.Tensor


def target_weights(
    target: torch.Tensor,
    num_classes: int,
    *,
    label_smoothing: float = 0.0,
    weight: torch.Tensor | None = None,
    ignore_index: int = -100,
    dtype: torch.dtype = torch.float64,
) -> TargetWeights:
    """Build q (B, K) from class labels (B,) or class probabilities (B, K).

    Class labels: q_ic = w_c [(1 - eps) 1{c = y_i} + eps / K] for kept examples, 0 where
    y_i == ignore_index; norm = sum_i w_{y_i} over kept examples (torch's weighted mean).
    Probabilities: q_ic = w_c [(1 - eps) y_ic + eps / K]; norm = B.
    """
    K = num_classes
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    w = torch.ones(K, dtype=dtype) if weight is None else weight.to(dtype)
    if w.shape != (K,):
        raise ValueError(f"weight must have one entry per class, shape ({K},), got {tuple(w.shape)}")
    eps = label_smoothing
    if target.is_floating_point():  # class probabilities (B, K)
        if target.dim() != 2 or target.shape[1] != K:
            raise ValueError(f"probability targets must have shape (B, {K}), got {tuple(target.shape)}")
        y = target.to(dtype)
        q = w * ((1 - eps) * y + eps / K)  # smoothed, weighted target   (B, K)
        return TargetWeights(q, torch.tensor(float(target.shape[0]), dtype=dtype))
    if target.dim() != 1:
        raise ValueError(f"class-label targets must have shape (B,), got {tuple(target.shape)}")
    keep = target != ignore_index  # (B,)
    bad = keep & ((target < 0) | (target >= K))
    if bad.any():
        raise ValueError(
            f"target {int(target[bad][0])} is not a class in [0, {K - 1}] "
            f"(and not ignore_index={ignore_index}); check the number of classes of the logits"
        )
    labels = torch.where(keep, target, torch.zeros_like(target))
    onehot = torch.nn.functional.one_hot(labels, K).to(dtype)  # (B, K)
    y = (1 - eps) * onehot + eps / K  # label smoothing: y_s = (1 - eps) y + eps / K
    q = w * y * keep.unsqueeze(1).to(dtype)  # class weights; ignored rows are all zero   (B, K)
    norm = (w[labels] * keep.to(dtype)).sum()  # sum_i w_{y_i} over kept examples
    return TargetWeights(q, norm)


def _check_logits(logits: torch.Tensor, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}; choose one of {REDUCTIONS}")
    if logits.dim() != 2 or not logits.is_floating_point():
        got = f"{tuple(logits.shape)} {logits.dtype}"
        raise ValueError(f"logits must be a floating-point tensor of shape (B, K), got {got}")


def cross_entropy(
    logits: torch.Tensor,
    target: torch.Tensor,
    *,
    label_smoothing: float = 0.0,
    weight: torch.Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> torch.Tensor:
    """L = sum_i sum_c q_ic (-log p_ic) / norm with p = softmax(logits); the same as
    torch.nn.functional.cross_entropy for logits (B, K) and targets (B,) labels or (B, K) probabilities.

    reduction "none" returns the per-example losses (B,); "sum" their sum; "mean" the sum / norm.
    """
    _check_logits(logits, reduction)
    q, norm = target_weights(
        target,
        logits.shape[1],
        label_smoothing=label_smoothing,
        weight=weight,
        ignore_index=ignore_index,
        dtype=logits.dtype,
    )
    log_p = log_softmax(logits, dim=-1)  # log p = z - logsumexp(z)   (B, K)
    # a -inf logit (masked class, padded vocabulary) has log p = -inf: a zero weight contributes 0,
    # not 0 * (-inf) = nan, as in torch
    weighted = torch.where(q != 0, q * log_p, torch.zeros_like(log_p))  # q_ic log p_ic   (B, K)
    per_example = -weighted.sum(dim=-1)  # l_i = -sum_c q_ic log p_ic   (B,)
    if reduction == "none":
        return per_example
    if reduction == "sum":
        return per_example.sum()
    return per_example.sum() / norm


def cross_entropy_grad(
    logits: torch.Tensor,
    target: torch.Tensor,
    *,
    label_smoothing: float = 0.0,
    weight: torch.Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> torch.Tensor:
    """dL/dlogits (B, K) in closed form: ((sum_c q_ic) p_i - q_i) / norm.

    For one-hot targets without weights this is (p - y) / B: prediction minus target.
    """
    _check_logits(logits, reduction)
    if reduction == "none":
        raise ValueError(
            "reduction='none' has one loss per example; take the gradient of a scalar: use 'sum' or 'mean'"
        )
    q, norm = target_weights(
        target,
        logits.shape[1],
        label_smoothing=label_smoothing,
        weight=weight,
        ignore_index=ignore_index,
        dtype=logits.dtype,
    )
    p = torch.exp(log_softmax(logits, dim=-1))  # (B, K)
    grad = q.sum(dim=-1, keepdim=True) * p - q  # d l_i / d z_i = (sum_c q_ic) p_i - q_i
    return grad if reduction == "sum" else grad / norm


def optimal_logit_gap(num_classes: int, label_smoothing: float) -> float:
    """With label smoothing eps > 0 the loss is minimised at a *finite* gap between the true logit and
    the others: log((1 - eps + eps / K) / (eps / K)). Without smoothing (eps = 0) it is infinite."""
    K, eps = num_classes, label_smoothing
    if eps == 0:
        return float("inf")
    return float(torch.log(torch.tensor((1 - eps + eps / K) / (eps / K), dtype=torch.float64)))
