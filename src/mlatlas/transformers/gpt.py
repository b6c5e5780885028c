"""GPT: a decoder-only transformer language model, with temperature, top-k and top-p sampling.

Papers: Alec Radford, Karthik Narasimhan, Tim Salimans, Ilya Sutskever (2018), "Improving Language
Understanding by Generative Pre-Training"; Alec Radford, Jeffrey Wu, Rewon Child, David Luan, Dario
Amodei, Ilya Sutskever (2019), "Language Models are Unsupervised Multitask Learners" (GPT-2); Ari
Holtzman, Jan Buys, Li Du, Maxwell Forbes, Yejin Choi (2019), "The Curious Case of Neural Text
Degeneration", arXiv:1904.09751 (top-p).

A stack of pre-LayerNorm blocks with *causal* self-attention reads tokens left to right and predicts
each next token; generation feeds its own samples back in. This file follows GPT-2's layout exactly
(learned positions, GELU with the tanh approximation, a final LayerNorm, output head tied to the token
embedding), so its weights load into and out of Hugging Face's ``GPT2LMHeadModel``.

Shapes: B batch, T sequence, C model width (n_embd), H heads, V vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from mlatlas.transformers.multi_head_attention import MultiHeadAttention, MultiHeadAttentionConfig


@dataclass
class GPTConfig:
    vocab_size: int = 30
    block_size: int = 64  # longest context the position table covers
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128  # C
    dropout: float = 0.0  # on embeddings, attention weights and residual branches (training only)
    layer_norm_eps: float = 1e-5

    def __post_init__(self) -> None:
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd={self.n_embd} must be divisible by n_head={self.n_head}")


class Dropout(nn.Module):
    """Inverted dropout, y = x · m / (1 − p) with m ~ Bernoulli(1 − p), in training mode only.

    The same function as ``nn.Dropout``; the mask is drawn with ``torch.rand_like`` and a comparison,
    which on CPU is about twice as fast as ``nn.Dropout``'s ``bernoulli_`` path (benchmarks/gpt_train.py).
    """

    def __init__(self, p: float):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1); got {p}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = torch.rand_like(x) >= self.p  # m, kept with probability 1 − p
        return x * keep * (1.0 / (1.0 - self.p))  # rescale so E[y] = x


class MLP(nn.Module):
    """Position-wise feed-forward: FFN(x) = W₂ GELU(W₁ x + b₁) + b₂, hidden width 4C."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.gelu = nn.GELU(approximate="tanh")  # GPT-2's "gelu_new"
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)
        self.dropout = Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))  # (B, T, C)


class Block(nn.Module):
    """Pre-LN decoder block: x ← x + Attn(LN(x)) (causal); x ← x + MLP(LN(x))."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps)
        self.attn = MultiHeadAttention(
            MultiHeadAttentionConfig(config.n_embd, config.n_head, dropout=config.dropout)
        )
        self.resid_dropout = Dropout(config.dropout)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.resid_dropout(self.attn(self.ln_1(x), is_causal=True))  # token t sees only ≤ t
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """p(x_t | x_<t) = softmax(LN(h_t) Eᵀ), h = Blocks(E[x] + P[0..T)), with E shared in and out."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)  # token embedding E
        self.wpe = nn.Embedding(config.block_size, config.n_embd)  # learned position table P
        self.drop = Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd, eps=config.layer_norm_eps)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying (GPT-2, Press & Wolf 2017)
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2: scale residual projections by 1/√(2·n_layer)
            if name.endswith("c_proj.weight") or name.endswith("out_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / (2 * config.n_layer) ** 0.5)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())  # tied weights counted once

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """idx (B, T) token ids → logits (B, T, V), and the mean next-token cross-entropy if targets given."""
        B, T = idx.shape
        if T > self.config.block_size:
            raise ValueError(
                f"sequence of length {T} is longer than block_size={self.config.block_size}; "
                "crop the context (generate() keeps the last block_size tokens)"
            )
        pos = torch.arange(T, device=idx.device)  # (T,)
        x = self.drop(self.wte(idx) + self.wpe(pos))  # (B, T, C)
        for block in self.blocks:
            x = block(x)  # (B, T, C)
        logits = self.lm_head(self.ln_f(x))  # (B, T, V)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T))  # −mean log p(x_t+1)
        return logits, loss


# ---------------------------------------------------------------------------------------------------
# Sampling


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the k largest logits of each row (ties at the k-th value kept too), set the rest to −inf."""
    if k < 1:
        raise ValueError(f"top_k must be at least 1; got {k}")
    k = min(k, logits.shape[-1])
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]  # (..., 1) the k-th largest logit
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filtering: keep the smallest set of tokens whose probability mass reaches p."""
    if not 0.0 < p <= 1.0:
        raise ValueError(f"top_p must be in (0, 1]; got {p}")
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    probs = torch.softmax(sorted_logits, dim=-1)
    mass_before = torch.cumsum(probs, dim=-1) - probs  # probability of the tokens ranked above this one
    drop_sorted = mass_before >= p  # already reached p without this token: drop it (the top one is kept)
    drop = drop_sorted.scatter(-1, order, drop_sorted)  # back to vocabulary order
    return logits.masked_fill(drop, float("-inf"))


def next_token_distribution(
    logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> torch.Tensor:
    """p_i ∝ exp(z_i / τ) over the tokens that survive top-k, then top-p: (..., V) probabilities."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive (use greedy=True for argmax); got {temperature}")
    logits = logits / temperature  # τ < 1 sharpens, τ > 1 flattens
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    return torch.softmax(logits, dim=-1)


@torch.no_grad()
def generate(
    model: GPT,
    idx: torch.Tensor,
    max_new_tokens: int,
    *,
    greedy: bool = False,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Autoregressive decoding: append one token at a time to idx (B, T) → (B, T + max_new_tokens).

    The plain path: the whole (cropped) context is re-run at every step; the kv-cache chapter shows
    how to reuse past keys and values instead.
    """
    if not greedy and generator is None:
        raise ValueError("sampling needs an explicit torch.Generator (or pass greedy=True)")
    was_training = model.training
    model.eval()
    for _ in range(max_new_tokens):
        context = idx[:, -model.config.block_size :]  # (B, ≤ block_size)
        logits = model(context)[0][:, -1]  # (B, V) scores for the next token
        if greedy:
            nxt = logits.argmax(dim=-1, keepdim=True)  # (B, 1)
        else:
            probs = next_token_distribution(logits, temperature, top_k, top_p)
            nxt = torch.multinomial(probs, 1, generator=generator)  # (B, 1)
        idx = torch.cat([idx, nxt], dim=1)
    model.train(was_training)
    return idx
