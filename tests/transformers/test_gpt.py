"""GPT vs transformers' GPT2LMHeadModel with shared weights; sampling filters; generation."""

import pytest
import torch
from hf_gpt2 import copy_gpt_into_gpt2
from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import GPT2Config, GPT2LMHeadModel

from mlatlas.transformers.gpt import (
    GPT,
    GPTConfig,
    generate,
    next_token_distribution,
    top_k_filter,
    top_p_filter,
)
from mlatlas.verification import verifies

TOL64 = 1e-10


def _tiny_pair(seed: int = 0, dropout: float = 0.0):
    torch.manual_seed(seed)
    cfg = GPTConfig(vocab_size=23, block_size=16, n_layer=2, n_head=2, n_embd=16, dropout=dropout)
    ours = GPT(cfg).double()
    ref_cfg = GPT2Config(
        vocab_size=23,
        n_positions=16,
        n_layer=2,
        n_head=2,
        n_embd=16,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        bos_token_id=0,
        eos_token_id=0,
        pad_token_id=0,
        activation_function="gelu_new",
        layer_norm_epsilon=1e-5,
    )
    ref_cfg._attn_implementation = "sdpa"  # the eager path would also work; sdpa stays in float64
    ref = GPT2LMHeadModel(ref_cfg).double().eval()
    copy_gpt_into_gpt2(ours, ref)
    return ours.eval(), ref


@verifies(
    "gpt", against="transformers GPT2LMHeadModel", tol=TOL64, note="shared weights, float64, logits + grads"
)
def test_logits_loss_and_gradients_match_gpt2():
    ours, ref = _tiny_pair()
    idx = torch.randint(0, 23, (3, 16), generator=torch.Generator().manual_seed(1))
    logits, loss = ours(idx[:, :-1], idx[:, 1:])
    out = ref(
        idx[:, :-1], attention_mask=torch.ones_like(idx[:, :-1]), labels=idx[:, :-1].clone()
    )  # HF shifts the labels itself
    torch.testing.assert_close(logits, out.logits, rtol=TOL64, atol=TOL64)
    # HF's label shift drops the last position, and its ForCausalLMLoss upcasts logits to float32
    # (even for a float64 model), so its loss value is checked at float32 tolerance...
    ours_loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, 23), idx[:, 1:-1].reshape(-1))
    torch.testing.assert_close(ours_loss.float(), out.loss, rtol=1e-6, atol=1e-6)
    # ...and gradients are compared in float64 through the same float64 loss on both models' logits.
    ref_loss = torch.nn.functional.cross_entropy(out.logits[:, :-1].reshape(-1, 23), idx[:, 1:-1].reshape(-1))
    ours_loss.backward()
    ref_loss.backward()
    torch.testing.assert_close(ours.wte.weight.grad, ref.transformer.wte.weight.grad, rtol=TOL64, atol=TOL64)
    torch.testing.assert_close(
        ours.blocks[0].attn.q_proj.weight.grad,
        ref.transformer.h[0].attn.c_attn.weight.grad[:, :16].T,
        rtol=TOL64,
        atol=TOL64,
    )
    torch.testing.assert_close(
        ours.blocks[1].mlp.c_fc.weight.grad,
        ref.transformer.h[1].mlp.c_fc.weight.grad.T,
        rtol=TOL64,
        atol=TOL64,
    )
    assert loss.shape == ()


@verifies(
    "gpt", against="transformers GPT2LMHeadModel.generate", tol=0, note="greedy decoding, identical tokens"
)
def test_greedy_generation_identical_to_gpt2():
    ours, ref = _tiny_pair(seed=3)
    prompt = torch.tensor([[5, 7, 1], [2, 2, 9]])
    mine = generate(ours, prompt, max_new_tokens=10, greedy=True)
    theirs = ref.generate(
        prompt,
        attention_mask=torch.ones_like(prompt),
        max_new_tokens=10,
        do_sample=False,
        pad_token_id=0,
        eos_token_id=None,
    )
    assert torch.equal(mine, theirs)


def test_context_longer_than_block_is_cropped_and_rejected_in_forward():
    ours, _ = _tiny_pair()
    with pytest.raises(ValueError, match="longer than block_size"):
        ours(torch.zeros(1, 17, dtype=torch.long))
    out = generate(ours, torch.zeros(1, 14, dtype=torch.long), max_new_tokens=5, greedy=True)
    assert out.shape == (1, 19)
    with pytest.raises(ValueError, match="explicit torch.Generator"):
        generate(ours, torch.zeros(1, 2, dtype=torch.long), 1)


def test_causality_future_tokens_do_not_change_past_logits():
    ours, _ = _tiny_pair()
    a = torch.randint(0, 23, (1, 12))
    b = a.clone()
    b[0, 8:] = (b[0, 8:] + 1) % 23
    torch.testing.assert_close(ours(a)[0][:, :8], ours(b)[0][:, :8], rtol=TOL64, atol=TOL64)


