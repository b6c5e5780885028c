"""Decoding: greedy search, beam search with a length penalty, and speculative sampling.

Leviathan, Kalman & Matias (2023), "Fast Inference from Transformers via Speculative Decoding",
arXiv 2211.17192; Chen et al. (2023), "Accelerating Large Language Model Decoding with Speculative
Sampling", arXiv 2302.01318. Greedy and beam search pick likely continuations of a language model;
speculative sampling lets a cheap draft model propose k tokens that the target model accepts or
corrects so that every emitted token is distributed exactly as the target's.

A "probability model" here is a callable taking a 1-D token sequence (T,) and returning (T, V): the
next-token distribution after each prefix, as one forward pass of a causal language model does.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import torch

from mlatlas.transformers.gpt import GPT, generate, next_token_distribution

ProbModel = Callable[[torch.Tensor], torch.Tensor]  # (T,) tokens → (T, V) next-token probabilities


def greedy_decode(
    model: GPT, idx: torch.Tensor, max_new_tokens: int, eos_token_id: int | None = None
) -> torch.Tensor:
    """Greedy: the package's generate(greedy=True), cut after the first eos: (1, T) → (1, ≤ T + n)."""
    if idx.dim() != 2 or idx.shape[0] != 1:
        raise ValueError(f"greedy_decode takes one prompt of shape (1, T); got {tuple(idx.shape)}")
    out = generate(model, idx, max_new_tokens, greedy=True)  # (1, T + n)
    if eos_token_id is not None:
        new = out[0, idx.shape[1] :]
        hits = (new == eos_token_id).nonzero()
        if len(hits):
            out = out[:, : idx.shape[1] + int(hits[0]) + 1]  # keep the eos itself, drop what follows
    return out


@torch.no_grad()
def beam_search(
    model: GPT,
    idx: torch.Tensor,
    max_new_tokens: int,
    num_beams: int,
    length_penalty: float = 1.0,
    eos_token_id: int | None = None,
) -> tuple[torch.Tensor, float]:
    """Beam search with early stopping, in Hugging Face's convention: (1, T) → best (1, T + L), its score.

    Each step expands every running beam by every token and keeps the 2·num_beams best continuations
    by summed log-probability. A continuation ending in eos (or reaching max_new_tokens) is finished
    if it ranks among the first num_beams of them, with score  sum log p / L**length_penalty  (L =
    generated tokens, eos included); the best num_beams unfinished ones run on. Search stops once
    num_beams hypotheses are finished (early_stopping=True) and returns the best-scoring one.
    """
    if idx.dim() != 2 or idx.shape[0] != 1:
        raise ValueError(f"beam_search takes one prompt of shape (1, T); got {tuple(idx.shape)}")
    if num_beams < 1 or max_new_tokens < 1:
        raise ValueError(
            f"num_beams and max_new_tokens must be at least 1; got {num_beams}, {max_new_tokens}"
        )
    if idx.shape[1] + max_new_tokens > model.config.block_size:
        raise ValueError("prompt + max_new_tokens exceeds block_size; shorten the prompt or the generation")
    was_training = model.training
    model.eval()
    running = idx  # (beams, T) — a single beam at first
    running_scores = torch.zeros(1, dtype=torch.float64)  # (beams,) summed log-probabilities
    finished: list[tuple[float, torch.Tensor]] = []  # (normalised score, sequence)
    for step in range(1, max_new_tokens + 1):  # step = generated length after this step
        logp = torch.log_softmax(model(running)[0][:, -1].double(), dim=-1)  # (beams, V)
        vocab = logp.shape[-1]
        cand = (running_scores[:, None] + logp).reshape(-1)  # (beams·V,) accumulated log-probs
        top_scores, top_idx = torch.topk(cand, min(2 * num_beams, cand.numel()))
        beam_of, token_of = top_idx // vocab, top_idx % vocab
        next_rows, next_scores = [], []
        for rank, (s, b, t) in enumerate(zip(top_scores.tolist(), beam_of.tolist(), token_of.tolist())):
            seq = torch.cat([running[b], torch.tensor([t], dtype=running.dtype)])
            if t == eos_token_id or step == max_new_tokens:  # this continuation stops here
                if rank < num_beams:
                    finished.append((s / step**length_penalty, seq))  # score = sum log p / L**α
            elif len(next_rows) < num_beams:
                next_rows.append(seq)
                next_scores.append(s)
        finished = sorted(finished, key=lambda f: -f[0])[:num_beams]
        if len(finished) == num_beams or step == max_new_tokens:  # early_stopping=True
            break
        running = torch.stack(next_rows)
        running_scores = torch.tensor(next_scores, dtype=torch.float64)
    model.train(was_training)
    score, best = finished[0]
    return best[None], score


