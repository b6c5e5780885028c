"""RMSNorm vs torch.nn.RMSNorm (and Llama's RMSNorm for the half-precision convention)."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from mlatlas.transformers.rmsnorm import RMSNorm, rms_norm
from mlatlas.verification import verifies

TOL64 = 1e-12
TOL32 = 1e-5


def _x(shape=(2, 5, 16), dtype=torch.float64, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).to(dtype)


@verifies("rmsnorm", against="torch.nn.RMSNorm", tol=TOL64, note="float64, outputs and gradients")
def test_matches_torch_rmsnorm_with_gradients():
    ref = nn.RMSNorm(16, eps=1e-6, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(_x((16,), seed=1))
    ours = RMSNorm(16, eps=1e-6, dtype=torch.float64)
    ours.load_state_dict(ref.state_dict())
    x1, x2 = _x().requires_grad_(), _x().requires_grad_()
    y_ours, y_ref = ours(x1), ref(x2)
    torch.testing.assert_close(y_ours, y_ref, rtol=TOL64, atol=TOL64)
    w = _x(seed=2)
    (y_ours * w).sum().backward()
    (y_ref * w).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=TOL64, atol=TOL64)
    torch.testing.assert_close(ours.weight.grad, ref.weight.grad, rtol=TOL64, atol=TOL64)


@verifies("rmsnorm", against="torch.nn.RMSNorm", tol=TOL32, note="float32")
def test_matches_torch_rmsnorm_float32():
    ref = nn.RMSNorm(16, eps=1e-5)
    x = _x(dtype=torch.float32) * 100
    torch.testing.assert_close(rms_norm(x, ref.weight, 1e-5), ref(x), rtol=TOL32, atol=TOL32)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_inputs_do_not_overflow(dtype):
    x = (_x() * 1000).to(dtype)  # x^2 ~ 1e6 overflows float16 (max 65504) if squared in float16
    y = rms_norm(x, torch.ones(16, dtype=dtype))
    assert y.dtype == dtype and torch.isfinite(y).all()
    torch.testing.assert_close(y.double(), rms_norm(x.double()), rtol=1e-2, atol=1e-2)


@settings(max_examples=25, deadline=None)
@given(scale=st.floats(1e-3, 1e3), seed=st.integers(0, 10_000))
def test_scale_invariance_and_unit_rms(scale, seed):
    x = _x(seed=seed)
    y = rms_norm(x, eps=0.0)
    torch.testing.assert_close(rms_norm(x * scale, eps=0.0), y, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(
        y.pow(2).mean(-1), torch.ones(2, 5, dtype=torch.float64), rtol=1e-10, atol=1e-10
    )


def test_errors():
    with pytest.raises(ValueError, match="weight must have shape"):
        rms_norm(_x(), torch.ones(8, dtype=torch.float64))
    with pytest.raises(ValueError, match="eps"):
        rms_norm(_x(), eps=-1.0)
    with pytest.raises(ValueError, match="dim"):
        RMSNorm(0)
