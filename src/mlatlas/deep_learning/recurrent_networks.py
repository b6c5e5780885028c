"""Recurrent networks: RNN, LSTM and GRU cells and multi-layer layers, and truncated BPTT.

Papers: Elman (1990), "Finding Structure in Time" (Cognitive Science 14, no arXiv); Hochreiter,
Schmidhuber (1997), "Long Short-Term Memory" (Neural Computation 9, no arXiv), with the forget gate
of Gers, Schmidhuber, Cummins (2000); Cho et al. (2014), "Learning Phrase Representations using RNN
Encoder-Decoder for Statistical Machine Translation", arXiv:1406.1078 (the GRU).
One cell applied at every time step with the same weights; the state carries the past forward,
and gates let the LSTM and GRU keep it for long spans by *adding* to it instead of rewriting it.

Equations in PyTorch's convention (two biases, gates stacked in the order shown)::

    RNN:  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
    LSTM: i, f, g, o = split(W_ih x + b_ih + W_hh h + b_hh)
          c' = sigma(f) * c + sigma(i) * tanh(g),   h' = sigma(o) * tanh(c')
    GRU:  r, z = sigma(split(W_ih x + b_ih + W_hh h + b_hh)[:2]);
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),   h' = (1 - z) * n + z * h
    (Cho et al. eqs. 5-8, except that r multiplies W_hn h + b_hn *after* the product, as in PyTorch
    and cuDNN, where the paper multiplies h before it: W_hn (r * h).)

Shapes: x (B, T, F) batch-first; hidden state (num_layers, B, H).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

MODES = ("rnn", "lstm", "gru")
GATES = {"rnn": 1, "lstm": 4, "gru": 3}  # stacked rows of W_ih: H per gate


def rnn_cell(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor, b_hh: Tensor) -> Tensor:
    """Elman cell: h' = tanh(W_ih x + b_ih + W_hh h + b_hh). x (B, F), h (B, H) -> (B, H)."""
    return torch.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)


def lstm_cell(
    x: Tensor, state: tuple[Tensor, Tensor], w_ih: Tensor, w_hh: Tensor, b_ih: Tensor, b_hh: Tensor
) -> tuple[Tensor, Tensor]:
    """LSTM cell with a forget gate. x (B, F), state (h, c) each (B, H) -> (h', c')."""
    h, c = state
    gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh  # (B, 4H)
    i, f, g, o = gates.chunk(4, dim=-1)  # input, forget, cell candidate, output; each (B, H)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)  # c' = f c + i g: an additive update
    h = torch.sigmoid(o) * torch.tanh(c)  # h' = o tanh(c')
    return h, c


def gru_cell(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor, b_hh: Tensor) -> Tensor:
    """GRU cell. x (B, F), h (B, H) -> (B, H)."""
    gx = x @ w_ih.T + b_ih  # (B, 3H): input parts of r, z, n
    gh = h @ w_hh.T + b_hh  # (B, 3H): hidden parts of r, z, n
    rx, zx, nx = gx.chunk(3, dim=-1)
    rh, zh, nh = gh.chunk(3, dim=-1)
    r = torch.sigmoid(rx + rh)  # reset gate
    z = torch.sigmoid(zx + zh)  # update gate
    n = torch.tanh(nx + r * nh)  # candidate; the reset gate scales the hidden part *after* its bias
    return (1 - z) * n + z * h  # interpolate between the candidate and the old state


@dataclass
class RecurrentConfig:
    mode: str  # "rnn", "lstm" or "gru"
    input_size: int
    hidden_size: int
    num_layers: int = 1