def gpt_probs(
    model: GPT, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> ProbModel:
    """The package's GPT as a probability model: (T,) → (T, V) via next_token_distribution."""

    @torch.no_grad()
    def probs(tokens: torch.Tensor) -> torch.Tensor:
        model.eval()
        logits = model(tokens[None, -model.config.block_size :])[0][0]  # (T, V)
        return next_token_distribution(logits.double(), temperature, top_k, top_p)

    return probs


def _residual(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """norm(max(0, p − q)): where a rejected draft token's replacement is drawn from."""
    r = torch.clamp(p - q, min=0.0)
    return r / r.sum()


def speculative_step(
    target: ProbModel, draft: ProbModel, prefix: torch.Tensor, k: int, generator: torch.Generator
) -> tuple[torch.Tensor, int]:
    """One round: the draft proposes k tokens, the target keeps a prefix of them plus one token.

    Returns (new tokens (m,), number of draft tokens accepted), 1 ≤ m ≤ k + 1 (Leviathan et al.,
    Algorithm 1; Chen et al., Algorithm 2).
    """
    if k < 1:
        raise ValueError(f"k (draft tokens per round) must be at least 1; got {k}")
    if prefix.dim() != 1 or len(prefix) == 0:
        raise ValueError("prefix must be a non-empty 1-D token tensor")
    seq, qs = prefix, []
    for _ in range(k):  # the draft runs k times, autoregressively
        q = draft(seq)[-1]  # (V,)
        x = torch.multinomial(q, 1, generator=generator)
        qs.append(q)
        seq = torch.cat([seq, x])
    drafts = seq[len(prefix) :]  # (k,)
    p_all = target(seq)[len(prefix) - 1 :]  # (k + 1, V) — one target pass scores every draft position
    for i in range(k):
        p, q, x = p_all[i], qs[i], int(drafts[i])
        r = torch.rand((), generator=generator, dtype=torch.float64)
        if r < min(1.0, float(p[x] / q[x])):  # accept with probability min(1, p(x)/q(x))
            continue
        z = torch.multinomial(_residual(p, q), 1, generator=generator)  # rejected: resample
        return torch.cat([drafts[:i], z]), i
    bonus = torch.multinomial(p_all[k], 1, generator=generator)  # all k accepted: one more, free
    return torch.cat([drafts, bonus]), k


def speculative_generate(
    target: ProbModel,
    draft: ProbModel,
    prefix: torch.Tensor,
    max_new_tokens: int,
    k: int,
    generator: torch.Generator,
) -> tuple[torch.Tensor, list[int]]:
    """Speculative rounds until max_new_tokens are produced: (T,) → (T + n,), accepted count per round."""
    seq, accepted = prefix, []
    while len(seq) - len(prefix) < max_new_tokens:
        new, a = speculative_step(target, draft, seq, k, generator)
        seq, accepted = torch.cat([seq, new]), accepted + [a]
    return seq[: len(prefix) + max_new_tokens], accepted


def speculative_step_distribution(
    target: ProbModel, draft: ProbModel, prefix: torch.Tensor, k: int
) -> dict[tuple[int, ...], float]:
    """Exact law of speculative_step's output, by enumerating all V**k drafts: {new tokens: probability}."""
    vocab = target(prefix).shape[-1]
    if vocab**k > 100_000:
        raise ValueError(f"enumeration needs V**k ≤ 100000; got V={vocab}, k={k}: use a smaller example")
    out: dict[tuple[int, ...], float] = {}

    def add(key: tuple[int, ...], w: torch.Tensor) -> None:
        for z, wz in enumerate(w.tolist()):
            if wz > 0:
                out[key + (z,)] = out.get(key + (z,), 0.0) + wz

    for xs in itertools.product(range(vocab), repeat=k):
        seq = torch.cat([prefix, torch.tensor(xs, dtype=prefix.dtype)])
        q_all, p_all = draft(seq)[len(prefix) - 1 :], target(seq)[len(prefix) - 1 :]  # (k + 1, V)
        reach = float(torch.prod(torch.stack([q_all[i, x] for i, x in enumerate(xs)])))  # Q(draft)
        for i, x in enumerate(xs):
            if reach == 0.0:
                break
            a = min(1.0, float(p_all[i, x] / q_all[i, x]))
            if a < 1.0:
                add(xs[:i], reach * (1.0 - a) * _residual(p_all[i], q_all[i]))
            reach *= a
        else:
            if reach > 0:
                add(xs, reach * p_all[k])
    return out


def complete_with_target(
    dist: dict[tuple[int, ...], float], target: ProbModel, prefix: torch.Tensor, n: int
) -> torch.Tensor:
    """Extend each outcome to n tokens by sampling the rest from the target: the joint law, shape (V,)*n."""
    vocab = target(prefix).shape[-1]
    joint = torch.zeros((vocab,) * n, dtype=torch.float64)
    for tail in itertools.product(range(vocab), repeat=n):
        seq = torch.cat([prefix, torch.tensor(tail, dtype=prefix.dtype)])
        p_all = target(seq)[len(prefix) - 1 :]  # (n + 1, V)
        for m in range(1, n + 1):
            w = dist.get(tail[:m], 0.0)
            if w:
                rest = torch.prod(torch.stack([p_all[j, tail[j]] for j in range(m, n)])) if m < n else 1.0
                joint[tail] += w * float(rest)
    return joint


def target_sequence_distribution(target: ProbModel, prefix: torch.Tensor, n: int) -> torch.Tensor:
    """The target's own law of its next n tokens, Π_j p(y_j | prefix, y_<j): shape (V,)*n."""
    vocab = target(prefix).shape[-1]
    joint = torch.zeros((vocab,) * n, dtype=torch.float64)
    for tail in itertools.product(range(vocab), repeat=n):
        seq = torch.cat([prefix, torch.tensor(tail, dtype=prefix.dtype)])
        p_all = target(seq)[len(prefix) - 1 :]
        joint[tail] = torch.prod(torch.stack([p_all[j, tail[j]] for j in range(n)]))
    return joint


def expected_tokens_per_round(alpha: float, k: int) -> float:
    """(1 − α^(k+1)) / (1 − α): tokens per round, each draft token accepted with rate α (Leviathan eq. 1)."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1]; got {alpha}")
    return float(k + 1) if alpha == 1.0 else (1 - alpha ** (k + 1)) / (1 - alpha)
