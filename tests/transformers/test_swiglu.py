"""SwiGLU vs the hand formula and transformers' LlamaMLP with shared weights."""

import pytest
import torch
import torch.nn.functional as F
from transformers import LlamaConfig
from transformers.models.llama.modeling_llama import LlamaMLP

from mlatlas.transformers.swiglu import SwiGLU, silu, swiglu, swiglu_hidden_dim
from mlatlas.verification import verifies

TOL64 = 1e-12


def _x(seed=0):
    return torch.randn(2, 5, 16, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@verifies(
    "swiglu", against="transformers LlamaMLP", tol=TOL64, note="shared weights, float64, with gradients"
)
def test_matches_llama_mlp():
    config = LlamaConfig(
        hidden_size=16, intermediate_size=24, num_attention_heads=2, hidden_act="silu", mlp_bias=False
    )
    torch.manual_seed(0)
    ref = LlamaMLP(config).to(torch.float64)
    ours = SwiGLU(16, 24, dtype=torch.float64)
    ours.load_state_dict(ref.state_dict())  # same parameter names: gate_proj, up_proj, down_proj
    x1, x2 = _x().requires_grad_(), _x().requires_grad_()
    y_ours, y_ref = ours(x1), ref(x2)
    torch.testing.assert_close(y_ours, y_ref, rtol=TOL64, atol=TOL64)
    y_ours.square().sum().backward()
    y_ref.square().sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=TOL64, atol=TOL64)
    torch.testing.assert_close(ours.gate_proj.weight.grad, ref.gate_proj.weight.grad, rtol=TOL64, atol=TOL64)


@verifies("swiglu", against="torch.nn.functional.silu", tol=TOL64, note="hand formula, float64")
def test_functional_form_matches_hand_formula():
    g = torch.Generator().manual_seed(1)
    w_gate, w_up = (torch.randn(24, 16, generator=g, dtype=torch.float64) for _ in range(2))
    w_down = torch.randn(16, 24, generator=g, dtype=torch.float64)
    x = _x()
    expected = (F.silu(x @ w_gate.T) * (x @ w_up.T)) @ w_down.T
    torch.testing.assert_close(swiglu(x, w_gate, w_up, w_down), expected, rtol=TOL64, atol=TOL64)
    torch.testing.assert_close(silu(x), F.silu(x), rtol=TOL64, atol=TOL64)


def test_hidden_dim_rule_matches_llama_7b():
    assert swiglu_hidden_dim(4096) == 11008  # Llama-7B's intermediate size


def test_errors():
    with pytest.raises(ValueError, match="positive"):
        SwiGLU(0, 4)


def test_the_numbers_quoted_on_the_page():
    """SiLU's minimum (about -0.28 at z = -1.28), its values at +-3 (2.86, -0.14), and the parameter
    arithmetic: Llama-7B's SwiGLU block is 0.8% larger than a 4C ReLU block, 3.5C is 31% larger."""
    z = torch.linspace(-3, 0, 300_001, dtype=torch.float64)
    silu = torch.nn.functional.silu(z)
    assert (round(silu.min().item(), 2), round(z[silu.argmin()].item(), 2)) == (-0.28, -1.28)
    ends = torch.nn.functional.silu(torch.tensor([3.0, -3.0], dtype=torch.float64))
    assert [round(v, 2) for v in ends.tolist()] == [2.86, -0.14]
    C = 4096
    assert 3 * C * swiglu_hidden_dim(C) == 135_266_304 and 8 * C * C == 134_217_728
    assert round(100 * (3 * C * swiglu_hidden_dim(C) / (8 * C * C) - 1), 1) == 0.8
    assert round(100 * (3 * C * 14_336 / (8 * C * C) - 1)) == 31
