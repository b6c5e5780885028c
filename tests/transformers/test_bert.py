"""BERT vs transformers' BertForMaskedLM with shared weights; the 80/10/10 masking statistics."""

import math

import pytest
import torch
from transformers import BertConfig as HFBertConfig
from transformers import BertForMaskedLM as HFBertForMaskedLM

from mlatlas.transformers.bert import IGNORE_INDEX, BertConfig, BertForMaskedLM, mask_tokens, pretrain
from mlatlas.verification import verifies

TOL64 = 1e-10


def _pair(seed=0):
    torch.manual_seed(seed)
    cfg = BertConfig(
        vocab_size=29,
        hidden_size=16,
        num_layers=2,
        num_heads=2,
        intermediate_size=32,
        max_position_embeddings=12,
    )
    ours = BertForMaskedLM(cfg).double().eval()
    with torch.no_grad():  # non-trivial norms and biases so the test sees them
        for n, p in ours.named_parameters():
            if p.dim() == 1:
                p.normal_(mean=1.0 if n.endswith("norm.weight") else 0.0, std=0.1)
    hf = HFBertConfig(
        vocab_size=29,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=12,
        hidden_act="gelu",
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        layer_norm_eps=1e-12,
    )
    hf._attn_implementation = "sdpa"  # SDPA path, float64 throughout (eager also keeps the input dtype)
    ref = HFBertForMaskedLM(hf).double().eval()
    copy_into_hf(ours, ref)
    return ours, ref


def copy_into_hf(ours: BertForMaskedLM, ref: HFBertForMaskedLM) -> None:
    def cp(theirs, mine):
        theirs.weight.copy_(mine.weight)
        if getattr(mine, "bias", None) is not None:
            theirs.bias.copy_(mine.bias)

    b, e = ours.bert, ref.bert.embeddings
    with torch.no_grad():
        cp(e.word_embeddings, b.word_embeddings)
        cp(e.position_embeddings, b.position_embeddings)
        cp(e.token_type_embeddings, b.token_type_embeddings)
        cp(e.LayerNorm, b.embedding_norm)
        for mine, layer in zip(b.layers, ref.bert.encoder.layer):
            s = layer.attention.self
            for theirs, m in (
                (s.query, mine.attn.q_proj),
                (s.key, mine.attn.k_proj),
                (s.value, mine.attn.v_proj),
                (layer.attention.output.dense, mine.attn.out_proj),
                (layer.attention.output.LayerNorm, mine.attn_norm),
                (layer.intermediate.dense, mine.intermediate),
                (layer.output.dense, mine.output),
                (layer.output.LayerNorm, mine.output_norm),
            ):
                cp(theirs, m)
        p = ref.cls.predictions
        cp(p.transform.dense, ours.transform)
        cp(p.transform.LayerNorm, ours.transform_norm)
        p.bias.copy_(ours.decoder_bias)
    assert p.decoder.weight.data_ptr() == e.word_embeddings.weight.data_ptr()  # tied in theirs too


@verifies(
    "bert",
    against="transformers BertForMaskedLM",
    tol=TOL64,
    note="shared weights, float64, padding + segments, logits + grads",
)
def test_mlm_logits_and_gradients_match_transformers():
    ours, ref = _pair()
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(4, 29, (3, 12), generator=g)
    segments = (torch.arange(12) >= 6).long().expand(3, -1)
    attention = torch.ones(3, 12, dtype=torch.long)
    attention[1, 9:] = 0  # padding in one row
    attention[2, 5:] = 0
    mine, _ = ours(ids, segments, attention)
    theirs = ref(input_ids=ids, token_type_ids=segments, attention_mask=attention).logits
    torch.testing.assert_close(mine, theirs, rtol=TOL64, atol=TOL64)
    labels = mask_tokens(ids, mask_token_id=3, vocab_size=29, generator=g).labels
    _, loss = ours(ids, segments, attention, labels=labels)
    ref_loss = torch.nn.functional.cross_entropy(theirs.reshape(-1, 29), labels.reshape(-1))  # float64 both
    torch.testing.assert_close(loss, ref_loss, rtol=TOL64, atol=TOL64)
    loss.backward()
    ref_loss.backward()
    torch.testing.assert_close(
        ours.bert.word_embeddings.weight.grad,
        ref.bert.embeddings.word_embeddings.weight.grad,
        rtol=TOL64,
        atol=TOL64,
    )
    torch.testing.assert_close(
        ours.bert.layers[0].attn.q_proj.weight.grad,
        ref.bert.encoder.layer[0].attention.self.query.weight.grad,
        rtol=TOL64,
        atol=TOL64,
    )


