"""BERT: a bidirectional encoder pretrained by filling in masked tokens.

Paper: Jacob Devlin, Ming-Wei Chang, Kenton Lee, Kristina Toutanova (2018), "BERT: Pre-training of Deep
Bidirectional Transformers for Language Understanding", arXiv:1810.04805.

An encoder sees the whole sentence at once (no causal mask), so it cannot be trained to predict the
next token; instead 15 % of the tokens are hidden and the model predicts them from both sides. Of the
chosen tokens 80 % become [MASK], 10 % a random token and 10 % stay, so the model cannot rely on
seeing [MASK] at fine-tuning time. The layout follows the paper (post-LayerNorm blocks, token + position
+ segment embeddings), with the exact (erf) GELU of Hugging Face's ``hidden_act="gelu"`` (Google's
TensorFlow release uses the tanh approximation, within 5e-4 of it), so weights load into Hugging Face's
``BertForMaskedLM``.

Shapes: B batch, T sequence, C hidden width, H heads, V vocabulary.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mlatlas.transformers.corpus import sentence
from mlatlas.transformers.multi_head_attention import MultiHeadAttention, MultiHeadAttentionConfig

IGNORE_INDEX = -100  # label of positions that are not scored (the convention of F.cross_entropy)
RUN_JSON = Path(__file__).parent / "data" / "bert_run.json"


@dataclass
class BertConfig:
    vocab_size: int = 40
    hidden_size: int = 64  # C
    num_layers: int = 2
    num_heads: int = 4
    intermediate_size: int = 256
    max_position_embeddings: int = 32
    type_vocab_size: int = 2  # sentence A / sentence B
    dropout: float = 0.0
    layer_norm_eps: float = 1e-12

    def __post_init__(self) -> None:
        if self.hidden_size % self.num_heads:
            raise ValueError(
                f"hidden_size={self.hidden_size} must be divisible by num_heads={self.num_heads}"
            )


class BertLayer(nn.Module):
    """Post-LN encoder block (as in the 2017 paper): h = LN(x + MHA(x)); y = LN(h + FFN(h))."""

    def __init__(self, config: BertConfig):
        super().__init__()
        C, eps = config.hidden_size, config.layer_norm_eps
        self.attn = MultiHeadAttention(MultiHeadAttentionConfig(C, config.num_heads, dropout=config.dropout))
        self.attn_norm = nn.LayerNorm(C, eps=eps)
        self.intermediate = nn.Linear(C, config.intermediate_size)
        self.output = nn.Linear(config.intermediate_size, C)
        self.output_norm = nn.LayerNorm(C, eps=eps)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        h = self.attn_norm(x + self.dropout(self.attn(x, key_padding_mask=padding_mask)))  # (B, T, C)
        return self.output_norm(h + self.dropout(self.output(F.gelu(self.intermediate(h)))))  # (B, T, C)


class BertModel(nn.Module):
    """Token + position + segment embeddings, LayerNorm, then a stack of bidirectional encoder layers."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        C = config.hidden_size
        self.word_embeddings = nn.Embedding(config.vocab_size, C)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, C)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, C)
        self.embedding_norm = nn.LayerNorm(C, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.dropout)
        self.layers = nn.ModuleList(BertLayer(config) for _ in range(config.num_layers))

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """input_ids (B, T); attention_mask (B, T) with 1 for real tokens, 0 for padding → (B, T, C)."""
        B, T = input_ids.shape
        if T > self.config.max_position_embeddings:
            raise ValueError(
                f"sequence length {T} exceeds max_position_embeddings={self.config.max_position_embeddings}"
            )
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        pos = torch.arange(T, device=input_ids.device)
        x = (
            self.word_embeddings(input_ids)
            + self.position_embeddings(pos)
            + self.token_type_embeddings(token_type_ids)
        )
        x = self.dropout(self.embedding_norm(x))  # (B, T, C)
        padding = None if attention_mask is None else attention_mask == 0  # (B, T) True = ignore this key
        for layer in self.layers:
            x = layer(x, padding)
        return x


class BertForMaskedLM(nn.Module):
    """Encoder + MLM head: logits = LN(GELU(W h)) Eᵀ + b, with E the (tied) word embedding."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        self.bert = BertModel(config)
        C = config.hidden_size
        self.transform = nn.Linear(C, C)
        self.transform_norm = nn.LayerNorm(C, eps=config.layer_norm_eps)
        self.decoder_bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits (B, T, V) and, if labels (B, T) are given, the MLM loss over positions ≠ IGNORE_INDEX."""
        h = self.bert(input_ids, token_type_ids, attention_mask)  # (B, T, C)
        h = self.transform_norm(F.gelu(self.transform(h)))  # (B, T, C)
        logits = h @ self.bert.word_embeddings.weight.T + self.decoder_bias  # (B, T, V)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE_INDEX
            )
        return logits, loss


class MaskedBatch(NamedTuple):
    input_ids: torch.Tensor  # (B, T) with some tokens replaced
    labels: torch.Tensor  # (B, T) original token where chosen, IGNORE_INDEX elsewhere