def test_top_k_and_top_p_hand_cases():
    z = torch.log(torch.tensor([0.5, 0.2, 0.15, 0.1, 0.05], dtype=torch.float64))
    assert torch.isinf(top_k_filter(z, 2)[2:]).all() and torch.isfinite(top_k_filter(z, 2)[:2]).all()
    # top-p 0.8: 0.5 + 0.2 = 0.7 < 0.8, so the 0.15 token is needed too; 0.05 and 0.1 go
    kept = torch.isfinite(top_p_filter(z, 0.8))
    assert kept.tolist() == [True, True, True, False, False]
    assert torch.isfinite(top_p_filter(z, 0.01)).tolist() == [True, False, False, False, False]
    p = next_token_distribution(z, temperature=1.0, top_k=3)
    torch.testing.assert_close(p, torch.tensor([0.5, 0.2, 0.15, 0, 0], dtype=torch.float64) / 0.85)
    with pytest.raises(ValueError, match="temperature must be positive"):
        next_token_distribution(z, temperature=0.0)
    with pytest.raises(ValueError, match="top_p must be in"):
        top_p_filter(z, 1.5)
    with pytest.raises(ValueError, match="top_k must be at least 1"):
        top_k_filter(z, 0)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.1, 3.0), st.integers(1, 9), st.floats(0.05, 1.0))
def test_sampling_distribution_properties(seed, temperature, k, p):
    z = torch.randn(9, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 3
    probs = next_token_distribution(z, temperature, top_k=k, top_p=p)
    torch.testing.assert_close(probs.sum(), torch.tensor(1.0, dtype=torch.float64))
    assert (probs > 0).sum() <= k  # top-k bounds the support
    assert probs.argmax() == z.argmax()  # the most likely token always survives
    torch.testing.assert_close(next_token_distribution(z, temperature), torch.softmax(z / temperature, -1))


def test_sampling_frequencies_follow_the_distribution():
    ours, _ = _tiny_pair(seed=5)
    g = torch.Generator().manual_seed(0)
    prompt = torch.zeros(4000, 1, dtype=torch.long)
    samples = generate(ours, prompt, 1, temperature=0.7, top_k=5, generator=g)[:, 1]
    expected = next_token_distribution(ours(prompt[:1])[0][0, -1], 0.7, top_k=5)
    freq = torch.bincount(samples, minlength=23).double() / 4000
    assert (freq[expected == 0] == 0).all()
    # binomial standard error ≤ √(0.25/4000) ≈ 0.008; allow 4.5 standard errors
    assert (freq - expected).abs().max() < 0.036


def test_dropout_is_active_only_in_training():
    ours, _ = _tiny_pair(dropout=0.5)
    idx = torch.randint(0, 23, (2, 8))
    torch.testing.assert_close(ours(idx)[0], ours(idx)[0])
    ours.train()
    assert not torch.allclose(ours(idx)[0], ours(idx)[0])


def test_fast_dropout_matches_nn_dropout_in_distribution():
    from mlatlas.transformers.gpt import Dropout

    torch.manual_seed(0)
    x = torch.ones(200_000, dtype=torch.float64)
    y = Dropout(0.1).train()(x)
    kept = (y != 0).double().mean().item()
    # binomial sd of the kept fraction: sqrt(0.09 / 2e5) ≈ 6.7e-4; allow 5 sd
    assert abs(kept - 0.9) < 0.0034
    assert torch.all((y == 0) | (y == 1 / 0.9))
    torch.testing.assert_close(y.mean(), torch.tensor(1.0, dtype=torch.float64), rtol=0, atol=0.004)
    assert Dropout(0.1).eval()(x) is x
    with pytest.raises(ValueError, match="dropout probability"):
        Dropout(1.0)


def test_the_sampling_figures_numbers():
    """What the figure's alt text says: tau = 0.5 puts ~0.67 on the top token; tau = 2 spreads the mass
    from 0.247 down to 0.026; top-k 3 keeps three tokens and top-p 0.8 keeps four."""
    from mlatlas.transformers.figures.gpt import SAMPLING_LOGITS

    z = torch.tensor(SAMPLING_LOGITS, dtype=torch.float64)
    assert round(next_token_distribution(z, temperature=0.5)[0].item(), 2) == 0.67
    warm = next_token_distribution(z, temperature=2.0)
    assert (round(warm.max().item(), 3), round(warm.min().item(), 3)) == (0.247, 0.026)
    assert int((next_token_distribution(z, top_k=3) > 0).sum()) == 3
    assert int((next_token_distribution(z, top_p=0.8) > 0).sum()) == 4
