"""Dynamic loss scaling by hand against torch.amp.GradScaler (on CPU), bf16 autocast, fp16 range."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.hardware import mixed_precision as mp
from mlatlas.verification import verifies

STEPS = 40


def tiny_problem(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(32, 8, generator=g)
    y = torch.randn(32, 1, generator=g)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    return model, lambda m: torch.nn.functional.mse_loss(m(x), y)


def grad_scaler_reference(model, loss_fn, steps, lr, **scaler_kwargs):
    """The same training loop written the documented torch.amp way."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler("cpu", **scaler_kwargs)
    scales, skipped, params = [], [], []
    for _ in range(steps):
        optimizer.zero_grad()
        with torch.autocast("cpu", dtype=torch.float16):
            loss = loss_fn(model)
        before = [p.detach().clone() for p in model.parameters()]
        scale = scaler.get_scale()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        scales.append(scale)
        skipped.append(all(torch.equal(b, p) for b, p in zip(before, model.parameters())))
        params.append([p.detach().clone() for p in model.parameters()])
    return scales, skipped, params


@verifies(
    "mixed-precision",
    against="torch.amp.GradScaler",
    tol=0.0,
    note="CPU, fp16 autocast: identical scale, skipped steps and float32 weights for 40 steps",
)
@pytest.mark.parametrize("growth_interval", [2, 3])
def test_hand_loss_scaling_matches_grad_scaler_step_for_step(growth_interval):
    kwargs = {"init_scale": 2.0**12, "growth_interval": growth_interval}
    model, loss_fn = tiny_problem()
    reference_model = tiny_problem()[0]
    scales, skipped, params = grad_scaler_reference(reference_model, loss_fn, STEPS, 0.05, **kwargs)
    ours = mp.train_fp16_with_loss_scaling(model, loss_fn, STEPS, lr=0.05, **kwargs)
    assert ours.scales == scales
    assert ours.skipped == skipped
    assert any(ours.skipped) and not all(ours.skipped)  # overflow really happened, and recovery too
    for mine, theirs in zip(ours.params, params):
        for a, b in zip(mine, theirs):
            torch.testing.assert_close(a, b, rtol=0, atol=0)  # same float32 arithmetic, bit for bit


def test_grad_scaler_defaults_are_ours_and_the_pages():
    """The page: GradScaler starts at S = 2^16 and doubles after 2,000 clean steps (halves on overflow)."""
    scaler = torch.amp.GradScaler("cpu")
    assert scaler.get_scale() == 2.0**16 == mp.init_loss_scale().scale
    assert scaler.get_growth_interval() == 2000
    assert (scaler.get_growth_factor(), scaler.get_backoff_factor()) == (2.0, 0.5)


def test_scale_rule_by_hand():
    s = mp.init_loss_scale(1024.0)
    s = mp.update_scale(s, False, growth_interval=2)
    assert s == (1024.0, 1)
    s = mp.update_scale(s, False, growth_interval=2)
    assert s == (2048.0, 0)  # grown after 2 clean steps
    s = mp.update_scale(s, False, growth_interval=2)
    s = mp.update_scale(s, True, growth_interval=2)
    assert s == (1024.0, 0)  # overflow: halve and restart the count


def test_unscale_flags_inf_and_nan():
    clean = mp.unscale_gradients([torch.tensor([2.0, 4.0])], 2.0)
    assert not clean.found_inf and torch.equal(clean.grads[0], torch.tensor([1.0, 2.0]))
    assert mp.unscale_gradients([torch.tensor([1.0]), torch.tensor([float("inf")])], 2.0).found_inf
    assert mp.unscale_gradients([torch.tensor([float("nan")])], 2.0).found_inf


@settings(max_examples=25, deadline=None)
@given(exponent=st.integers(-30, 0), log2_scale=st.integers(0, 24))
def test_power_of_two_scaling_is_exact(exponent, log2_scale):
    # Scaling by S = 2^k only changes the exponent: (g · S) / S == g exactly, as long as g · S is a
    # normal fp16 number. That is why loss scaling costs no accuracy.
    g = torch.tensor([1.5 * 2.0**exponent], dtype=torch.float32)
    scaled = (g * 2.0**log2_scale).to(torch.float16)
    if mp.FP16_MIN_NORMAL <= scaled.abs().item() <= mp.FP16_MAX:
        back = mp.unscale_gradients([scaled.float()], 2.0**log2_scale).grads[0]
        assert torch.equal(back, g)


def test_fp16_limits_are_torchs():
    info = torch.finfo(torch.float16)
    assert info.max == mp.FP16_MAX
    assert info.tiny == mp.FP16_MIN_NORMAL
    assert info.smallest_normal == mp.FP16_MIN_NORMAL
    assert torch.tensor(mp.FP16_MIN_SUBNORMAL, dtype=torch.float16).item() == mp.FP16_MIN_SUBNORMAL
    assert torch.tensor(mp.FP16_MIN_SUBNORMAL / 2.1, dtype=torch.float16).item() == 0.0


