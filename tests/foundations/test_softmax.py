"""Our softmax against torch.softmax and torch autograd, plus its defining properties under Hypothesis."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from matplotlib.figure import Figure

from mlatlas.foundations.softmax import (
    entropy,
    log_softmax,
    log_sum_exp,
    naive_softmax,
    softmax,
    softmax_jacobian,
    softmax_vjp,
)
from mlatlas.verification import verifies

TOL = 1e-12  # float64
TOL32 = 1e-6  # float32: a few ulps of values in [0, 1]
PROP_TOL = 1e-12  # the properties hold to rounding error in float64

logit_rows = arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(1, 8)),
    elements=st.floats(-50, 50, allow_nan=False, allow_infinity=False),
)


@verifies("softmax", against="torch.softmax", tol=TOL, note="float64, every axis, temperatures 0.1 to 10")
def test_matches_torch_softmax_float64():
    g = torch.Generator().manual_seed(0)
    z = 5 * torch.randn(3, 4, 6, generator=g, dtype=torch.float64)
    for dim in (0, 1, 2, -1):
        for T in (0.1, 0.5, 1.0, 3.0, 10.0):
            torch.testing.assert_close(
                softmax(z, dim=dim, temperature=T), torch.softmax(z / T, dim=dim), rtol=TOL, atol=TOL
            )
            torch.testing.assert_close(
                log_softmax(z, dim=dim, temperature=T), torch.log_softmax(z / T, dim=dim), rtol=TOL, atol=TOL
            )


@verifies("softmax", against="torch.softmax", tol=TOL32, note="float32")
def test_matches_torch_softmax_float32():
    z = torch.randn(16, 10, generator=torch.Generator().manual_seed(1), dtype=torch.float32) * 4
    out = softmax(z)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, torch.softmax(z, dim=-1), rtol=TOL32, atol=TOL32)


def test_log_sum_exp_matches_torch_logsumexp():
    z = torch.tensor([[1000.0, 1000.0, -5.0], [-1e4, 0.0, 3.0]], dtype=torch.float64)
    torch.testing.assert_close(log_sum_exp(z), torch.logsumexp(z, dim=-1), rtol=TOL, atol=TOL)
    # a soft maximum: max_j z_j <= logsumexp(z) <= max_j z_j + log K
    m = z.amax(dim=-1)
    assert torch.all(m <= log_sum_exp(z)) and torch.all(log_sum_exp(z) <= m + math.log(z.shape[-1]))


def test_stable_where_the_naive_formula_overflows():
    z = torch.tensor([1000.0, 999.0, 0.0], dtype=torch.float64)
    assert torch.isnan(naive_softmax(z)).any()  # exp(1000) = inf, inf / inf = nan
    torch.testing.assert_close(softmax(z), torch.softmax(z, dim=-1), rtol=TOL, atol=TOL)
    torch.testing.assert_close(
        softmax(z)[0], torch.tensor(1 / (1 + math.exp(-1)), dtype=torch.float64), rtol=TOL, atol=TOL
    )


def test_minus_infinity_is_a_mask():
    z = torch.tensor([[0.0, -math.inf, 0.0], [-math.inf, 2.0, -math.inf]], dtype=torch.float64)
    expected = torch.tensor([[0.5, 0.0, 0.5], [0.0, 1.0, 0.0]], dtype=torch.float64)
    torch.testing.assert_close(softmax(z), expected, rtol=0, atol=0)


@verifies(
    "softmax",
    against="torch.log_softmax",
    tol=TOL32,
    note="float32 with a largest logit of +-1e4: (s - m) - log sum, not s - (m + log sum)",
)
def test_log_softmax_float32_with_a_large_largest_logit():
    # Adding m and log-sum first rounds to float32's spacing near 1e4 (~1e-3), so s - (m + log sum)
    # can be one ulp of 1e4 off; subtracting m first keeps the small numbers small.
    z = torch.tensor([[1e4, 1e4 - 3.0, 1e4 - 3.5], [-1e4, -1e4 + 0.7, -1e4 - 2.0]], dtype=torch.float32)
    exact = torch.log_softmax(z.double(), dim=-1).float()
    torch.testing.assert_close(log_softmax(z), torch.log_softmax(z, dim=-1), rtol=TOL32, atol=TOL32)
    torch.testing.assert_close(log_softmax(z), exact, rtol=TOL32, atol=TOL32)


@settings(max_examples=25, deadline=None)
@given(logit_rows)
@verifies(
    "softmax",
    against="sums to 1 and shift invariance",
    tol=PROP_TOL,
    note="Hypothesis, float64 logits in [-50, 50]",
)
def test_properties_sum_to_one_and_shift_invariance(z_np):
    z = torch.from_numpy(z_np)
    p = softmax(z)
    assert torch.all(p >= 0)
    torch.testing.assert_close(
        p.sum(-1), torch.ones(z.shape[0], dtype=torch.float64), rtol=PROP_TOL, atol=PROP_TOL
    )
    c = torch.linspace(-30, 30, z.shape[0], dtype=torch.float64).unsqueeze(-1)  # a different c per row
    torch.testing.assert_close(softmax(z + c), p, rtol=PROP_TOL, atol=PROP_TOL)
    torch.testing.assert_close(p, torch.softmax(z, dim=-1), rtol=TOL, atol=TOL)


@settings(max_examples=25, deadline=None)
@given(logit_rows, st.floats(0.2, 5.0))
def test_higher_temperature_never_lowers_entropy(z_np, T):
    # dH/dT = Var_p(z) / T^3 >= 0: the entropy of softmax(z / T) is non-decreasing in T
    z = torch.from_numpy(z_np)
    low, high = entropy(softmax(z, temperature=T)), entropy(softmax(z, temperature=1.25 * T))
    assert torch.all(high >= low - 1e-12)
    assert torch.all(high <= math.log(z.shape[1]) + 1e-12)  # never above the uniform's log K


def test_temperature_limits():
    z = torch.tensor([1.0, 3.0, 2.0, 3.0 - 1e-3], dtype=torch.float64)
    cold = softmax(z, temperature=1e-5)
    torch.testing.assert_close(
        cold, torch.tensor([0.0, 1.0, 0.0, 0.0], dtype=torch.float64), rtol=0, atol=1e-12
    )
    hot = softmax(z, temperature=1e6)
    torch.testing.assert_close(hot, torch.full((4,), 0.25, dtype=torch.float64), rtol=0, atol=1e-6)


@verifies("softmax", against="torch.autograd.functional.jacobian", tol=TOL, note="float64, T = 1 and 2.5")
def test_jacobian_matches_autograd():
    z = torch.randn(3, 5, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    for T in (1.0, 2.5):
        ours = softmax_jacobian(z, temperature=T)  # (3, 5, 5)
        for i in range(z.shape[0]):
            ref = torch.autograd.functional.jacobian(lambda v, T=T: torch.softmax(v / T, dim=-1), z[i])
            torch.testing.assert_close(ours[i], ref, rtol=TOL, atol=TOL)
        # columns of the Jacobian sum to 0 (it is symmetric, so rows too):
        # moving any logit cannot change sum_i p_i = 1
        torch.testing.assert_close(ours.sum(-2), torch.zeros(3, 5, dtype=torch.float64), rtol=0, atol=TOL)


def test_vjp_matches_autograd_backward():
    g = torch.Generator().manual_seed(3)
    z = torch.randn(4, 7, generator=g, dtype=torch.float64, requires_grad=True)
    grad_p = torch.randn(4, 7, generator=g, dtype=torch.float64)
    torch.softmax(z / 0.7, dim=-1).backward(grad_p)
    torch.testing.assert_close(softmax_vjp(z.detach(), grad_p, temperature=0.7), z.grad, rtol=TOL, atol=TOL)
    jac = softmax_jacobian(z.detach(), temperature=0.7)
    torch.testing.assert_close(
        softmax_vjp(z.detach(), grad_p, temperature=0.7),
        (jac.transpose(-1, -2) @ grad_p.unsqueeze(-1)).squeeze(-1),
        rtol=TOL,
        atol=TOL,
    )


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="temperature must be > 0"):
        softmax(torch.zeros(3), temperature=0.0)
    with pytest.raises(ValueError, match="floating-point"):
        softmax(torch.tensor([1, 2, 3]))
    with pytest.raises(ValueError, match="at least one dimension"):
        softmax(torch.tensor(1.0))
    with pytest.raises(TypeError, match="torch.as_tensor"):
        softmax([1.0, 2.0])


def test_figures_return_figures():
    from mlatlas.foundations.figures import softmax as figs

    assert isinstance(figs.temperature_sweep(), Figure)
