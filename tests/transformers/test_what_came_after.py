"""The lineage table is consistent: unique ids, known families, no building on the future."""

import dataclasses

import pytest

from mlatlas.transformers.what_came_after import LINEAGE, Milestone, descendants, validate_lineage


def test_lineage_is_valid_and_everything_descends_from_2017():
    validate_lineage()
    assert descendants("transformer") == {m.id for m in LINEAGE} - {"transformer"}
    assert "dpo" in descendants("gpt3") and "bert" not in descendants("gpt1")


def test_the_decoder_lane_draws_on_its_own_lane_and_inside_the_block_only():
    # the page: the decoder lane builds on the 2017 Transformer, on itself and on the block lane (RoPE,
    # Switch); not on the encoder, vision or alignment lanes
    family = {m.id: m.family for m in LINEAGE}
    sources = {family[p] for m in LINEAGE if m.family == "decoder" for p in m.builds_on}
    assert sources == {"encoder–decoder", "decoder", "inside the block"}
    assert set(next(m for m in LINEAGE if m.id == "llama").builds_on) == {"gpt3", "chinchilla", "rope"}


def test_validation_catches_mistakes():
    bad_parent = dataclasses.replace(LINEAGE[1], builds_on=("nope",))
    with pytest.raises(ValueError, match="unknown id"):
        validate_lineage((LINEAGE[0], bad_parent))
    early = Milestone("x", "X", 2016, "decoder", "", "", ("transformer",))
    with pytest.raises(ValueError, match="cannot build on later"):
        validate_lineage((LINEAGE[0], early))
    with pytest.raises(ValueError, match="unknown family"):
        validate_lineage((dataclasses.replace(LINEAGE[0], family="rnn"),))


def test_figure_lineage_timeline_returns_a_figure():
    from matplotlib.figure import Figure

    from mlatlas.transformers.figures.what_came_after import lineage_timeline

    assert isinstance(lineage_timeline(), Figure)
