"""The pretraining loop, the schedule, the generated corpus and the in-context measurement."""

import json

import numpy as np
import pytest
import torch

from mlatlas.transformers.corpus import CharTokenizer, lookup_line, make_corpus, sentence
from mlatlas.transformers.gpt import GPTConfig
from mlatlas.transformers.gpt_and_in_context_learning import (
    RUN_JSON,
    TrainConfig,
    get_batch,
    in_context_accuracy,
    learning_rate,
    train_gpt,
)


def test_lookup_lines_mark_values_and_sightings():
    for seed in range(20):
        line = lookup_line(np.random.default_rng(seed))
        seen: dict[str, str] = {}
        for pos, count in zip(line.value_positions, line.seen_before):
            key, value = line.text[pos - 2], line.text[pos]
            assert line.text[pos - 1] == "="
            assert count == (key in seen) * sum(  # how many earlier pairs had this key
                1 for p in line.value_positions if p < pos and line.text[p - 2] == key
            )
            if key in seen:
                assert seen[key] == value  # one mapping per line
            seen[key] = value


def test_tokenizer_round_trip_and_errors():
    tok = CharTokenizer()
    text = make_corpus(np.random.default_rng(0), 50)
    assert tok.decode(tok.encode(text)) == text
    assert sentence(np.random.default_rng(1)).endswith(".")
    with pytest.raises(ValueError, match="not in the tokenizer's alphabet"):
        tok.encode("Hello!")
    with pytest.raises(ValueError, match="lookup_fraction"):
        make_corpus(np.random.default_rng(0), 5, lookup_fraction=2.0)


def test_schedule_warms_up_then_decays_to_the_floor():
    cfg = TrainConfig(steps=1000, warmup_steps=100, learning_rate=1e-3, min_learning_rate=1e-4)
    lrs = [learning_rate(s, cfg) for s in range(1000)]
    assert lrs[0] == pytest.approx(1e-5) and lrs[99] == pytest.approx(1e-3)
    assert all(a >= b for a, b in zip(lrs[100:], lrs[101:]))
    assert learning_rate(10_000, cfg) == pytest.approx(1e-4)


def test_batches_are_shifted_windows():
    data = torch.arange(100)
    x, y = get_batch(data, 8, 4, torch.Generator().manual_seed(0))
    assert torch.equal(y, x + 1) and x.shape == (4, 8)
    with pytest.raises(ValueError, match="need more than block_size"):
        get_batch(torch.arange(5), 8, 1, torch.Generator())


def test_a_few_steps_reduce_the_loss_and_the_measurement_runs():
    cfg = GPTConfig(vocab_size=CharTokenizer().vocab_size, block_size=48, n_layer=1, n_head=2, n_embd=32)
    text = make_corpus(np.random.default_rng(0), 300)
    result = train_gpt(
        cfg, TrainConfig(steps=30, batch_size=8, warmup_steps=5, eval_every=10, eval_batches=1), text
    )
    assert result.history[-1]["val_loss"] < result.history[0]["val_loss"]
    acc = in_context_accuracy(result.model, np.random.default_rng(0), num_lines=5)
    assert set(acc) <= {0, 1, 2, 3} and all(0 <= v <= 1 for v in acc.values())


def test_committed_run_shows_in_context_learning():
    rec = json.loads(RUN_JSON.read_text())
    acc = rec["in_context_accuracy"]
    assert acc["0"] < 0.1 < 0.25 < acc["1"]  # first sighting near chance (1/26), repeats well above it
    assert rec["history"][-1]["val_loss"] < 1.0
    # the numbers the page quotes from this record
    assert [round(acc[k], 2) for k in "0123"] == [0.03, 0.33, 0.38, 0.50]
    assert round(rec["parameters"] / 1e6, 2) == 0.81
    assert rec["lookup_prompt"].startswith("f b=f")  # prompted "q=x b=f q=", it answers f, not x


def test_figures_return_figures():
    from matplotlib.figure import Figure

    from mlatlas.transformers.figures.bert import mlm_curve
    from mlatlas.transformers.figures.gpt import loss_curve, sampling_rules
    from mlatlas.transformers.figures.gpt_and_in_context_learning import in_context_accuracy as icl_figure

    for fn in (loss_curve, sampling_rules, icl_figure, mlm_curve):
        assert isinstance(fn(), Figure)
