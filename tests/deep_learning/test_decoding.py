"""Decoding: greedy and beam search against transformers' generate; speculative sampling by enumeration."""

import pytest
import torch
from hf_gpt2 import copy_gpt_into_gpt2
from transformers import GPT2Config, GPT2LMHeadModel

from mlatlas.deep_learning.decoding import (
    beam_search,
    complete_with_target,
    expected_tokens_per_round,
    greedy_decode,
    speculative_generate,
    speculative_step,
    speculative_step_distribution,
    target_sequence_distribution,
)
from mlatlas.transformers.gpt import GPT, GPTConfig
from mlatlas.verification import verifies

TOL_EXACT = 1e-12  # float64 sums of at most a few hundred products
V = 23


def _pair(seed=0, std=0.6):
    torch.manual_seed(seed)
    ours = GPT(GPTConfig(vocab_size=V, block_size=32, n_layer=2, n_head=2, n_embd=16, dropout=0.0)).double()
    with torch.no_grad():
        ours.wte.weight.normal_(0, std)  # sharper next-token distributions than the default init
    cfg = GPT2Config(
        vocab_size=V,
        n_positions=32,
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
    ref = GPT2LMHeadModel(cfg).double().eval()
    copy_gpt_into_gpt2(ours, ref)
    return ours.eval(), ref


def _both_beams(ours, ref, prompt, eos, num_beams, lp):
    """Our beam search and transformers' generate on the same prompt, 8 new tokens, early stopping."""
    mine, _ = beam_search(ours, prompt, 8, num_beams, length_penalty=lp, eos_token_id=eos)
    theirs = _hf(
        ref,
        prompt,
        eos,
        num_beams=num_beams,
        do_sample=False,
        length_penalty=lp,
        early_stopping=True,
        max_new_tokens=8,
    )
    return mine, theirs


def _hf(ref, prompt, eos, **kw):
    return ref.generate(
        prompt, attention_mask=torch.ones_like(prompt), eos_token_id=eos, pad_token_id=eos, **kw
    )


@verifies(
    "decoding",
    against="transformers generate(num_beams)",
    tol=0,
    note="token ids equal; shared weights, float64; eos and length penalties 0.5, 1, 2",
)
def test_beam_search_matches_transformers():
    ours, ref = _pair()
    g = torch.Generator().manual_seed(1)
    stopped_early = 0
    for trial in range(4):
        prompt = torch.randint(1, V, (1, 3), generator=g)
        eos = int(trial % 4 + 1)
        for num_beams in (2, 3):
            for lp in (0.5, 1.0, 2.0):
                mine, theirs = _both_beams(ours, ref, prompt, eos, num_beams, lp)
                assert mine.tolist() == theirs.tolist(), (trial, num_beams, lp)
                stopped_early += int(mine.shape[1] < 11)
    assert stopped_early > 0  # the eos path was exercised
    # prompts (found by search) where the length penalty or its exact L changes the winning beam: dividing by
    # the length without the eos (a common variant) would break the match with transformers in several cases
    by_lp = {}
    for prompt, eos in (([7, 1, 22], 1), ([3, 9, 13], 3)):
        prompt = torch.tensor([prompt])
        for num_beams in (2, 3):
            for lp in (0.5, 1.0, 2.0):
                mine, theirs = _both_beams(ours, ref, prompt, eos, num_beams, lp)
                assert mine.tolist() == theirs.tolist(), (prompt, num_beams, lp)
                by_lp[eos, num_beams, lp] = mine.shape[1]
    assert by_lp[1, 2, 0.5] < by_lp[1, 2, 2.0]  # the penalty matters here: longer output with lp = 2


@verifies(
    "decoding", against="transformers generate(num_beams)", tol=0, note="greedy = generate(do_sample=False)"
)
def test_greedy_matches_transformers():
    ours, ref = _pair(seed=2)
    g = torch.Generator().manual_seed(3)
    for eos in (1, 5, 9):
        prompt = torch.randint(1, V, (1, 4), generator=g)
        mine = greedy_decode(ours, prompt, 10, eos_token_id=eos)
        theirs = _hf(ref, prompt, eos, do_sample=False, max_new_tokens=10)
        assert mine.tolist() == theirs.tolist()


def test_beam_search_with_one_beam_is_greedy():
    ours, _ = _pair(seed=4)
    prompt = torch.tensor([[3, 4, 5]])
    best, score = beam_search(ours, prompt, 6, 1)
    assert best.tolist() == greedy_decode(ours, prompt, 6).tolist()
    assert score < 0


def _bigram(seed, vocab=4, sharp=1.5):
    """A toy Markov language model: the next-token law depends on the last token."""
    g = torch.Generator().manual_seed(seed)
    table = torch.softmax(sharp * torch.randn(vocab, vocab, generator=g, dtype=torch.float64), dim=-1)
    return lambda tokens: table[tokens]  # (T,) → (T, V)


def _unigram(probs):
    p = torch.tensor(probs, dtype=torch.float64)
    return lambda tokens: p.expand(len(tokens), -1)


@verifies(
    "decoding",
    against="exact distribution by enumeration",
    tol=TOL_EXACT,
    note="speculative step + target completion = target's joint law, float64, 4 model pairs, k = 1, 2, 3",
)
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_speculative_step_is_exact(seed, k):
    target, draft = _bigram(seed), _bigram(seed + 100, sharp=0.5)
    prefix = torch.tensor([seed % 4, 2])
    dist = speculative_step_distribution(target, draft, prefix, k)
    assert sum(dist.values()) == pytest.approx(1.0, abs=TOL_EXACT)
    joint = complete_with_target(dist, target, prefix, k + 1)
    torch.testing.assert_close(
        joint, target_sequence_distribution(target, prefix, k + 1), rtol=0, atol=TOL_EXACT
    )


def test_speculative_exact_when_draft_has_zeros_or_equals_target():
    p = [0.5, 0.3, 0.2, 0.0]
    target = _unigram(p)
    for q in ([0.0, 0.0, 0.5, 0.5], p):
        dist = speculative_step_distribution(target, _unigram(q), torch.tensor([0]), 2)
        joint = complete_with_target(dist, target, torch.tensor([0]), 3)
        ref = target_sequence_distribution(target, torch.tensor([0]), 3)
        torch.testing.assert_close(joint, ref, rtol=0, atol=TOL_EXACT)


@verifies(
    "decoding",
    against="exact distribution by enumeration",
    tol=TOL_EXACT,
    note="expected tokens per round = (1 - a^(k+1)) / (1 - a) for context-free models",
)
def test_expected_tokens_per_round_matches_enumeration():
    p, q = [0.6, 0.25, 0.1, 0.05], [0.25, 0.25, 0.25, 0.25]
    alpha = sum(min(a, b) for a, b in zip(p, q))  # acceptance rate = 1 − TV(p, q)
    for k in (1, 2, 3):
        dist = speculative_step_distribution(_unigram(p), _unigram(q), torch.tensor([0]), k)
        mean_len = sum(len(key) * w for key, w in dist.items())
        assert mean_len == pytest.approx(expected_tokens_per_round(alpha, k), abs=TOL_EXACT)


def test_seeded_sampling_matches_exact_law():
    target, draft = _bigram(7), _bigram(8, sharp=0.3)
    prefix = torch.tensor([1])
    dist = speculative_step_distribution(target, draft, prefix, 2)
    g = torch.Generator().manual_seed(0)
    n = 4000
    counts: dict[tuple[int, ...], int] = {}
    for _ in range(n):
        new, acc = speculative_step(target, draft, prefix, 2, g)
        assert len(new) == acc + 1
        counts[tuple(new.tolist())] = counts.get(tuple(new.tolist()), 0) + 1
    for key, w in dist.items():  # every outcome within 5 binomial standard deviations (+ 1 count)
        assert abs(counts.get(key, 0) / n - w) <= 5 * (w * (1 - w) / n) ** 0.5 + 1 / n, key
    assert set(counts) <= set(dist)


def test_speculative_generate_with_gpt_models():
    from mlatlas.deep_learning.decoding import gpt_probs

    target, _ = _pair(seed=5)
    draft, _ = _pair(seed=6)
    seq, accepted = speculative_generate(
        gpt_probs(target),
        gpt_probs(draft, top_k=5),
        torch.tensor([1, 2]),
        9,
        3,
        torch.Generator().manual_seed(0),
    )
    assert len(seq) == 11 and all(0 <= a <= 3 for a in accepted)
    # a draft identical to the target is always accepted: k + 1 tokens per round
    _, accepted = speculative_generate(
        gpt_probs(target), gpt_probs(target), torch.tensor([1, 2]), 8, 3, torch.Generator().manual_seed(0)
    )
    assert accepted == [3, 3]


def test_failure_paths():
    ours, _ = _pair()
    with pytest.raises(ValueError, match="one prompt"):
        beam_search(ours, torch.zeros(2, 3, dtype=torch.long), 4, 2)
    with pytest.raises(ValueError, match="at least 1"):
        beam_search(ours, torch.zeros(1, 3, dtype=torch.long), 4, 0)
    with pytest.raises(ValueError, match="block_size"):
        beam_search(ours, torch.zeros(1, 30, dtype=torch.long), 4, 2)
    with pytest.raises(ValueError, match="one prompt"):
        greedy_decode(ours, torch.zeros(3, dtype=torch.long), 4)
    t = _bigram(0)
    with pytest.raises(ValueError, match="at least 1"):
        speculative_step(t, t, torch.tensor([0]), 0, torch.Generator())
    with pytest.raises(ValueError, match="non-empty"):
        speculative_step(t, t, torch.tensor([], dtype=torch.long), 2, torch.Generator())
    with pytest.raises(ValueError, match="smaller example"):
        speculative_step_distribution(_unigram([0.1] * 10), _unigram([0.1] * 10), torch.tensor([0]), 6)
    with pytest.raises(ValueError, match="alpha"):
        expected_tokens_per_round(1.5, 2)
