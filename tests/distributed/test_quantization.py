"""Quantisation against torch.ao.quantization observers and torch.quantize_per_channel; error bounds."""

import warnings

import pytest
import torch
from torch.ao.quantization.observer import MinMaxObserver, PerChannelMinMaxObserver

from mlatlas.distributed.quantization import (
    SCHEMES,
    absmax_quantize,
    fake_quantize_weights,
    groupwise_quantize,
    round_trip,
    zeropoint_quantize,
)
from mlatlas.transformers.gpt import GPT, GPTConfig
from mlatlas.verification import verifies

TOL = 1e-6  # float32 scales; the integers must match exactly


def weights(seed=0, shape=(16, 64)):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(shape, generator=g)
    w[3] *= 20.0  # one loud output channel
    w[:, 5] *= 8.0  # and one loud input column, as in LLM weights
    return w


def torch_quantize_per_channel(x, scale, zero_point, dtype):
    with warnings.catch_warnings():  # torch's quantized tensors are deprecated, still the reference
        warnings.simplefilter("ignore", UserWarning)
        return torch.quantize_per_channel(x, scale, zero_point, 0, dtype).int_repr().to(torch.int32)


@verifies(
    "quantization",
    against="torch.ao.quantization observers",
    tol=TOL,
    note="float32: scales and zero points of MinMaxObserver / PerChannelMinMaxObserver (quint8, affine)",
)
def test_zero_point_parameters_match_torch_observers():
    w = weights()
    ours = zeropoint_quantize(w, 8, dim=0)
    observer = PerChannelMinMaxObserver(ch_axis=0, dtype=torch.quint8, qscheme=torch.per_channel_affine)
    observer(w)
    scale, zero_point = observer.calculate_qparams()
    torch.testing.assert_close(ours.scale.flatten(), scale, rtol=TOL, atol=0)
    assert torch.equal(ours.zero_point.flatten(), zero_point.to(torch.int32))
    per_tensor = zeropoint_quantize(w, 8)
    observer = MinMaxObserver(dtype=torch.quint8, qscheme=torch.per_tensor_affine)
    observer(w)
    scale, zero_point = observer.calculate_qparams()
    torch.testing.assert_close(per_tensor.scale.reshape(1), scale, rtol=TOL, atol=0)
    assert per_tensor.zero_point.item() == zero_point.item()


@verifies(
    "quantization",
    against="torch.quantize_per_channel",
    tol=0,
    note="integers identical: affine quint8 and absmax qint8, per output channel, with our scales",
)
def test_integers_match_torch_quantize_per_channel():
    w = weights(1)
    affine = zeropoint_quantize(w, 8, dim=0)
    expected = torch_quantize_per_channel(
        w, affine.scale.flatten().double(), affine.zero_point.flatten().long(), torch.quint8
    )
    assert torch.equal(affine.q, expected)
    symmetric = absmax_quantize(w, 8, dim=0)
    expected = torch_quantize_per_channel(
        w, symmetric.scale.flatten().double(), torch.zeros(w.shape[0], dtype=torch.long), torch.qint8
    )
    assert torch.equal(symmetric.q, expected)


@verifies(
    "quantization",
    against="round-trip bound |x - x_hat| <= s/2",
    tol="s/2 + 1e-6 s",
    note="absmax and zero-point, per tensor and per channel, int8 and int4, and int4 in groups of 32",
)
@pytest.mark.parametrize("bits", [8, 4])
@pytest.mark.parametrize("seed", range(3))
def test_round_trip_error_is_at_most_half_a_step(bits, seed):
    w = weights(seed)
    for qt in (
        absmax_quantize(w, bits),
        absmax_quantize(w, bits, dim=0),
        zeropoint_quantize(w, bits),
        zeropoint_quantize(w, bits, dim=0),
    ):
        error = (qt.dequantize() - w).abs()
        assert torch.all(error <= qt.scale / 2 * (1 + 1e-6))
    grouped = groupwise_quantize(w, bits, 32)
    error = (grouped.dequantize() - w.reshape(16, 2, 32)).abs()
    assert torch.all(error <= grouped.scale / 2 * (1 + 1e-6))
    assert grouped.q.abs().max() <= 2 ** (bits - 1) - 1


def test_finer_scales_give_smaller_errors():
    w = weights()
    errors = {s: (round_trip(w, s) - w).pow(2).mean().item() for s in SCHEMES}
    assert errors["int8-channel"] < errors["int8-tensor"]
    assert errors["int4-channel"] < errors["int4-tensor"]
    assert errors["int4-group32"] < errors["int4-channel"]
    assert errors["int8-tensor"] < errors["int4-group32"]  # 16x finer steps still win here


def test_weight_only_quantization_of_the_gpt():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=20, block_size=8, n_layer=1, n_head=2, n_embd=32))
    idx = torch.randint(0, 20, (2, 8), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        before, embedding = model(idx)[0], model.wte.weight.clone()
        fake_quantize_weights(model, "int8-channel")
        after = model(idx)[0]
    assert torch.equal(model.wte.weight, embedding)  # the tied embedding/head stays in float
    assert 0 < (after - before).abs().max() < 1e-2 * before.abs().max()


def test_bad_arguments_say_what_to_do():
    with pytest.raises(ValueError, match="bits must be between 2 and 16"):
        absmax_quantize(torch.ones(3), 1)
    with pytest.raises(ValueError, match="not a multiple of group_size=32"):
        groupwise_quantize(torch.ones(4, 40))
    with pytest.raises(ValueError, match="unknown scheme"):
        round_trip(torch.ones(4, 32), "int4-row")


def test_saved_perplexities_match_the_figure_caption():
    """The caption: int8 costs almost nothing; int4 per tensor costs by far the most, per channel
    much less, groups of 32 least (the committed run of `mlatlas run quantization --save`)."""
    import json

    from mlatlas.distributed.quantization import RESULTS

    saved = json.loads(RESULTS.read_text())
    rise = {s: saved[s] - saved["float32"] for s in SCHEMES}
    assert 0 < rise["int8-tensor"] < 1e-3 and 0 < rise["int8-channel"] < 1e-3
    assert 0 < rise["int4-group32"] < rise["int4-channel"] < rise["int4-tensor"] / 2
    assert rise["int8-tensor"] < rise["int4-group32"] / 10
