"""Tokenisation: byte-level byte-pair encoding (BPE), trained from scratch.

Papers: Sennrich, Haddow, Birch (2016), "Neural Machine Translation of Rare Words with Subword
Units", arXiv:1508.07909; byte-level BPE: Radford et al. (2019), "Language Models are Unsupervised
Multitask Learners" (GPT-2, no arXiv), section 2.2.
Start from the 256 byte values and repeatedly merge the most frequent adjacent pair into a new
token; encoding replays the merges in the order they were learned. Every string round-trips.

Pipeline (the same as GPT-2's and Hugging Face ``tokenizers``' ByteLevel BPE):
1. pre-tokenise: split text into words with GPT-2's pattern
   ``'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+``
   (written here as a small scanner over Unicode categories, so no regex engine with \\p is needed);
2. map each word's UTF-8 bytes to printable characters (``bytes_to_unicode``);
3. train: count adjacent symbol pairs over all words (weighted by word count), merge the most
   frequent, ties broken towards the smallest (left id, right id), until the vocabulary is full.
"""

from __future__ import annotations

import importlib.util
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")
# Unicode White_Space: what \s matches in the regex engines GPT-2 and `tokenizers` use
WHITESPACE = frozenset(
    [chr(c) for c in range(0x09, 0x0E)]
    + [" ", "\x85", "\xa0", "\u1680", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]
    + [chr(c) for c in range(0x2000, 0x200B)]
)


