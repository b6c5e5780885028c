"""Figure for the tokenization chapter: how much BPE compresses, by vocabulary size and kind of text."""

from __future__ import annotations

from collections import Counter

import numpy as np

from mlatlas.deep_learning.tokenization import BPE, dataset_descriptions, encode_word, pretokenize, train_bpe
from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.corpus import make_corpus

SIZES = (256, 400, 600, 800, 1000)
HELD_OUT = "digits"  # the description left out of training
JAPANESE = "東京は日本の首都です。人工知能と機械学習の研究が盛んです。"


def truncated(bpe: BPE, num_merges: int) -> BPE:
    """The tokenizer after its first num_merges merges (what training to a smaller vocabulary gives)."""
    vocab = {t: i for t, i in bpe.vocab.items() if i < 256 + num_merges}
    return BPE(vocab, bpe.merges[:num_merges])


def bytes_per_token_curves(sizes=SIZES) -> dict[str, list[float]]:
    """Train once on scikit-learn's dataset descriptions (all but one); bytes per token on three texts."""
    descriptions = dataset_descriptions()
    train = [text for name, text in descriptions.items() if name != HELD_OUT]
    bpe = train_bpe(train, max(sizes))
    texts = {
        "held-out description (digits)": descriptions[HELD_OUT],
        "the GPT chapters' generated text": make_corpus(np.random.default_rng(0), 300),
        "Japanese (not in training)": JAPANESE,
    }
    curves = {}
    for name, text in texts.items():
        words = Counter(pretokenize(text))  # pre-tokenise once; encode each distinct word once
        curves[name] = []
        for n in sizes:
            small = truncated(bpe, n - 256)
            ranks = small.ranks
            tokens = sum(len(encode_word(small, w, ranks)) * c for w, c in words.items())
            curves[name].append(len(text.encode("utf-8")) / tokens)
    return curves


def compression_by_vocabulary():
    """Bytes per token against vocabulary size for three texts."""
    curves = bytes_per_token_curves(SIZES)
    fig, ax = new_figure(width=6.4, height=3.8)
    for (name, values), color in zip(curves.items(), PALETTE):
        ax.plot(SIZES, values, "o-", color=color, label=name)
    ax.set_xlabel("vocabulary size (256 bytes + merges)")
    ax.set_ylabel("bytes per token")
    ax.set_title("Byte-level BPE trained on scikit-learn's dataset descriptions")
    ax.legend(fontsize=9)
    ax.grid(True)
    return fig