def test_padding_does_not_change_real_tokens():
    ours, _ = _pair()
    ids = torch.randint(4, 29, (1, 8))
    padded = torch.cat([ids, torch.zeros(1, 4, dtype=torch.long)], 1)
    att = torch.cat([torch.ones(1, 8), torch.zeros(1, 4)], 1).long()
    torch.testing.assert_close(
        ours(padded, attention_mask=att)[0][:, :8], ours(ids)[0], rtol=TOL64, atol=TOL64
    )


def test_masking_follows_80_10_10():
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(4, 50, (400, 100), generator=g)
    special = torch.zeros_like(ids, dtype=torch.bool)
    special[:, 0] = True
    batch = mask_tokens(ids, mask_token_id=3, vocab_size=50, generator=g, special_tokens_mask=special)
    chosen = batch.labels != IGNORE_INDEX
    n = chosen.sum().item()
    assert not chosen[:, 0].any()
    assert torch.equal(batch.labels[chosen], ids[chosen])
    assert (batch.input_ids[~chosen] == ids[~chosen]).all()
    # Each rate within 4 binomial standard deviations (a false alarm about once in 16 000 seeds).
    # 39 600 candidate positions at 0.15: sd of the rate ≈ 0.0018.
    candidates = 400 * 99

    def within_4_sd(rate, p, draws):
        return abs(rate - p) < 4 * math.sqrt(p * (1 - p) / draws)

    assert within_4_sd(n / candidates, 0.15, candidates)
    frac_mask = (batch.input_ids[chosen] == 3).float().mean().item()
    frac_same = (batch.input_ids[chosen] == ids[chosen]).float().mean().item()
    # over ~5940 chosen positions: sd ≈ 0.0052 for 80 %, ≈ 0.0039 for 10.2 %. "Same" also includes
    # random draws that hit the original token (1/50 of the 10 %): expected 0.1 + 0.1/50 = 0.102.
    # Random draws can also hit [MASK] (id 3), so "[MASK]" is 0.802 in expectation; 0.002 is < 0.4 sd.
    assert within_4_sd(frac_mask, 0.8, n) and within_4_sd(frac_same, 0.102, n)
    with pytest.raises(ValueError, match="mlm_probability"):
        mask_tokens(ids, mask_token_id=3, vocab_size=50, generator=g, mlm_probability=0.0)


def test_tiny_pretraining_beats_chance():
    rec = pretrain(steps=20, batch_size=16, eval_every=20, num_sentences=300)
    first, last = rec["history"][0], rec["history"][-1]
    assert last["test_loss"] < first["test_loss"] - 0.3  # from about log(34) ≈ 3.5 at init (34 words)


def test_committed_run_matches_the_page():
    """The numbers bert.md quotes from the committed run record (bert_run.json) and its defaults."""
    import inspect
    import json

    from mlatlas.transformers.bert import RUN_JSON, word_vocabulary

    rec = json.loads(RUN_JSON.read_text())
    cfg = rec["config"]
    assert (cfg["num_layers"], cfg["hidden_size"], cfg["num_heads"]) == (2, 64, 4)
    assert cfg["vocab_size"] == len(word_vocabulary()) == 34
    assert (rec["steps"], rec["batch_size"]) == (600, 64)
    assert inspect.signature(pretrain).parameters["num_sentences"].default == 20_000
    first, last = rec["history"][0], rec["history"][-1]
    assert (first["step"], last["step"]) == (0, 600)
    assert round(first["test_loss"], 1) == 3.5 and round(first["test_accuracy"], 2) == 0.03
    assert round(last["test_loss"], 1) == 1.3 and round(last["test_accuracy"], 2) == 0.42
    assert rec["probes"] == {
        "the [MASK] fox sees a house .": ["lazy", "brave", "bright"],
        "a robot [MASK] the river .": ["likes", "sees", "paints"],
        "the cat likes [MASK] bird .": ["the", "a", "."],
    }
