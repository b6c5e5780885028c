"""Our pure optimiser steps against torch.optim, iterate by iterate, in float64."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.foundations import optimizers as opt
from mlatlas.foundations.surfaces import rosenbrock
from mlatlas.verification import verifies

TOL = 1e-10
STEPS = 60

# name -> (torch class, torch kwargs, our step, our init, our kwargs)
CASES = {
    "sgd": (torch.optim.SGD, {"lr": 2e-4}, opt.sgd_step, opt.sgd_init, {}),
    "sgd-l2": (torch.optim.SGD, {"lr": 2e-4, "weight_decay": 0.1}, opt.sgd_step, opt.sgd_init,
               {"weight_decay": 0.1}),
    "momentum": (torch.optim.SGD, {"lr": 2e-4, "momentum": 0.9}, opt.sgd_step, opt.sgd_init,
                 {"momentum": 0.9}),
    "nesterov": (torch.optim.SGD, {"lr": 2e-4, "momentum": 0.9, "nesterov": True}, opt.sgd_step,
                 opt.sgd_init, {"momentum": 0.9, "nesterov": True}),
    "rmsprop": (torch.optim.RMSprop, {"lr": 1e-2}, opt.rmsprop_step, opt.rmsprop_init, {}),
    "rmsprop-momentum": (torch.optim.RMSprop, {"lr": 1e-3, "momentum": 0.8, "alpha": 0.9,
                                               "weight_decay": 0.05},
                         opt.rmsprop_step, opt.rmsprop_init,
                         {"momentum": 0.8, "alpha": 0.9, "weight_decay": 0.05}),
    "adam": (torch.optim.Adam, {"lr": 5e-2}, opt.adam_step, opt.adam_init, {}),
    "adam-l2": (torch.optim.Adam, {"lr": 5e-2, "betas": (0.8, 0.99), "weight_decay": 0.1},
                opt.adam_step, opt.adam_init, {"beta1": 0.8, "beta2": 0.99, "weight_decay": 0.1}),
    "adamw": (torch.optim.AdamW, {"lr": 5e-2, "weight_decay": 0.1}, opt.adamw_step, opt.adam_init,
              {"weight_decay": 0.1}),
}  # fmt: skip


def least_squares_problem():
    """f(W) = ||X W − Y||² / (2n) on a (3, 4) weight matrix: a multi-dimensional parameter."""
    g = torch.Generator().manual_seed(0)
    features = torch.randn(32, 3, generator=g, dtype=torch.float64)
    targets = torch.randn(32, 4, generator=g, dtype=torch.float64)
    w0 = torch.randn(3, 4, generator=g, dtype=torch.float64)

    def loss(w):
        return ((features @ w - targets) ** 2).sum() / (2 * features.shape[0])

    return w0, loss


def rosenbrock_problem():
    return torch.tensor([-1.5, 2.0], dtype=torch.float64), lambda p: rosenbrock(p[0], p[1])


def torch_trajectory(cls, kwargs, x0, loss, steps, scheduler=None):
    p = x0.clone().requires_grad_(True)
    optimizer = cls([p], **kwargs)
    sched = scheduler(optimizer) if scheduler else None
    xs = [p.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        loss(p).backward()
        optimizer.step()
        if sched is not None:
            sched.step()
        xs.append(p.detach().clone())
    return torch.stack(xs)


def autograd_loss_and_grad(loss):
    def loss_and_grad(x):
        x = x.detach().clone().requires_grad_(True)
        value = loss(x)
        (grad,) = torch.autograd.grad(value, x)
        return value.detach(), grad

    return loss_and_grad


@verifies("optimizers", against="torch.optim", tol=TOL,
          note="float64, every iterate of 60 steps: SGD, momentum, Nesterov, RMSProp, Adam, AdamW")
@pytest.mark.parametrize("problem", [rosenbrock_problem, least_squares_problem], ids=["rosenbrock", "lstsq"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_iterate_matches_torch_optim(case, problem):
    cls, torch_kwargs, step, init, our_kwargs = CASES[case]
    x0, loss = problem()
    reference = torch_trajectory(cls, torch_kwargs, x0, loss, STEPS)
    ours = opt.run(step, init(x0), x0, autograd_loss_and_grad(loss), STEPS, lr=torch_kwargs["lr"],
                   **our_kwargs)  # fmt: skip
    assert ours.xs.shape == (STEPS + 1, *x0.shape)
    assert not torch.equal(ours.xs[-1], x0)  # the optimiser really moved
    torch.testing.assert_close(ours.xs, reference, rtol=TOL, atol=TOL)


def test_analytic_surface_gradient_gives_the_same_trajectory_as_autograd():
    x0, loss = rosenbrock_problem()
    by_hand = opt.run(opt.adam_step, opt.adam_init(x0), x0, opt.surface_loss_and_grad("rosenbrock"), STEPS,
                      lr=0.05)  # fmt: skip
    by_autograd = opt.run(opt.adam_step, opt.adam_init(x0), x0, autograd_loss_and_grad(loss), STEPS, lr=0.05)
    torch.testing.assert_close(by_hand.xs, by_autograd.xs, rtol=TOL, atol=TOL)


WARMUP, TOTAL, BASE_LR, MIN_LR = 10, 60, 0.05, 1e-3


def warmup_cosine_scheduler(optimizer):
    lr_scheduler = torch.optim.lr_scheduler
    return lr_scheduler.SequentialLR(
        optimizer,
        [lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=WARMUP),
         lr_scheduler.CosineAnnealingLR(optimizer, T_max=TOTAL - WARMUP, eta_min=MIN_LR)],
        milestones=[WARMUP],
    )  # fmt: skip


def schedule(t):
    return opt.warmup_cosine_lr(t, base_lr=BASE_LR, warmup_steps=WARMUP, total_steps=TOTAL, min_lr=MIN_LR)


@verifies("optimizers", against="torch.optim.lr_scheduler", tol=TOL,
          note="SequentialLR(LinearLR, CosineAnnealingLR), every step of 60, float64")
def test_warmup_cosine_matches_torch_schedulers():
    optimizer = torch.optim.SGD([torch.zeros(1, dtype=torch.float64, requires_grad=True)], lr=BASE_LR)
    scheduler = warmup_cosine_scheduler(optimizer)
    reference = []
    for _ in range(TOTAL + 1):
        reference.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    ours = [schedule(t) for t in range(TOTAL + 1)]
    torch.testing.assert_close(torch.tensor(ours), torch.tensor(reference), rtol=TOL, atol=TOL)


@verifies("optimizers", against="torch.optim.lr_scheduler", tol=TOL, note="AdamW + warmup-cosine, 60 steps")
def test_scheduled_adamw_trajectory_matches_torch():
    x0, loss = least_squares_problem()
    reference = torch_trajectory(torch.optim.AdamW, {"lr": BASE_LR, "weight_decay": 0.1}, x0, loss, TOTAL,
                                 scheduler=warmup_cosine_scheduler)  # fmt: skip
    ours = opt.run(opt.adamw_step, opt.adam_init(x0), x0, autograd_loss_and_grad(loss), TOTAL, lr=schedule,
                   weight_decay=0.1)  # fmt: skip
    torch.testing.assert_close(ours.xs, reference, rtol=TOL, atol=TOL)


def test_schedule_shape():
    lrs = [schedule(t) for t in range(TOTAL + 20)]
    assert lrs[0] == pytest.approx(0.1 * BASE_LR)
    assert max(lrs) == pytest.approx(BASE_LR) and lrs.index(max(lrs)) == WARMUP
    assert all(a <= b for a, b in zip(lrs[:WARMUP], lrs[1 : WARMUP + 1]))  # rises during warmup
    assert all(a >= b for a, b in zip(lrs[WARMUP:], lrs[WARMUP + 1 :]))  # then never rises
    assert lrs[TOTAL:] == [pytest.approx(MIN_LR)] * 20  # holds the floor after the end


@settings(max_examples=25, deadline=None)
@given(lr=st.floats(1e-4, 1.0), beta1=st.floats(0.0, 0.99), scale=st.floats(1e-3, 1e3))
def test_first_adam_step_has_length_lr_in_every_coordinate(lr, beta1, scale):
    # With bias correction, step 1 is x − η g / (|g| + ε'), i.e. η · sign(g) whatever the gradient scale.
    g = torch.tensor([scale, -2 * scale, 0.5 * scale], dtype=torch.float64)
    x = torch.zeros(3, dtype=torch.float64)
    x1, state = opt.adam_step(x, g, opt.adam_init(x), lr=lr, beta1=beta1, eps=0.0)
    torch.testing.assert_close(x1, -lr * torch.sign(g), rtol=1e-12, atol=1e-15)
    assert state.step == 1


def test_sgd_with_l2_equals_decoupled_decay_with_the_same_lambda():
    # For plain SGD, x − η(g + λx) = (1 − ηλ)x − ηg: L2 and decoupled decay are the same thing.
    g = torch.Generator().manual_seed(1)
    x = torch.randn(5, generator=g, dtype=torch.float64)
    grad = torch.randn(5, generator=g, dtype=torch.float64)
    l2, _ = opt.sgd_step(x, grad, opt.sgd_init(x), lr=0.1, weight_decay=0.3)
    torch.testing.assert_close(l2, (1 - 0.1 * 0.3) * x - 0.1 * grad, rtol=1e-14, atol=1e-14)


def test_momentum_zero_is_plain_sgd_and_state_is_returned_not_mutated():
    x = torch.tensor([1.0, -2.0], dtype=torch.float64)
    grad = torch.tensor([0.5, 0.25], dtype=torch.float64)
    state = opt.sgd_init(x)
    x1, state1 = opt.sgd_step(x, grad, state, lr=0.1, momentum=0.9)
    assert torch.equal(state.velocity, torch.zeros(2, dtype=torch.float64))  # input state untouched
    assert torch.equal(state1.velocity, grad)
    assert torch.equal(x, torch.tensor([1.0, -2.0], dtype=torch.float64))
    x2, _ = opt.sgd_step(x, grad, state, lr=0.1)
    torch.testing.assert_close(x1, x2)  # first momentum step is a plain step (b₁ = g)


def test_trajectory_on_surface_runs_every_optimizer():
    for name in opt.OPTIMIZER_NAMES:
        traj = opt.trajectory_on_surface(name, "quadratic", 20, lr=0.02)
        assert traj.xs.shape == (21, 2) and traj.losses.shape == (21,)
        assert traj.losses[-1] < traj.losses[0]
        assert math.isfinite(traj.losses[-1].item())


def test_bad_inputs_raise_helpful_errors():
    x = torch.zeros(2, dtype=torch.float64)
    with pytest.raises(ValueError, match="must match"):
        opt.sgd_step(x, torch.zeros(3, dtype=torch.float64), opt.sgd_init(x), lr=0.1)
    with pytest.raises(ValueError, match="learning rate"):
        opt.adam_step(x, x, opt.adam_init(x), lr=-1.0)
    with pytest.raises(ValueError, match="momentum > 0"):
        opt.sgd_step(x, x, opt.sgd_init(x), lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="warmup_steps < total_steps"):
        opt.warmup_cosine_lr(0, base_lr=1.0, warmup_steps=10, total_steps=10)
    with pytest.raises(ValueError, match="unknown optimizer"):
        opt.trajectory_on_surface("lion", "quadratic", 3, lr=0.1)


def test_figures_return_figures():
    from matplotlib.figure import Figure

    from mlatlas.foundations.figures import optimizers as figures

    for fn in (figures.trajectories, figures.loss_curves, figures.warmup_cosine_schedule):
        assert isinstance(fn(), Figure)
