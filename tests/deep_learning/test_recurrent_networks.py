"""RNN, LSTM and GRU vs torch.nn.RNN / LSTM / GRU with shared weights: outputs, states and gradients."""

import pytest
import torch
from torch import nn

from mlatlas.deep_learning.recurrent_networks import (
    Recurrent,
    RecurrentConfig,
    gradient_through_time,
    truncated_bptt_losses,
)
from mlatlas.verification import verifies

TOL = 1e-10  # float64
TORCH = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def shared_pair(mode, num_layers, seed=0):
    torch.manual_seed(seed)
    ref = TORCH[mode](3, 5, num_layers=num_layers, batch_first=True).double()
    ours = Recurrent(RecurrentConfig(mode, 3, 5, num_layers)).double()
    ours.load_state_dict(ref.state_dict())  # same names and shapes: the state dict loads as is
    return ours, ref


def random_state(mode, num_layers, batch, seed):
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(num_layers, batch, 5, generator=g, dtype=torch.float64)
    return (h, torch.randn(num_layers, batch, 5, generator=g, dtype=torch.float64)) if mode == "lstm" else h


def flat(state):
    return list(state) if isinstance(state, tuple) else [state]


@verifies(
    "recurrent-networks",
    against="torch.nn.RNN / LSTM / GRU",
    tol=TOL,
    note="float64, shared weights, 1 and 2 layers, batch-first, given initial state; outputs, final states, "
    "gradients for inputs, initial state and every parameter",
)
@pytest.mark.parametrize("mode", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_matches_torch_with_gradients(mode, num_layers):
    ours, ref = shared_pair(mode, num_layers)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(4, 7, 3, generator=g, dtype=torch.float64)
    s0 = random_state(mode, num_layers, 4, seed=2)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    s1 = [s.clone().requires_grad_() for s in flat(s0)]
    s2 = [s.clone().requires_grad_() for s in flat(s0)]
    pack = (lambda s: tuple(s)) if mode == "lstm" else (lambda s: s[0])
    out1, final1 = ours(x1, pack(s1))
    out2, final2 = ref(x2, pack(s2))
    torch.testing.assert_close(out1, out2, rtol=TOL, atol=TOL)
    for a, b in zip(flat(final1), flat(final2)):
        torch.testing.assert_close(a, b, rtol=TOL, atol=TOL)
    go = torch.randn(out1.shape, generator=g, dtype=torch.float64)
    gh = torch.randn(flat(final1)[-1].shape, generator=g, dtype=torch.float64)
    ((out1 * go).sum() + (flat(final1)[-1] * gh).sum()).backward()
    ((out2 * go).sum() + (flat(final2)[-1] * gh).sum()).backward()
    torch.testing.assert_close(x1.grad, x2.grad, rtol=TOL, atol=TOL)
    for a, b in zip(s1, s2):
        torch.testing.assert_close(a.grad, b.grad, rtol=TOL, atol=TOL)
    ref_params = dict(ref.named_parameters())
    for name, p in ours.named_parameters():
        torch.testing.assert_close(p.grad, ref_params[name].grad, rtol=TOL, atol=TOL, msg=name)


def test_truncated_bptt_with_one_chunk_is_full_bptt_and_chunks_carry_the_state():
    ours, _ = shared_pair("lstm", 2)
    head = nn.Linear(5, 3).double()
    g = torch.Generator().manual_seed(4)
    x = torch.randn(2, 12, 3, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (2, 12), generator=g)
    full = truncated_bptt_losses(ours, head, x, y, chunk=12)
    chunked = truncated_bptt_losses(ours, head, x, y, chunk=4)
    # the forward values do not depend on where the graph is cut
    expected = sum(loss * 4 for loss in chunked.losses) / 12
    torch.testing.assert_close(full.losses[0], expected, rtol=TOL, atol=TOL)
    for a, b in zip(flat(full.state), flat(chunked.state)):
        torch.testing.assert_close(a, b, rtol=TOL, atol=TOL)


def test_truncation_stops_gradients_at_the_chunk_boundary():
    ours, _ = shared_pair("gru", 1)
    head = nn.Linear(5, 3).double()
    x = torch.randn(2, 8, 3, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 3, (2, 8), generator=torch.Generator().manual_seed(0))
    losses = truncated_bptt_losses(ours, head, x, y, chunk=4).losses
    (g,) = torch.autograd.grad(losses[1], x)
    assert torch.all(g[:, :4] == 0)  # the second chunk's loss does not reach the first chunk's inputs
    assert torch.all(g[:, 4:].abs().sum(-1) > 0)
    full = truncated_bptt_losses(ours, head, x, y, chunk=8).losses[0]
    (g_full,) = torch.autograd.grad(full, x)
    assert torch.all(g_full[:, :4].abs().sum(-1) > 0)


def test_the_pages_gradient_decay():
    ratio = lambda g: g[50] / g[1]  # dependence on an input 50 steps back, relative to 1 step back
    for mode in ("rnn", "lstm", "gru"):  # page: between 1e-11 and 1e-10 after 50 steps, all three
        assert 1e-11 < ratio(gradient_through_time(mode)) < 1e-10
    lstm, gru = gradient_through_time("lstm", keep_bias=3.0), gradient_through_time("gru", keep_bias=3.0)
    assert 0.85 < ratio(lstm) < 0.97  # page: about 90% (0.92)
    assert 0.08 < ratio(gru) < 0.12  # page: about 10% (0.096)
    assert min(lstm) / max(lstm) > 0.1 and min(gru) / max(gru) > 0.07  # alt: one order of magnitude


def test_bad_input():
    with pytest.raises(ValueError, match="mode must be one of"):
        Recurrent(RecurrentConfig("transformer", 3, 5))
    with pytest.raises(ValueError, match="batch-first"):
        Recurrent(RecurrentConfig("rnn", 3, 5))(torch.randn(7, 3))
    with pytest.raises(ValueError, match="no gate to bias"):
        gradient_through_time("rnn", keep_bias=1.0)
    with pytest.raises(ValueError, match="positive number of steps"):
        truncated_bptt_losses(
            Recurrent(RecurrentConfig("rnn", 3, 5)), nn.Linear(5, 2), torch.randn(1, 4, 3), None, 0
        )
