"""A tiny generated corpus and character tokenizer for the GPT chapters (nothing to download).

Two kinds of lines, mixed at random:

* **sentences** from a small grammar ("the quiet fox sees a red house."), so that samples at
  different temperatures look more or less like the language;
* **in-context lookups** such as ``k=q a=m k=q z=c a=m``: every line draws a fresh random mapping from
  letters to letters, so the value after ``k=`` can only be predicted by finding an earlier ``k=`` *in
  the same line* and copying what followed it. Nothing about the mapping is learnable from weights: a
  model that gets repeated keys right is learning in context (an induction head, Olsson et al. 2022).

Everything is a pure function of an explicit ``numpy.random.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

LETTERS = "abcdefghijklmnopqrstuvwxyz"
ALPHABET = "\n .=" + LETTERS  # the whole character vocabulary

ARTICLES = ["the", "a"]
ADJECTIVES = ["quiet", "red", "small", "old", "bright", "lazy", "green", "brave"]
NOUNS = ["fox", "house", "river", "cat", "robot", "tree", "bird", "garden"]
VERBS = ["sees", "finds", "likes", "follows", "builds", "paints"]
ADVERBS = ["today", "again", "slowly", "at night"]


@dataclass(frozen=True)
class CharTokenizer:
    """Characters ↔ integer ids over a fixed alphabet."""

    alphabet: str = ALPHABET

    @property
    def vocab_size(self) -> int:
        return len(self.alphabet)

    def encode(self, text: str) -> list[int]:
        bad = sorted(set(text) - set(self.alphabet))
        if bad:
            raise ValueError(f"characters {bad!r} are not in the tokenizer's alphabet {self.alphabet!r}")
        return [self.alphabet.index(ch) for ch in text]

    def decode(self, ids) -> str:
        return "".join(self.alphabet[int(i)] for i in ids)


def sentence(rng: np.random.Generator) -> str:
    """One sentence from the grammar: article adjective? noun verb article adjective? noun adverb? '.'"""

    def noun_phrase() -> str:
        words = [rng.choice(ARTICLES)]
        if rng.random() < 0.6:
            words.append(rng.choice(ADJECTIVES))
        words.append(rng.choice(NOUNS))
        return " ".join(words)

    words = [noun_phrase(), rng.choice(VERBS), noun_phrase()]
    if rng.random() < 0.4:
        words.append(rng.choice(ADVERBS))
    return " ".join(words) + "."


class Lookup(NamedTuple):
    text: str  # e.g. "k=q a=m k=q"
    value_positions: list[int]  # index in text of every value character
    seen_before: list[int]  # for each value: how many times its key already appeared in the line


def lookup_line(rng: np.random.Generator, num_keys: int = 4, num_pairs: int = 10) -> Lookup:
    """A line of ``key=value`` pairs under a fresh random mapping (keys repeat, values stay fixed)."""
    keys = rng.choice(list(LETTERS), size=num_keys, replace=False)
    values = rng.choice(list(LETTERS), size=num_keys, replace=True)
    mapping = dict(zip(keys, values))
    parts, positions, seen, counts, pos = [], [], [], dict.fromkeys(keys, 0), 0
    for _ in range(num_pairs):
        k = str(rng.choice(keys))
        parts.append(f"{k}={mapping[k]}")
        positions.append(pos + 2)
        seen.append(counts[k])
        counts[k] += 1
        pos += 4  # "k=v" plus the separating space
    return Lookup(" ".join(parts), positions, seen)


def make_corpus(rng: np.random.Generator, num_lines: int = 20_000, lookup_fraction: float = 0.5) -> str:
    """``num_lines`` newline-terminated lines, a ``lookup_fraction`` of them in-context lookups."""
    if not 0.0 <= lookup_fraction <= 1.0:
        raise ValueError(f"lookup_fraction must be in [0, 1]; got {lookup_fraction}")
    lines = [
        lookup_line(rng).text if rng.random() < lookup_fraction else sentence(rng) for _ in range(num_lines)
    ]
    return "\n".join(lines) + "\n"