def test_scaling_rescues_small_gradients_from_fp16():
    g = mp.activation_gradients()
    unscaled = mp.fp16_fate(g, 1.0)
    scaled = mp.fp16_fate(g, 2.0**16)
    assert unscaled.zero > 0 and unscaled.subnormal > 0.5  # most gradients lose precision unscaled
    assert scaled.zero == 0 and scaled.subnormal < 1e-3 and scaled.overflow == 0
    assert mp.fp16_fate(g, 2.0**40).overflow > 0  # too big a scale overflows instead
    assert torch.all(g.to(torch.bfloat16) != 0)  # bf16 has float32's exponent range: nothing flushes
    # the page's numbers: ~98% subnormal and ~1% zero at scale 1; 0.02% subnormal at 2^16; overflow
    # appears first at 2^29
    assert round(100 * unscaled.subnormal) == 98 and round(100 * unscaled.zero) == 1
    assert round(100 * scaled.subnormal, 2) == 0.02
    assert mp.fp16_fate(g, 2.0**28).overflow == 0 < mp.fp16_fate(g, 2.0**29).overflow


@verifies(
    "mixed-precision",
    against="torch.autocast bf16 (CPU)",
    tol=2e-2,
    note="outputs are bfloat16 and within bf16 precision of float32",
)
def test_bf16_autocast_on_cpu():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.GELU(), torch.nn.Linear(64, 8))
    x = torch.randn(16, 32)
    out = mp.autocast_forward(model, x, torch.bfloat16)
    assert out.dtype == torch.bfloat16
    reference = model(x)
    assert reference.dtype == torch.float32
    # bf16 keeps 8 significant bits (spacing 2^-7, rounding error up to 2^-8 = 0.4%); two matmuls of
    # width 32 and 64 accumulate a few such roundings, so compare at 2e-2 relative to the output's scale.
    torch.testing.assert_close(out.float(), reference, rtol=2e-2, atol=2e-2 * reference.abs().max().item())


@verifies(
    "mixed-precision",
    against="torch.autocast bf16 (CPU)",
    tol=0.0,
    note="the dtype each op returns under CPU bf16 autocast on torch 2.13: matmul, softmax, "
    "log_softmax, layer_norm and sum bf16; cross_entropy and mse_loss float32",
)
def test_cpu_autocast_keeps_softmax_norms_and_sums_in_bf16():
    assert torch.__version__.startswith("2.13")  # the lists below are torch 2.13's; re-check on upgrade
    bf16, f32 = torch.bfloat16, torch.float32
    expected = {
        "matmul": bf16,
        "softmax": bf16,
        "log_softmax": bf16,
        "layer_norm": bf16,
        "sum": bf16,
        "cross_entropy": f32,
        "mse_loss": f32,
    }
    assert mp.autocast_output_dtypes(torch.bfloat16) == expected


def test_float_formats_of_the_table():
    """The numbers of the page's format table, read from torch.finfo."""
    f32, f16, bf16 = (mp.float_format(d) for d in (torch.float32, torch.float16, torch.bfloat16))
    assert (f32.exponent_bits, f32.mantissa_bits) == (8, 23)
    assert (f16.exponent_bits, f16.mantissa_bits) == (5, 10)
    assert (bf16.exponent_bits, bf16.mantissa_bits) == (8, 7)
    assert f32.largest == pytest.approx(3.4e38, rel=1e-2) and bf16.largest == pytest.approx(3.4e38, rel=1e-2)
    assert f32.smallest_normal == pytest.approx(1.2e-38, rel=2e-2) == bf16.smallest_normal
    assert f16.largest == 65504 and f16.smallest_normal == 2.0**-14
    assert f32.spacing == pytest.approx(1.2e-7, rel=1e-2)
    assert f16.spacing == pytest.approx(9.8e-4, rel=1e-2) and bf16.spacing == pytest.approx(7.8e-3, rel=1e-2)
    # bf16's 8 significand bits are about 2.4 decimal digits; fp16's 11 about 3.3; float32's 24 about 7.2
    assert round(bf16.decimal_digits, 1) == 2.4
    assert round(f16.decimal_digits, 1) == 3.3
    assert round(f32.decimal_digits, 1) == 7.2
    with pytest.raises(ValueError, match="floating-point dtype"):
        mp.float_format(torch.int32)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="init_scale"):
        mp.init_loss_scale(0.0)
    with pytest.raises(ValueError, match="growth_interval"):
        mp.update_scale(mp.init_loss_scale(), False, growth_interval=0)
    with pytest.raises(ValueError, match="autocast dtype"):
        mp.autocast_forward(torch.nn.Linear(2, 2), torch.zeros(1, 2), torch.float64)
    with pytest.raises(ValueError, match="empty"):
        mp.fp16_fate(torch.zeros(0))


def test_the_figures_alt_texts():
    """fp16_underflow: gradients centred near 2^-18, none flushed and under 1% subnormal by S = 2^12.
    loss_scale_history: log2 S climbs by one every 4 steps from 10 to 19, first overflows there,
    then saw-tooths between 19 and 20 (the same 60-step run as the figure)."""
    import math

    import numpy as np

    g = mp.activation_gradients()
    assert -19 < np.median(np.log2(g.abs().numpy())) < -17
    at_2_12 = mp.fp16_fate(g, 2.0**12)
    assert at_2_12.zero == 0 and at_2_12.subnormal < 0.01
    model, loss_fn = tiny_problem()
    run = mp.train_fp16_with_loss_scaling(model, loss_fn, 60, lr=0.05, init_scale=2.0**10, growth_interval=4)
    log2_scale = [round(math.log2(s)) for s in run.scales]
    first = run.skipped.index(True)
    assert log2_scale[:first + 1] == [10 + k // 4 for k in range(first + 1)] and log2_scale[first] == 19
    assert set(log2_scale[first + 5:]) == {19, 20}
    assert all(log2_scale[s] == 20 for s, skipped in enumerate(run.skipped) if skipped and s > first)