class Recurrent(nn.Module):
    """A stack of recurrent layers, batch-first, with PyTorch's parameter names (weight_ih_l0, ...).

    Because the names and shapes match ``torch.nn.RNN/LSTM/GRU(batch_first=True)``, a state dict
    saved from one loads into the other.
    """

    def __init__(self, config: RecurrentConfig):
        super().__init__()
        if config.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {config.mode!r}")
        self.config = config
        H, rows = config.hidden_size, GATES[config.mode] * config.hidden_size
        bound = H**-0.5  # PyTorch's init: U(-1/sqrt(H), 1/sqrt(H)) for every parameter
        for layer in range(config.num_layers):
            f_in = config.input_size if layer == 0 else H
            for name, shape in [("weight_ih", (rows, f_in)), ("weight_hh", (rows, H)), ("bias_ih", (rows,)),
                                ("bias_hh", (rows,))]:  # fmt: skip
                setattr(self, f"{name}_l{layer}", nn.Parameter(torch.empty(shape).uniform_(-bound, bound)))

    def layer_weights(self, layer: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        return tuple(getattr(self, f"{n}_l{layer}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def initial_state(self, x: Tensor):
        zeros = x.new_zeros(self.config.num_layers, x.shape[0], self.config.hidden_size)  # (L, B, H)
        return (zeros, zeros.clone()) if self.config.mode == "lstm" else zeros

    def forward(self, x: Tensor, state=None):
        """x (B, T, F) -> (outputs of the last layer (B, T, H), final state (L, B, H) or (h, c))."""
        if x.ndim != 3 or x.shape[2] != self.config.input_size:
            raise ValueError(f"x must be (B, T, {self.config.input_size}) batch-first, got {tuple(x.shape)}")
        state = self.initial_state(x) if state is None else state
        lstm = self.config.mode == "lstm"
        cell = {"rnn": rnn_cell, "lstm": lstm_cell, "gru": gru_cell}[self.config.mode]
        finals_h, finals_c = [], []
        inputs = x
        for layer in range(self.config.num_layers):
            weights = self.layer_weights(layer)
            s = (state[0][layer], state[1][layer]) if lstm else state[layer]  # (B, H)
            outputs = []
            for t in range(inputs.shape[1]):  # the same weights at every step
                s = cell(inputs[:, t], s, *weights)
                outputs.append(s[0] if lstm else s)
            inputs = torch.stack(outputs, dim=1)  # (B, T, H): the next layer's input sequence
            finals_h.append(s[0] if lstm else s)
            if lstm:
                finals_c.append(s[1])
        h_n = torch.stack(finals_h)  # (L, B, H)
        return inputs, ((h_n, torch.stack(finals_c)) if lstm else h_n)


def detach_state(state):
    """Cut the graph at a chunk boundary: same values, no gradient to earlier chunks."""
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


class ChunkLosses(NamedTuple):
    losses: list[Tensor]  # one scalar loss per chunk, each with its own (truncated) graph
    state: object  # the final state


def truncated_bptt_losses(model: Recurrent, head: nn.Module, x: Tensor, y: Tensor, chunk: int) -> ChunkLosses:
    """Truncated backpropagation through time: run the sequence in chunks of ``chunk`` steps,
    carrying the *values* of the state forward but detaching it, so each chunk's loss back-propagates
    at most ``chunk`` steps. x (B, T, F), y (B, T) class targets; head maps (B, T, H) -> (B, T, K).
    Call ``.backward()`` on each loss (and step the optimiser) before running the next chunk in
    training; here all chunks are returned for inspection.
    """
    if chunk < 1:
        raise ValueError(f"chunk must be a positive number of steps, got {chunk}")
    state, losses = None, []
    for start in range(0, x.shape[1], chunk):
        out, state = model(x[:, start : start + chunk], state)  # (B, chunk, H)
        logits = head(out)  # (B, chunk, K)
        losses.append(
            nn.functional.cross_entropy(logits.flatten(0, 1), y[:, start : start + chunk].flatten())
        )
        state = detach_state(state)  # the truncation
    return ChunkLosses(losses, state)


def gradient_through_time(
    mode: str, steps: int = 52, hidden: int = 32, keep_bias: float = 0.0, seed: int = 0
) -> list[float]:
    """||u^T d h_T / d x_t|| for a random unit vector u, averaged over a batch, at initialisation.

    One backward pass instead of H: for u uniform on the sphere, E ||u^T J||^2 = ||J||_F^2 / H.
    ``keep_bias`` is added to the bias of the gate that keeps the old state — the LSTM's forget gate
    f, the GRU's update gate z — so that the gate starts open (sigma(3) = 0.95). Returns a list
    indexed by the distance T - 1 - t: how strongly the last state depends on an input that far back.
    """
    torch.manual_seed(seed)
    model = Recurrent(RecurrentConfig(mode, 1, hidden)).double()
    if keep_bias:
        if mode == "rnn":
            raise ValueError("a plain RNN has no gate to bias: use keep_bias=0")
        rows = slice(hidden, 2 * hidden)  # f is the 2nd block of the LSTM's gates, z the 2nd of the GRU's
        with torch.no_grad():
            model.bias_ih_l0[rows] += keep_bias
    x = torch.randn(32, steps, 1, dtype=torch.float64, requires_grad=True)  # (B, T, 1)
    out, _ = model(x)
    u = torch.randn(32, hidden, dtype=torch.float64)
    u = u / u.norm(dim=1, keepdim=True)  # one random direction per sequence
    (g,) = torch.autograd.grad((out[:, -1] * u).sum(), x)  # (B, T, 1): u^T d h_T / d x_t
    return g[..., 0].abs().mean(0).flip(0).tolist()
