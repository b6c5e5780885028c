"""The 2017 encoder–decoder: layers vs torch.nn.Transformer*Layer, the schedule, the toy task."""

import json

import pytest
import torch

from mlatlas.transformers.attention_is_all_you_need import (
    BOS,
    DIGIT0,
    EOS,
    RUN_JSON,
    DecoderLayer,
    EncoderLayer,
    ToyTrainConfig,
    Transformer,
    TransformerConfig,
    make_batch,
    noam_learning_rate,
    train_toy,
)
from mlatlas.verification import verifies

TOL64 = 1e-10
CFG = TransformerConfig(d_model=16, num_heads=2, d_ff=32, dropout=0.0)


def _copy_mha(ours, theirs):
    theirs.in_proj_weight.copy_(torch.cat([ours.q_proj.weight, ours.k_proj.weight, ours.v_proj.weight]))
    theirs.in_proj_bias.copy_(torch.cat([ours.q_proj.bias, ours.k_proj.bias, ours.v_proj.bias]))
    theirs.out_proj.weight.copy_(ours.out_proj.weight)
    theirs.out_proj.bias.copy_(ours.out_proj.bias)


def _copy_common(ours, theirs, norms):
    for name in norms:
        getattr(theirs, name).load_state_dict(getattr(ours, name).state_dict())
    theirs.linear1.load_state_dict(ours.ff.linear1.state_dict())
    theirs.linear2.load_state_dict(ours.ff.linear2.state_dict())


@verifies(
    "attention-is-all-you-need",
    against="torch.nn.TransformerEncoderLayer / TransformerDecoderLayer",
    tol=TOL64,
    note="post-LN layers, shared weights, float64, padding + causal masks",
)
def test_layers_match_torch_transformer_layers():
    torch.manual_seed(0)
    enc, dec = EncoderLayer(CFG).double().eval(), DecoderLayer(CFG).double().eval()
    kw = dict(
        d_model=16,
        nhead=2,
        dim_feedforward=32,
        dropout=0.0,
        batch_first=True,
        norm_first=False,
        dtype=torch.float64,
    )
    t_enc = torch.nn.TransformerEncoderLayer(**kw).eval()
    t_dec = torch.nn.TransformerDecoderLayer(**kw).eval()
    with torch.no_grad():
        _copy_mha(enc.self_attn, t_enc.self_attn)
        _copy_common(enc, t_enc, ["norm1", "norm2"])
        _copy_mha(dec.self_attn, t_dec.self_attn)
        _copy_mha(dec.cross_attn, t_dec.multihead_attn)
        _copy_common(dec, t_dec, ["norm1", "norm2", "norm3"])
    x = torch.randn(2, 7, 16, dtype=torch.float64)
    y = torch.randn(2, 5, 16, dtype=torch.float64)
    pad = torch.zeros(2, 7, dtype=torch.bool)
    pad[1, 5:] = True
    memory = enc(x, pad)
    torch.testing.assert_close(memory, t_enc(x, src_key_padding_mask=pad), rtol=TOL64, atol=TOL64)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    expected = t_dec(y, memory, tgt_mask=causal, tgt_is_causal=True, memory_key_padding_mask=pad)
    torch.testing.assert_close(dec(y, memory, pad), expected, rtol=TOL64, atol=TOL64)


def test_noam_schedule_peaks_at_warmup():
    lrs = [noam_learning_rate(s, 512, 4000) for s in range(1, 20_000)]
    assert max(range(len(lrs)), key=lrs.__getitem__) + 1 == 4000
    torch.testing.assert_close(noam_learning_rate(4000, 512, 4000), 512**-0.5 * 4000**-0.5)


def test_toy_batches():
    b = make_batch("sort", 3, 6, torch.Generator().manual_seed(0))
    assert (b.tgt_in[:, 0] == BOS).all() and (b.tgt_out[:, -1] == EOS).all()
    assert torch.equal(b.tgt_out[:, :-1], b.src.sort(1).values) and torch.equal(
        b.tgt_in[:, 1:], b.tgt_out[:, :-1]
    )
    assert torch.equal(
        make_batch("reverse", 2, 4, torch.Generator().manual_seed(1)).tgt_out[:, :-1],
        make_batch("copy", 2, 4, torch.Generator().manual_seed(1)).src.flip(1),
    )
    with pytest.raises(ValueError, match="task must be one of"):
        make_batch("shuffle", 1, 3, torch.Generator())


def test_decoder_is_causal_and_lengths_are_checked():
    torch.manual_seed(0)
    model = Transformer(CFG).double().eval()
    src = torch.randint(DIGIT0, DIGIT0 + 10, (1, 6))
    a = torch.randint(DIGIT0, DIGIT0 + 10, (1, 6))
    b = a.clone()
    b[0, 4:] = DIGIT0
    torch.testing.assert_close(model(src, a)[:, :4], model(src, b)[:, :4], rtol=TOL64, atol=TOL64)
    with pytest.raises(ValueError, match="exceeds max_len"):
        model(torch.zeros(1, 65, dtype=torch.long), a)


def test_short_training_learns_something():
    rec = train_toy(
        TransformerConfig(
            d_model=32, num_heads=2, d_ff=64, num_encoder_layers=1, num_decoder_layers=1, dropout=0.0
        ),
        ToyTrainConfig(
            task="copy", length=5, steps=60, batch_size=32, warmup=30, eval_every=60, eval_size=100
        ),
    )
    assert rec["history"][-1]["token_accuracy"] > 0.3  # chance is about 0.1


def test_committed_run_reached_high_accuracy():
    # The page quotes this file; it is produced by `python -m mlatlas.transformers.attention_is_all_you_need`.
    rec = json.loads(RUN_JSON.read_text())
    assert rec["history"][-1]["sequence_accuracy"] > 0.95


def test_figure_training_and_attention_returns_a_figure():
    from matplotlib.figure import Figure

    from mlatlas.transformers.figures.attention_is_all_you_need import training_and_attention

    assert isinstance(training_and_attention(), Figure)
