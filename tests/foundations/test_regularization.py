"""Dropout, weight decay and gradient clipping against torch's own implementations."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.foundations import regularization as reg
from mlatlas.foundations.optimizers import adam_init, adam_step, adamw_step, run, sgd_init, sgd_step
from mlatlas.verification import verifies

TOL = 1e-12
TOL32 = 1e-6


@verifies("regularization", against="torch.nn.functional.dropout", tol=TOL,
          note="same seed gives the identical mask; outputs and gradients, float64 and float32")
@pytest.mark.parametrize("dtype,tol", [(torch.float64, TOL), (torch.float32, TOL32)])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_matches_torch_mask_and_scaling(p, dtype, tol):
    x = torch.randn(64, 33, generator=torch.Generator().manual_seed(0), dtype=dtype)
    xt = x.clone().requires_grad_(True)
    torch.manual_seed(123)  # torch's dropout draws from the default generator
    reference = F.dropout(xt, p, training=True)
    xo = x.clone().requires_grad_(True)
    ours = reg.dropout(xo, p, training=True, generator=torch.Generator().manual_seed(123))
    assert torch.equal(ours.mask.bool(), reference != 0)  # the very same units are dropped
    torch.testing.assert_close(ours.output, reference, rtol=tol, atol=tol)
    upstream = torch.randn(64, 33, generator=torch.Generator().manual_seed(1), dtype=dtype)
    reference.backward(upstream)
    ours.output.backward(upstream)
    torch.testing.assert_close(xo.grad, xt.grad, rtol=tol, atol=tol)  # ∂y/∂x = m / (1 − p)


def test_dropout_in_eval_mode_is_the_identity_like_torch():
    x = torch.randn(10, dtype=torch.float64)
    ours = reg.dropout(x, 0.5, training=False)
    assert torch.equal(ours.output, F.dropout(x, 0.5, training=False))
    assert torch.equal(ours.output, x)
    assert torch.equal(reg.dropout(x, 0.0, training=True).output, x)
    assert torch.equal(reg.dropout(x, 1.0, training=True).output, torch.zeros_like(x))
    assert torch.equal(F.dropout(x, 1.0, training=True), torch.zeros_like(x))


def test_dropout_preserves_the_mean_in_expectation():
    # E[y] = x: average 4000 independent masks of a constant input; the sample mean of
    # m/(1-p) has standard deviation sqrt(p/(1-p)/n) = 0.0158 for p = 0.5 -> allow 5 sigma.
    x = torch.full((4000,), 2.0, dtype=torch.float64)
    y = reg.dropout(x, 0.5, training=True, generator=torch.Generator().manual_seed(7)).output
    assert abs(y.mean().item() - 2.0) < 5 * 2.0 * (0.5 / 0.5 / 4000) ** 0.5
    assert abs((y == 0).double().mean().item() - 0.5) < 5 * (0.25 / 4000) ** 0.5


@verifies("regularization", against="torch.optim weight_decay", tol=1e-10,
          note="SGD/Adam weight_decay (L2) and AdamW (decoupled), 100 steps, float64")
@pytest.mark.parametrize("kind", ["sgd", "adam", "adamw"])
def test_weight_decay_trajectories_match_torch(kind):
    s = torch.tensor(reg.CURVATURES, dtype=torch.float64)
    w0 = torch.zeros(2, dtype=torch.float64)
    lam, lr = 0.5, 0.01
    cls, step, init = {"sgd": (torch.optim.SGD, sgd_step, sgd_init),
                       "adam": (torch.optim.Adam, adam_step, adam_init),
                       "adamw": (torch.optim.AdamW, adamw_step, adam_init)}[kind]  # fmt: skip
    p = w0.clone().requires_grad_(True)
    optimizer = cls([p], lr=lr, weight_decay=lam)
    reference = [w0]
    for _ in range(100):
        optimizer.zero_grad()
        (0.5 * (s * (p - 1) ** 2).sum()).backward()
        optimizer.step()
        reference.append(p.detach().clone())
    ours = run(step, init(w0), w0, lambda w: (0.5 * (s * (w - 1) ** 2).sum(), s * (w - 1)), 100, lr=lr,
               weight_decay=lam)  # fmt: skip
    torch.testing.assert_close(ours.xs, torch.stack(reference), rtol=1e-10, atol=1e-10)


def test_l2_and_decoupled_agree_for_sgd_but_not_for_adam():
    c = reg.compare_weight_decay(num_steps=3000)
    torch.testing.assert_close(c.sgd_l2, c.sgd_decoupled, rtol=1e-12, atol=1e-12)  # one update, 2 spellings
    torch.testing.assert_close(c.sgd_l2[-1], c.l2_fixed_point, rtol=1e-8, atol=1e-8)
    # Adam + L2 converges to the same minimiser of f + λ/2 ‖w‖² as SGD does
    torch.testing.assert_close(c.adam_l2[-1], c.l2_fixed_point, rtol=1e-6, atol=1e-6)
    gap = (c.adam_l2[-1] - c.adamw[-1]).abs()
    assert gap[1] > 0.5  # the flat coordinate: L2 shrinks it to 1/6, AdamW leaves it near 1
    # AdamW treats both coordinates alike; they differ only through Adam's ε = 1e-8, which is not
    # negligible next to the flat coordinate's tiny gradient (|g| ~ 4e-3), hence 1e-6 not 1e-12.
    assert abs(c.adamw[-1, 0] - c.adamw[-1, 1]) < 1e-6


def test_l2_gradient_and_decoupled_decay_formulas():
    x = torch.tensor([1.0, -2.0], dtype=torch.float64)
    g = torch.tensor([0.5, 0.5], dtype=torch.float64)
    assert torch.equal(reg.l2_gradient(g, x, 0.1), torch.tensor([0.6, 0.3], dtype=torch.float64))
    torch.testing.assert_close(reg.decoupled_decay(x, 0.1, 0.5), x * 0.95)


def random_grads(seed, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return [scale * torch.randn(3, 4, generator=g, dtype=torch.float64),
            scale * torch.randn(7, generator=g, dtype=torch.float64)]  # fmt: skip


@verifies("regularization", against="torch.nn.utils.clip_grad_norm_", tol=TOL,
          note="2-norm and inf-norm, clipped and unclipped, float64")
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    grads = random_grads(0)
    params = [torch.zeros_like(g, requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    reference_norm = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    ours = reg.clip_grad_norm(grads, max_norm, norm_type=norm_type)
    torch.testing.assert_close(ours.total_norm, reference_norm, rtol=TOL, atol=TOL)
    for mine, p in zip(ours.grads, params):
        torch.testing.assert_close(mine, p.grad, rtol=TOL, atol=TOL)


@verifies("regularization", against="torch.nn.utils.clip_grad_value_", tol=0.0, note="exact")
def test_clip_grad_value_matches_torch():
    grads = random_grads(1, scale=3.0)
    params = [torch.zeros_like(g, requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    torch.nn.utils.clip_grad_value_(params, 1.5)
    for mine, p in zip(reg.clip_grad_value(grads, 1.5), params):
        assert torch.equal(mine, p.grad)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), max_norm=st.floats(0.01, 10.0), scale=st.floats(1e-3, 1e3))
def test_norm_clipping_keeps_direction_and_bounds_length(seed, max_norm, scale):
    grads = random_grads(seed, scale)
    flat = torch.cat([g.flatten() for g in grads])
    clipped = torch.cat([g.flatten() for g in reg.clip_grad_norm(grads, max_norm).grads])
    assert torch.linalg.vector_norm(clipped) <= max_norm + 1e-9
    cosine = flat @ clipped / (torch.linalg.vector_norm(flat) * torch.linalg.vector_norm(clipped))
    assert cosine > 1 - 1e-12  # same direction


def test_value_clipping_can_turn_the_direction():
    g = [torch.tensor([10.0, 0.1], dtype=torch.float64)]
    (clipped,) = reg.clip_grad_value(g, 1.0)
    assert torch.equal(clipped, torch.tensor([1.0, 0.1], dtype=torch.float64))  # was ~0.6°, now ~5.7°


def test_bad_inputs_raise():
    x = torch.zeros(3)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        reg.dropout(x, 1.5, training=True)
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        reg.clip_grad_norm([x], 0.0)
    with pytest.raises(ValueError, match="clip_value must be > 0"):
        reg.clip_grad_value([x], -1.0)


def test_figures_return_figures():
    from matplotlib.figure import Figure

    from mlatlas.foundations.figures import regularization as figures

    for fn in (figures.weight_decay_paths, figures.clipping_geometry):
        assert isinstance(fn(), Figure)
