"""Byte-level BPE against Hugging Face tokenizers' BpeTrainer with the ByteLevel pre-tokeniser."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from mlatlas.deep_learning.tokenization import (
    dataset_descriptions,
    decode,
    encode,
    pretokenize,
    to_byte_chars,
    train_bpe,
)
from mlatlas.transformers.corpus import make_corpus
from mlatlas.verification import verifies

MULTILINGUAL = [
    "Größenverhältnisse ändern sich — naïve café façade, señor año.",
    "東京は日本の首都です。人工知能と機械学習。",
    "Привет, мир! Как дела? 123 456,78 €",
    "emoji: 🤖🧠✨ and ZWJ 👩‍💻, tabs\tand  double  spaces\n\nnew paragraph",
    "it's they're we've I'm you'll he'd 'S don't",
]


def corpus():
    rng = np.random.default_rng(0)
    return [dataset_descriptions()["iris"], *MULTILINGUAL, make_corpus(rng, 1000)]


def hf_bpe(texts, vocab_size):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=0,
        special_tokens=[],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    return tok


def hf_merges(tok):
    merges = json.loads(tok.to_str())["model"]["merges"]
    return [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in merges]


@verifies(
    "tokenization",
    against="tokenizers BpeTrainer + ByteLevel",
    tol=0,
    note="same merges in the same order, same vocabulary ids, identical encodings; vocab 300 and 600",
)
@pytest.mark.parametrize("vocab_size", [300, 600])
def test_same_merges_vocabulary_and_encodings_as_hugging_face(vocab_size):
    texts = corpus()
    ours = train_bpe(texts, vocab_size)
    ref = hf_bpe(texts, vocab_size)
    assert ours.merges == hf_merges(ref)
    assert ours.vocab == ref.get_vocab()
    for text in [*texts[:-1], "a sentence the trainer never saw: quiet robots paint gardens."]:
        assert encode(ours, text) == ref.encode(text).ids


# Characters unassigned in Python's Unicode database (Cn) are left out: a digit added in a later
# Unicode version (U+11BF0, Sunuwar, Unicode 16) is a \p{N} to the regex engine inside `tokenizers` but
# unassigned to Python 3.11's unicodedata (Unicode 14), so the two disagree on it — a data-version
# difference, not a difference of algorithm.
ASSIGNED = st.text(st.characters(exclude_categories=("Cn", "Cs")))


@verifies(
    "tokenization",
    against="tokenizers ByteLevel pre-tokeniser",
    tol=0,
    note="Hypothesis, any assigned unicode",
)
@settings(max_examples=300, deadline=None)
@given(ASSIGNED)
def test_pretokenizer_matches_hugging_face_on_arbitrary_unicode(text):
    ref = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True).pre_tokenize_str(text)
    assert [to_byte_chars(w) for w in pretokenize(text)] == [w for w, _ in ref]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet="ab c'é\n", max_size=30), min_size=1, max_size=6), st.integers(256, 290))
def test_tie_breaking_matches_hugging_face_on_tiny_corpora(texts, vocab_size):
    # seven characters (four letters, space, apostrophe, newline) make many pairs equally frequent:
    # every tie must break the same way
    ours = train_bpe(texts, vocab_size)
    ref = hf_bpe(texts, vocab_size)
    assert ours.merges == hf_merges(ref)
    for text in texts:
        assert encode(ours, text) == ref.encode(text).ids


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_round_trip_on_arbitrary_unicode(text):
    bpe = ROUND_TRIP_BPE
    assert decode(bpe, encode(bpe, text)) == text


ROUND_TRIP_BPE = train_bpe(corpus(), 400)


def test_the_pages_numbers():
    from mlatlas.deep_learning.figures.tokenization import bytes_per_token_curves

    curves = bytes_per_token_curves()
    held_out, generated, japanese = curves.values()
    assert [round(v, 1) for v in held_out] == [1.0, 1.6, 1.9, 2.1, 2.2]  # page: 2.2 bytes per token at 1000
    assert round(generated[-1], 1) == 1.4  # page: 1.4 on the unfamiliar generated text
    lines = make_corpus(np.random.default_rng(0), 300).splitlines(keepends=True)  # the figure's text
    lookup_share = sum(len(line) for line in lines if "=" in line) / sum(len(line) for line in lines)
    assert 0.45 < lookup_share < 0.55  # page: random letter lookups make up half its bytes
    assert japanese == [1.0] * 5  # page: no merge ever helps the Japanese line
    bpe = train_bpe(list(dataset_descriptions().values()), 400)
    first = encode(bpe, "東京")[0]
    assert decode(bpe, [first]) == "\ufffd"  # page: a token can end in the middle of a character


def test_bad_input():
    with pytest.raises(ValueError, match="at least 256"):
        train_bpe(["abc"], 100)
