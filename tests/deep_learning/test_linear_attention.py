"""Linear attention: the recurrent, prefix-sum and quadratic forms are one function; softmax as a kernel."""

import pytest
import torch

from mlatlas.deep_learning.linear_attention import (
    attention_costs,
    causal_linear_attention,
    elu_feature_map,
    kernel_attention_quadratic,
    linear_attention,
    linear_similarity,
    recurrent_linear_attention,
    softmax_similarity,
)
from mlatlas.transformers.attention import scaled_dot_product_attention
from mlatlas.verification import verifies

TOL = 1e-10  # float64


def qkv(seed=0, t=9, d=4, dv=5):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(2, 3, t, n, generator=g, dtype=torch.float64) for n in (d, d, dv))


@verifies(
    "linear-attention",
    against="quadratic (T x T) form",
    tol=TOL,
    note="float64; recurrent and prefix-sum causal forms, factorised non-causal form; outputs and gradients",
)
@pytest.mark.parametrize("seed", range(3))
def test_all_forms_are_the_same_function(seed):
    q, k, v = (x.requires_grad_() for x in qkv(seed))
    quadratic = kernel_attention_quadratic(q, k, v, linear_similarity(), causal=True)
    for form in (recurrent_linear_attention, causal_linear_attention):
        out = form(q, k, v)
        torch.testing.assert_close(out, quadratic, rtol=TOL, atol=TOL)
        g = torch.randn(out.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(9))
        grads = torch.autograd.grad((out * g).sum(), (q, k, v))
        expected = torch.autograd.grad((quadratic * g).sum(), (q, k, v), retain_graph=True)
        for a, b in zip(grads, expected):
            torch.testing.assert_close(a, b, rtol=TOL, atol=TOL)
    full = kernel_attention_quadratic(q, k, v, linear_similarity(), causal=False)
    torch.testing.assert_close(linear_attention(q, k, v), full, rtol=TOL, atol=TOL)


@verifies(
    "linear-attention",
    against="mlatlas softmax attention",
    tol=TOL,
    note="kernel attention with sim = exp(q.k / sqrt D) is softmax attention, causal and not",
)
@pytest.mark.parametrize("causal", [False, True])
def test_softmax_attention_is_kernel_attention_with_the_exponential_kernel(causal):
    q, k, v = qkv(3)
    ours = kernel_attention_quadratic(q, k, v, softmax_similarity, causal=causal)
    torch.testing.assert_close(
        ours, scaled_dot_product_attention(q, k, v, is_causal=causal), rtol=TOL, atol=TOL
    )


def test_each_output_depends_only_on_the_past():
    q, k, v = qkv(4)
    out = recurrent_linear_attention(q, k, v)
    v2 = v.clone()
    v2[:, :, 6:] += 100.0  # change the future
    torch.testing.assert_close(
        recurrent_linear_attention(q, k, v2)[:, :, :6], out[:, :, :6], rtol=TOL, atol=TOL
    )


def test_feature_map_is_positive_and_costs_cross_at_t_equals_d():
    # positive in exact arithmetic; in float64 elu(x) + 1 rounds to 0 below x of about -37, hence -30
    assert torch.all(elu_feature_map(torch.linspace(-30, 30, 1001, dtype=torch.float64)) > 0)
    edge = elu_feature_map(torch.tensor([-36.0, -38.0], dtype=torch.float64))
    assert edge[0] > 0 and edge[1] == 0  # page: rounds to zero below x of about -37
    costs = attention_costs(64, 64)
    assert costs["softmax"] == costs["linear"]  # page: the two counts cross at T = D
    big = attention_costs(4096, 64)
    assert big["softmax"] / big["linear"] == 64  # page: at T = 4096, D = 64, 64x fewer multiply-adds
    ratios = [attention_costs(t, 64)["softmax"] / attention_costs(t, 64)["linear"] for t in (256, 4096)]
    assert ratios == [4, 64]  # page: the counts predict the demo's ratio goes from 4 to 64


def test_the_weight_matrix_has_rank_at_most_d_unless_masked():
    # page: the non-causal weight matrix phi(Q) phi(K)^T, rows normalised, has rank <= D for any T;
    # the causal mask breaks the low rank
    q, k, _ = qkv(5, t=32, d=4)
    a = linear_similarity()(q, k)  # (B, H, T, T)
    weights = a / a.sum(dim=-1, keepdim=True)
    assert int(torch.linalg.matrix_rank(weights).max()) == 4
    masked = weights * torch.tril(torch.ones(32, 32, dtype=torch.float64))
    assert int(torch.linalg.matrix_rank(masked).min()) == 32
