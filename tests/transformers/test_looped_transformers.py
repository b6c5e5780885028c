"""Looped transformers: parameter counts by hand, equivalence to the unrolled stack, shared gradients."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mlatlas.transformers.looped_transformers import (
    LoopedConfig,
    LoopedTransformer,
    block_parameters,
    count_parameters,
    unroll,
)
from mlatlas.verification import verifies

TOL64 = 1e-12


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([8, 16, 32]), st.integers(1, 8), st.sampled_from([2.0, 4.0]))
@verifies(
    "looped-transformers", against="parameter count by hand", tol=0, note="looped = 1 block, unrolled = L"
)
def test_parameter_counts(width, loops, ratio):
    model = LoopedTransformer(LoopedConfig(width=width, num_heads=2, num_loops=loops, mlp_ratio=ratio))
    norm = 2 * width
    assert count_parameters(model) == block_parameters(width, ratio) + norm  # independent of L
    assert count_parameters(unroll(model)) == loops * block_parameters(width, ratio) + norm


@pytest.mark.parametrize("injection", [False, True])
@verifies("looped-transformers", against="equivalence to the unrolled stack", tol=TOL64, note="float64")
def test_looped_equals_unrolled_copies(injection):
    torch.manual_seed(0)
    model = LoopedTransformer(LoopedConfig(width=16, num_heads=2, num_loops=5, input_injection=injection))
    model = model.double().eval()
    x = torch.randn(2, 7, 16, dtype=torch.float64)
    torch.testing.assert_close(model(x), unroll(model).double().eval()(x), rtol=TOL64, atol=TOL64)


def test_gradient_of_tied_weights_is_the_sum_over_loops():
    # dL/dθ for the shared block = Σ over its L uses = Σ of the unrolled copies' gradients.
    torch.manual_seed(1)
    model = LoopedTransformer(LoopedConfig(width=8, num_heads=2, num_loops=3)).double()
    flat = unroll(model).double()
    x = torch.randn(1, 4, 8, dtype=torch.float64)
    model(x).square().sum().backward()
    flat(x).square().sum().backward()
    total = sum(b.attn.q_proj.weight.grad for b in flat.blocks)
    torch.testing.assert_close(model.block.attn.q_proj.weight.grad, total, rtol=1e-10, atol=1e-10)


def test_loop_count_can_change_at_inference():
    model = LoopedTransformer(LoopedConfig(width=8, num_heads=2, num_loops=3)).eval()
    x = torch.randn(1, 4, 8)
    out, states = model(x, num_loops=7, return_all=True)
    assert len(states) == 8 and out.shape == x.shape
    torch.testing.assert_close(model(x, num_loops=0), model.norm(x))
    with pytest.raises(ValueError, match="num_loops must be"):
        model(x, num_loops=-1)


def test_figure_parameters_and_states_returns_a_figure():
    from matplotlib.figure import Figure

    from mlatlas.transformers.figures.looped_transformers import parameters_and_states

    assert isinstance(parameters_and_states(), Figure)


def test_injected_updates_fall_as_one_over_l():
    """The figure's right panel: with input injection (x re-added before every loop), the relative
    update at loop l is about 1/l for the untrained model the figure draws."""
    torch.manual_seed(0)
    # the figure builds the plain loop first from the same seed; do the same to get its weights
    LoopedTransformer(LoopedConfig(width=32, num_heads=4, num_loops=24, input_injection=False))
    model = LoopedTransformer(LoopedConfig(width=32, num_heads=4, num_loops=24, input_injection=True))
    x = torch.randn(4, 16, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        _, states = model(x, return_all=True)
    steps = [(b - a).norm().item() / a.norm().item() for a, b in zip(states[:-1], states[1:])]
    for l, step in enumerate(steps, start=1):
        assert abs(l * step - 1) < 0.05, (l, step)


def test_plain_loop_updates_shrink_every_loop():
    """The figure's right panel, plain loop: each iteration moves the state less than the one before."""
    torch.manual_seed(0)
    model = LoopedTransformer(LoopedConfig(width=32, num_heads=4, num_loops=24, input_injection=False))
    x = torch.randn(4, 16, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        _, states = model(x, return_all=True)
    steps = [(b - a).norm().item() / a.norm().item() for a, b in zip(states[:-1], states[1:])]
    assert all(later < earlier for earlier, later in zip(steps, steps[1:])), steps


def test_page_parameter_counts_at_width_256():
    """The page's numbers: a block is about 12C² weights; 24 blocks at C = 256 are 19 M untied and
    0.8 M looped."""
    per_block = block_parameters(256)
    assert abs(per_block / (12 * 256**2) - 1) < 0.01
    assert round(24 * per_block / 1e6) == 19
    looped = LoopedTransformer(LoopedConfig(width=256, num_heads=4, num_loops=24))
    assert round(count_parameters(looped) / 1e6, 1) == 0.8