def is_letter(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L")  # \p{L}


def is_number(ch: str) -> bool:
    return unicodedata.category(ch).startswith("N")  # \p{N}


def is_space(ch: str) -> bool:
    return ch in WHITESPACE  # \s


def _run(text: str, i: int, accept) -> int:
    """End of the longest run of characters from i that satisfy accept."""
    while i < len(text) and accept(text[i]):
        i += 1
    return i


def pretokenize(text: str) -> list[str]:
    """Split text into GPT-2 "words"; their concatenation is the text. Alternatives are tried in order."""
    words, i, n = [], 0, len(text)
    other = lambda ch: not (is_space(ch) or is_letter(ch) or is_number(ch))  # [^\s\p{L}\p{N}]
    while i < n:
        end = None
        for c in CONTRACTIONS:  # 's|'t|'re|'ve|'m|'ll|'d
            if text.startswith(c, i):
                end = i + len(c)
                break
        if end is None:
            start = i + 1 if text[i] == " " and i + 1 < n else i  # the optional leading space " ?"
            for accept in (is_letter, is_number, other):  # ?\p{L}+ | ?\p{N}+ | ?[^\s\p{L}\p{N}]+
                if start < n and accept(text[start]):
                    end = _run(text, start, accept)
                    break
        if end is None:  # \s+(?!\S) | \s+
            j = _run(text, i, is_space)  # the whole whitespace run (at least one character)
            end = j if j == n or j - i == 1 else j - 1  # leave the last space to prefix the next word
        words.append(text[i:end])
        i = end
    return words


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from the 256 byte values to printable characters.

    Printable Latin-1 bytes map to themselves; the other 68 (controls, space, ...) to U+0100 onwards,
    so no token is ever whitespace or invisible.
    """
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    keep += list(range(ord("®"), ord("ÿ") + 1))
    mapping, extra = {}, 0
    for b in range(256):
        if b in keep:
            mapping[b] = chr(b)
        else:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


def to_byte_chars(word: str) -> str:
    """A word's UTF-8 bytes, each as its printable stand-in character."""
    return "".join(BYTE_TO_CHAR[b] for b in word.encode("utf-8"))


@dataclass(frozen=True)
class BPE:
    """A trained byte-level BPE: the vocabulary (token -> id) and the merges in the order learned."""

    vocab: dict[str, int]
    merges: list[tuple[str, str]]

    @property
    def ranks(self) -> dict[tuple[str, str], int]:
        return {pair: rank for rank, pair in enumerate(self.merges)}


def count_pairs(words: dict[tuple[int, ...], int]) -> Counter:
    """Occurrences of every adjacent pair, each word weighted by its count (overlaps count twice)."""
    pairs: Counter = Counter()
    for symbols, count in words.items():
        for pair in zip(symbols, symbols[1:]):
            pairs[pair] += count
    return pairs


def merge_word(symbols: tuple[int, ...], pair: tuple[int, int], new_id: int) -> tuple[int, ...]:
    """Replace every occurrence of pair, scanning left to right without overlaps."""
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return tuple(out)


def train_bpe(texts: Iterable[str], vocab_size: int) -> BPE:
    """Learn merges until the vocabulary has ``vocab_size`` tokens (or no pair occurs any more).

    The 256 byte characters get ids 0..255 in the order of their code points (as in ``tokenizers``);
    each merge gets the next id. Ties between equally frequent pairs go to the smallest
    (left id, right id): the rule of ``tokenizers``' trainer, whose heap orders equal counts so.
    Pair counts are updated only for the words that contain the merged pair.
    """
    if vocab_size < 256:
        raise ValueError(f"vocab_size must be at least 256 (one token per byte), got {vocab_size}")
    alphabet = sorted(BYTE_TO_CHAR.values())  # sorted by code point
    id_to_token = list(alphabet)
    token_to_id = {t: i for i, t in enumerate(id_to_token)}
    word_counts = Counter(to_byte_chars(w) for text in texts for w in pretokenize(text))
    words = [tuple(token_to_id[c] for c in w) for w in word_counts]  # each distinct word as symbol ids
    counts = list(word_counts.values())
    pairs = count_pairs(dict(zip(words, counts)))  # pair -> occurrences in the corpus
    where: dict[tuple[int, int], set[int]] = {}  # pair -> indices of the words that contain it
    for k, w in enumerate(words):
        for pair in zip(w, w[1:]):
            where.setdefault(pair, set()).add(k)
    merges = []
    while len(token_to_id) < vocab_size:
        best_count = max(pairs.values(), default=0)
        if best_count < 1:
            break
        best = min(p for p, c in pairs.items() if c == best_count)  # tie: smallest (left id, right id)
        left, right = id_to_token[best[0]], id_to_token[best[1]]
        token = left + right
        if token not in token_to_id:  # two different pairs can spell the same string: one id
            token_to_id[token] = len(id_to_token)
            id_to_token.append(token)
        merges.append((left, right))
        for k in where.pop(best):  # only the words that contain the pair change
            old, new = words[k], merge_word(words[k], best, token_to_id[token])
            for pair in zip(old, old[1:]):
                pairs[pair] -= counts[k]
                if pairs[pair] == 0:
                    del pairs[pair]  # no longer occurs anywhere
            for pair in zip(new, new[1:]):
                pairs[pair] += counts[k]
                where.setdefault(pair, set()).add(k)
            words[k] = new
    return BPE(token_to_id, merges)


def encode_word(bpe: BPE, word: str, ranks: dict[tuple[str, str], int] | None = None) -> list[int]:
    """Apply the learned merges to one pre-tokenised word: always the earliest-learned pair first."""
    ranks = bpe.ranks if ranks is None else ranks
    symbols = list(to_byte_chars(word))
    while len(symbols) > 1:
        candidates = [(ranks[p], i) for i, p in enumerate(zip(symbols, symbols[1:])) if p in ranks]
        if not candidates:
            break
        rank = min(candidates)[0]
        pair = bpe.merges[rank]
        merged, i = [], 0
        while i < len(symbols):  # merge every occurrence of that pair, left to right
            if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
                merged.append(symbols[i] + symbols[i + 1])
                i += 2
            else:
                merged.append(symbols[i])
                i += 1
        symbols = merged
    return [bpe.vocab[s] for s in symbols]


def encode(bpe: BPE, text: str) -> list[int]:
    """Text -> token ids."""
    ranks = bpe.ranks
    return [i for word in pretokenize(text) for i in encode_word(bpe, word, ranks)]


def decode(bpe: BPE, ids: Iterable[int]) -> str:
    """Token ids -> text. Invalid UTF-8 (a cut in the middle of a character) becomes U+FFFD."""
    id_to_token = {i: t for t, i in bpe.vocab.items()}
    chars = "".join(id_to_token[i] for i in ids)
    return bytes(CHAR_TO_BYTE[c] for c in chars).decode("utf-8", errors="replace")


def dataset_descriptions() -> dict[str, str]:
    """English prose that ships with scikit-learn: its dataset descriptions (name -> text).

    Read from the package's files without importing scikit-learn; a fixed corpus for a given version.
    """
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("the dataset descriptions ship with scikit-learn: install scikit-learn")
    folder = Path(spec.submodule_search_locations[0]) / "datasets" / "descr"
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.rst"))}