def mask_tokens(
    input_ids: torch.Tensor,
    *,
    mask_token_id: int,
    vocab_size: int,
    generator: torch.Generator,
    special_tokens_mask: torch.Tensor | None = None,
    mlm_probability: float = 0.15,
) -> MaskedBatch:
    """BERT's corruption (§3.1): choose 15 % of positions; of those 80 % → [MASK], 10 % → random, 10 % kept.

    ``special_tokens_mask`` (B, T) is True where a token must never be chosen ([CLS], [SEP], padding).
    """
    if not 0.0 < mlm_probability < 1.0:
        raise ValueError(f"mlm_probability must be in (0, 1); got {mlm_probability}")
    u = torch.rand(input_ids.shape, generator=generator)
    chosen = u < mlm_probability  # (B, T) positions the loss will score
    if special_tokens_mask is not None:
        chosen &= ~special_tokens_mask
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, IGNORE_INDEX))
    v = torch.rand(input_ids.shape, generator=generator)
    to_mask = chosen & (v < 0.8)  # 80 %: [MASK]
    to_random = chosen & (v >= 0.8) & (v < 0.9)  # 10 %: a random token; the last 10 % stay as they are
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator)
    corrupted = torch.where(to_mask, torch.full_like(input_ids, mask_token_id), input_ids)
    corrupted = torch.where(to_random, random_ids, corrupted)
    return MaskedBatch(corrupted, labels)


# ---------------------------------------------------------------------------------------------------
# A tiny pretraining run on generated sentences, word level


SPECIAL = ["[PAD]", "[CLS]", "[SEP]", "[MASK]"]


def word_vocabulary() -> list[str]:
    """The special tokens, then every word of the corpus grammar, then '.'."""
    from mlatlas.transformers import corpus

    words = corpus.ARTICLES + corpus.ADJECTIVES + corpus.NOUNS + corpus.VERBS
    words += [w for phrase in corpus.ADVERBS for w in phrase.split()]
    return SPECIAL + sorted(set(words)) + ["."]


def encode_sentences(rng: np.random.Generator, n: int, length: int, vocab: list[str]) -> torch.Tensor:
    """n generated sentences as ``[CLS] words . [SEP] [PAD]...`` ids, (n, length)."""
    index = {w: i for i, w in enumerate(vocab)}
    out = torch.zeros(n, length, dtype=torch.long)  # [PAD] = 0
    for row in range(n):
        words = sentence(rng).replace(".", " .").split()
        ids = [index["[CLS]"]] + [index[w] for w in words] + [index["[SEP]"]]
        out[row, : len(ids)] = torch.tensor(ids[:length])
    return out


def pretrain(
    steps: int = 600, batch_size: int = 64, seed: int = 0, eval_every: int = 50, num_sentences: int = 20_000
) -> dict:
    """Pretrain a 2-layer BERT with the MLM objective on generated sentences; returns a JSON-able record."""
    vocab = word_vocabulary()
    cfg = BertConfig(vocab_size=len(vocab), max_position_embeddings=16)
    rng = np.random.default_rng(seed)
    train = encode_sentences(rng, num_sentences, 16, vocab)
    test = encode_sentences(rng, max(100, num_sentences // 20), 16, vocab)
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = BertForMaskedLM(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    special = lambda ids: ids < len(SPECIAL)  # [PAD], [CLS], [SEP], [MASK] are never chosen
    test_batch = mask_tokens(
        test, mask_token_id=3, vocab_size=len(vocab), generator=g, special_tokens_mask=special(test)
    )

    def evaluate() -> tuple[float, float]:
        model.eval()
        with torch.no_grad():
            logits, loss = model(
                test_batch.input_ids, attention_mask=(test != 0).long(), labels=test_batch.labels
            )
        model.train()
        scored = test_batch.labels != IGNORE_INDEX
        return loss.item(), (logits.argmax(-1)[scored] == test_batch.labels[scored]).float().mean().item()

    history = []
    for step in range(steps + 1):
        if step % eval_every == 0:
            loss, acc = evaluate()
            history.append({"step": step, "test_loss": loss, "test_accuracy": acc})
        if step == steps:
            break
        ids = train[torch.randint(len(train), (batch_size,), generator=g)]
        batch = mask_tokens(
            ids, mask_token_id=3, vocab_size=len(vocab), generator=g, special_tokens_mask=special(ids)
        )
        _, loss = model(batch.input_ids, attention_mask=(ids != 0).long(), labels=batch.labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    # Fill in a masked word from both sides: "the [MASK] fox sees a house ." wants an adjective.
    probes = {}
    for text in [
        "the [MASK] fox sees a house .",
        "a robot [MASK] the river .",
        "the cat likes [MASK] bird .",
    ]:
        ids = torch.tensor([[1] + [vocab.index(w) for w in text.split()] + [2]])
        pos = text.split().index("[MASK]") + 1
        model.eval()
        with torch.no_grad():
            top = model(ids)[0][0, pos].topk(3).indices.tolist()
        probes[text] = [vocab[i] for i in top]
    return {
        "config": asdict(cfg),
        "steps": steps,
        "batch_size": batch_size,
        "history": history,
        "probes": probes,
    }


def demo(save: str | Path | None = None) -> None:
    """`mlatlas run bert`: a tiny masked-LM pretraining run (seconds on a CPU)."""
    rec = pretrain()
    for h in rec["history"]:
        print(
            f"step {h['step']:4d}  masked-token loss {h['test_loss']:.3f}  accuracy {h['test_accuracy']:.3f}"
        )
    for text, top in rec["probes"].items():
        print(f"{text:<34} → {', '.join(top)}")
    if save is not None:
        Path(save).write_text(json.dumps(rec, indent=1) + "\n")


if __name__ == "__main__":
    import sys

    demo(sys.argv[1] if len(sys.argv) > 1 else None)
