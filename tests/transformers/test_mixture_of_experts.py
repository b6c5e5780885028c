"""Sparse MoE vs transformers' MixtralSparseMoeBlock with shared weights, and the balancing loss."""

import pytest
import torch
from transformers import MixtralConfig
from transformers.models.mixtral.modeling_mixtral import MixtralSparseMoeBlock, load_balancing_loss_func

from mlatlas.transformers.mixture_of_experts import (
    MoEConfig,
    SparseMoE,
    expert_usage,
    load_balancing_loss,
    route_top_k,
)
from mlatlas.verification import verifies

# Mixtral's router takes its softmax in float32 (router_logits.float()), so the gates it multiplies the
# float64 expert outputs by carry float32 rounding (~1e-7 relative): float64 comparisons use 1e-6.
TOL_MIXTRAL = 1e-6
TOL64 = 1e-12


def _pair(num_experts=4, top_k=2, c=8, f=12):
    cfg = MixtralConfig(
        hidden_size=c,
        intermediate_size=f,
        num_local_experts=num_experts,
        num_experts_per_tok=top_k,
        num_attention_heads=2,
        num_key_value_heads=2,
        router_jitter_noise=0.0,
    )
    torch.manual_seed(0)
    ref = MixtralSparseMoeBlock(cfg).to(torch.float64).eval()
    with torch.no_grad():
        for p in ref.parameters():
            p.normal_(0, 0.5)  # Mixtral leaves these uninitialised (torch.empty)
    ours = SparseMoE(MoEConfig(c, f, num_experts, top_k), dtype=torch.float64)
    with torch.no_grad():
        ours.router.weight.copy_(ref.gate.weight)
        for e, expert in enumerate(ours.experts):
            gate, up = ref.experts.gate_up_proj[e].chunk(2, dim=0)  # (2F, C) -> (F, C), (F, C)
            expert.gate_proj.weight.copy_(gate)
            expert.up_proj.weight.copy_(up)
            expert.down_proj.weight.copy_(ref.experts.down_proj[e])  # (C, F)
    return ours, ref


@verifies(
    "mixture-of-experts",
    against="transformers MixtralSparseMoeBlock",
    tol=TOL_MIXTRAL,
    note="shared weights, float64 (Mixtral's router softmax is float32)",
)
@pytest.mark.parametrize("num_experts,top_k", [(4, 2), (8, 2), (4, 1), (4, 4)])
def test_matches_mixtral_sparse_block(num_experts, top_k):
    ours, ref = _pair(num_experts, top_k)
    x = torch.randn(2, 7, 8, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    torch.testing.assert_close(ours(x).output, ref(x), rtol=TOL_MIXTRAL, atol=TOL_MIXTRAL)


@verifies(
    "mixture-of-experts", against="transformers load_balancing_loss_func", tol=1e-6, note="float32 in theirs"
)
def test_balancing_loss_matches_mixtral():
    logits = torch.randn(40, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for k in (1, 2, 3):
        ref = load_balancing_loss_func((logits,), num_experts=8, top_k=k)
        torch.testing.assert_close(load_balancing_loss(logits, k).float(), ref, rtol=1e-6, atol=1e-6)


def test_balancing_loss_is_top_k_when_uniform_and_larger_when_collapsed():
    uniform = torch.zeros(64, 4, dtype=torch.float64)
    uniform[torch.arange(64), torch.arange(64) % 4] = 1e-3  # ties broken evenly
    collapsed = torch.zeros(64, 4, dtype=torch.float64)
    collapsed[:, 0] = 10.0
    for k in (1, 2, 3):
        assert abs(load_balancing_loss(uniform, k).item() - k) < 1e-3  # f counted per slot: sums to k
        assert load_balancing_loss(collapsed, k).item() > 3.5  # approaches E = 4


def test_moe_with_identical_experts_is_one_expert():
    """If every expert is the same network, the renormalised gates sum to 1 and routing cannot matter."""
    ours, _ = _pair()
    with torch.no_grad():
        for expert in ours.experts[1:]:
            expert.load_state_dict(ours.experts[0].state_dict())
    x = torch.randn(2, 5, 8, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    torch.testing.assert_close(ours(x).output, ours.experts[0](x), rtol=TOL64, atol=TOL64)


def test_routing_and_usage():
    logits = torch.tensor([[3.0, 1.0, 0.0], [0.0, 2.0, 5.0]], dtype=torch.float64)
    r = route_top_k(logits, 2)
    assert r.experts.tolist() == [[0, 1], [2, 1]]
    torch.testing.assert_close(r.weights.sum(-1), torch.ones(2, dtype=torch.float64))
    torch.testing.assert_close(
        r.weights[0, 0] / r.weights[0, 1], torch.exp(torch.tensor(2.0, dtype=torch.float64))
    )
    assert expert_usage(r, 3).tolist() == [0.25, 0.5, 0.25]


def test_gradients_reach_router_and_used_experts_only():
    ours, _ = _pair(num_experts=4, top_k=1)
    x = torch.randn(1, 3, 8, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    out = ours(x)
    out.output.sum().backward()
    used = set(out.routing.experts.flatten().tolist())
    assert ours.router.weight.grad.abs().sum() > 0
    for e, expert in enumerate(ours.experts):
        assert (expert.up_proj.weight.grad is not None) == (e in used)


def test_errors():
    with pytest.raises(ValueError, match="top_k"):
        MoEConfig(8, 8, num_experts=4, top_k=5)
    with pytest.raises(ValueError, match="x must be"):
        SparseMoE(MoEConfig(8, 8))(torch.randn(2, 8))


def test_figure_claims_expert_usage_with_and_without_balancing():
    """The page's figure (120 steps, as drawn): without the balancing loss two experts get no slots
    and two others take over half; with 0.05 x the loss every expert is near 1/8, and the task loss
    is no worse."""
    from mlatlas.transformers.mixture_of_experts import train_toy_router

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the figure draws it
    try:
        plain, balanced = (train_toy_router(coef, steps=120) for coef in (0.0, 0.05))
    finally:
        torch.set_num_threads(threads)
    assert (plain.usage == 0).sum().item() == 2
    assert plain.usage.topk(2).values.sum().item() > 0.5
    assert (balanced.usage - 1 / 8).abs().max().item() < 0.03
    assert balanced.losses[-1] <= plain.losses[-1]
