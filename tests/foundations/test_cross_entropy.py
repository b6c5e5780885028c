"""Our cross-entropy against torch.nn.functional.cross_entropy, and its p - y gradient against autograd."""

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from mlatlas.foundations.cross_entropy import cross_entropy, cross_entropy_grad, optimal_logit_gap
from mlatlas.verification import verifies

TOL = 1e-12  # float64
TOL32 = 1e-5  # float32

B, K = 8, 5


def data(dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    logits = 3 * torch.randn(B, K, generator=g, dtype=dtype)
    labels = torch.tensor([0, 1, 4, -100, 2, 3, 3, 1])  # one ignored example
    probs = torch.softmax(torch.randn(B, K, generator=g, dtype=dtype), dim=-1)
    weight = torch.rand(K, generator=g, dtype=dtype) + 0.5
    return logits, labels, probs, weight


CASES = list(itertools.product([0.0, 0.1, 0.35], [None, "w"], ["mean", "sum", "none"], ["labels", "probs"]))


@pytest.mark.parametrize("label_smoothing, weighted, reduction, kind", CASES)
@verifies(
    "cross-entropy",
    against="torch.nn.functional.cross_entropy",
    tol=TOL,
    note="float64; label smoothing 0 / 0.1 / 0.35, class weights, ignore_index, 3 reductions, "
    "label and probability targets; loss and gradient",
)
def test_loss_and_gradient_match_torch(label_smoothing, weighted, reduction, kind):
    logits, labels, probs, weight = data()
    target = labels if kind == "labels" else probs
    w = weight if weighted else None
    kwargs = dict(label_smoothing=label_smoothing, weight=w, reduction=reduction)
    ours = cross_entropy(logits, target, **kwargs)
    z = logits.clone().requires_grad_(True)
    ref = F.cross_entropy(z, target, **kwargs)
    torch.testing.assert_close(ours, ref.detach(), rtol=TOL, atol=TOL)
    if reduction != "none":
        ref.backward()
        torch.testing.assert_close(cross_entropy_grad(logits, target, **kwargs), z.grad, rtol=TOL, atol=TOL)


@verifies("cross-entropy", against="torch.nn.functional.cross_entropy", tol=TOL32, note="float32")
def test_matches_torch_float32():
    logits, labels, _, _ = data(torch.float32, seed=1)
    torch.testing.assert_close(
        cross_entropy(logits, labels, label_smoothing=0.1),
        F.cross_entropy(logits, labels, label_smoothing=0.1),
        rtol=TOL32,
        atol=TOL32,
    )


@verifies("cross-entropy", against="gradient p - y", tol=TOL, note="float64, one-hot targets, mean over B")
def test_gradient_is_p_minus_y():
    logits, _, _, _ = data(seed=2)
    labels = torch.tensor([0, 1, 4, 4, 2, 3, 3, 1])
    p = torch.softmax(logits, dim=-1)
    y = F.one_hot(labels, K).to(torch.float64)
    torch.testing.assert_close(cross_entropy_grad(logits, labels), (p - y) / B, rtol=TOL, atol=TOL)
    # with label smoothing the target is simply the smoothed distribution
    eps = 0.2
    torch.testing.assert_close(
        cross_entropy_grad(logits, labels, label_smoothing=eps),
        (p - ((1 - eps) * y + eps / K)) / B,
        rtol=TOL,
        atol=TOL,
    )


@settings(max_examples=25, deadline=None)
@given(st.floats(0.0, 0.9), st.integers(2, 7), st.floats(-20, 20))
def test_cross_entropy_is_entropy_plus_kl(eps, k, shift):
    # H(q, p) = H(q) + KL(q || p) >= H(q), with equality iff p = q; and the loss is shift invariant
    g = torch.Generator().manual_seed(k)
    logits = torch.randn(3, k, generator=g, dtype=torch.float64)
    q = torch.softmax(torch.randn(3, k, generator=g, dtype=torch.float64), dim=-1)
    ce = cross_entropy(logits, q, label_smoothing=eps, reduction="none")
    qs = (1 - eps) * q + eps / k
    p = torch.softmax(logits, dim=-1)
    h = -(qs * qs.log()).sum(-1)
    kl = (qs * (qs.log() - p.log())).sum(-1)
    torch.testing.assert_close(ce, h + kl, rtol=1e-10, atol=1e-10)
    assert torch.all(kl >= -1e-12)
    torch.testing.assert_close(
        cross_entropy(logits + shift, q, label_smoothing=eps, reduction="none"), ce, rtol=1e-10, atol=1e-10
    )


def test_label_smoothing_has_a_finite_optimum():
    eps = 0.1
    gap = optimal_logit_gap(K, eps)
    np.testing.assert_allclose(gap, math.log(1 + K * (1 - eps) / eps), rtol=TOL)

    def loss_at(m):
        z = torch.zeros(1, K, dtype=torch.float64)
        z[0, 0] = m
        return cross_entropy(z, torch.tensor([0]), label_smoothing=eps)

    g = cross_entropy_grad(
        torch.tensor([[gap, 0, 0, 0, 0]], dtype=torch.float64), torch.tensor([0]), label_smoothing=eps
    )
    torch.testing.assert_close(g, torch.zeros(1, K, dtype=torch.float64), rtol=0, atol=1e-12)
    assert loss_at(gap) < loss_at(gap - 0.5) and loss_at(gap) < loss_at(gap + 0.5)
    assert optimal_logit_gap(K, 0.0) == math.inf


def test_extreme_logits_stay_finite():
    z = torch.tensor([[1000.0, -1000.0, 0.0]], dtype=torch.float64)
    np.testing.assert_allclose(cross_entropy(z, torch.tensor([1])).item(), 2000.0, rtol=TOL)
    assert cross_entropy(z, torch.tensor([1])).item() == 2000.0  # the page: "exactly 2000, not inf"
    torch.testing.assert_close(cross_entropy(z, torch.tensor([1])), F.cross_entropy(z, torch.tensor([1])))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@verifies(
    "cross-entropy",
    against="torch.nn.functional.cross_entropy",
    tol=TOL,
    note="float64, -inf logits (a masked class, a padded vocabulary), 3 reductions, with and "
    "without label smoothing; loss and gradient finite",
)
def test_minus_infinity_logits_match_torch(reduction, label_smoothing):
    # A -inf logit has log p = -inf; a zero target weight must contribute 0, not 0 * (-inf) = nan.
    z = torch.tensor(
        [[2.0, -math.inf, 0.5, 1.0], [-math.inf, 0.3, -1.0, -math.inf], [0.1, 0.2, 0.3, 0.4]],
        dtype=torch.float64,
    )
    y = torch.tensor([0, 1, 3])
    kwargs = dict(reduction=reduction)
    if label_smoothing:  # smoothing puts mass on every class: keep -inf only in the ignored row
        z[0, 1], y = 0.7, torch.tensor([0, -100, 3])
        kwargs["label_smoothing"] = label_smoothing
    ref_z = z.clone().requires_grad_(True)
    ref = F.cross_entropy(ref_z, y, **kwargs)
    ours = cross_entropy(z, y, **kwargs)
    assert torch.isfinite(ours).all()
    torch.testing.assert_close(ours, ref.detach(), rtol=TOL, atol=TOL)
    if reduction != "none":
        ref.backward()
        torch.testing.assert_close(cross_entropy_grad(z, y, **kwargs), ref_z.grad, rtol=TOL, atol=TOL)


@verifies(
    "cross-entropy",
    against="torch.nn.functional.cross_entropy",
    tol=TOL32,
    note="float32 with logits near +-1e4 (log-softmax subtracts the max before adding log-sum)",
)
def test_float32_with_large_logits_matches_torch():
    z = torch.tensor([[1e4, 1e4 - 3.0, 1e4 - 3.5], [-1e4, -1e4 + 0.7, -1e4 - 2.0]], dtype=torch.float32)
    y = torch.tensor([1, 0])
    torch.testing.assert_close(
        cross_entropy(z, y, reduction="none"), F.cross_entropy(z, y, reduction="none"), rtol=TOL32, atol=TOL32
    )


def test_bad_input_is_rejected():
    logits, labels, _, _ = data()
    with pytest.raises(ValueError, match=r"target 5 is not a class in \[0, 4\]"):
        cross_entropy(logits, torch.tensor([0, 1, 5, 0, 0, 0, 0, 0]))
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        cross_entropy(logits, labels, label_smoothing=1.5)
    with pytest.raises(ValueError, match="one entry per class"):
        cross_entropy(logits, labels, weight=torch.ones(3))
    with pytest.raises(ValueError, match="unknown reduction"):
        cross_entropy(logits, labels, reduction="avg")
    with pytest.raises(ValueError, match=r"shape \(B, K\)"):
        cross_entropy(logits[0], labels[0])
    with pytest.raises(ValueError, match="probability targets must have shape"):
        cross_entropy(logits, torch.ones(B, 3, dtype=torch.float64) / 3)
    with pytest.raises(ValueError, match="take the gradient of a scalar"):
        cross_entropy_grad(logits, labels, reduction="none")


def test_figures_return_figures():
    from mlatlas.foundations.figures import cross_entropy as figs

    assert isinstance(figs.label_smoothing_curves(), Figure)


def test_the_numbers_quoted_on_the_page():
    """0.105 nats for p = 0.9, 4.6 for p = 0.01; optimal gaps 3.83 (eps 0.1) and 3.04 (eps 0.2), K = 5."""
    for p, nats in ((0.9, 0.105), (0.01, 4.6)):
        logits = torch.log(torch.tensor([[p, 1 - p]], dtype=torch.float64))
        assert round(cross_entropy(logits, torch.tensor([0])).item(), 3 if nats < 1 else 1) == nats
    assert round(optimal_logit_gap(5, 0.1), 2) == 3.83 and round(optimal_logit_gap(5, 0.2), 2) == 3.04
