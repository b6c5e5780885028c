"""State-space models: a diagonal SSM as a recurrence and as a convolution; Mamba's selective scan.

Papers: Gu, Gupta, Goel, Ré (2022), "On the Parameterization and Initialization of Diagonal State
Space Models" (S4D), arXiv:2206.11893; Gu, Dao (2023), "Mamba: Linear-Time Sequence Modeling with
Selective State Spaces", arXiv:2312.00752.
A linear recurrence h_t = A_bar h_{t-1} + B_bar x_t, y_t = C h_t. With fixed (A, B, C) it unrolls
into a causal convolution with kernel K_k = C A_bar^k B_bar; Mamba makes B, C and the step size
depend on the input, which rules out the convolution but keeps an associative scan.

Discretisation with step Delta (zero-order hold for A; Mamba's simplified Euler step for B)::

    A_bar = exp(Delta A),   B_bar = (A_bar - 1) / A * B   (S4D, ZOH)     B_bar = Delta B   (Mamba)

Diagonal A (N,), real and negative. Shapes: x (B, T) for one channel, or (B, D, T) with D channels
(Mamba's "intermediate size"), state width N.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mlatlas.transformers.rmsnorm import RMSNorm


def discretize_zoh(a: Tensor, b: Tensor, delta: float) -> tuple[Tensor, Tensor]:
    """A_bar = exp(Delta A), B_bar = (A_bar - 1) / A * B for diagonal A (N,): exact for a held input."""
    a_bar = torch.exp(delta * a)
    return a_bar, (a_bar - 1) / a * b


def ssm_recurrent(x: Tensor, a_bar: Tensor, b_bar: Tensor, c: Tensor) -> Tensor:
    """h_t = A_bar h_{t-1} + B_bar x_t, y_t = C . h_t, h_0 = 0. x (B, T) -> y (B, T); O(T N)."""
    h = x.new_zeros(x.shape[0], a_bar.shape[0])  # (B, N)
    ys = []
    for t in range(x.shape[1]):
        h = a_bar * h + b_bar * x[:, t, None]  # diagonal A: elementwise
        ys.append(h @ c)
    return torch.stack(ys, dim=1)


def ssm_kernel(a_bar: Tensor, b_bar: Tensor, c: Tensor, length: int) -> Tensor:
    """K_k = C A_bar^k B_bar = sum_n C_n A_bar_n^k B_bar_n for k < length: (length,)."""
    powers = a_bar[None, :] ** torch.arange(length, dtype=a_bar.dtype)[:, None]  # (T, N): A_bar^k
    return powers @ (c * b_bar)


def ssm_convolution(x: Tensor, kernel: Tensor) -> Tensor:
    """y_t = sum_{k <= t} K_k x_{t-k}: the same SSM as one causal convolution, by FFT in O(T log T)."""
    T = x.shape[1]
    n = 2 * T  # zero-pad so the circular convolution does not wrap around
    y = torch.fft.irfft(torch.fft.rfft(x, n=n) * torch.fft.rfft(kernel, n=n), n=n)
    return y[:, :T]


def selective_scan_sequential(u: Tensor, delta: Tensor, a: Tensor, b: Tensor, c: Tensor, d: Tensor) -> Tensor:
    """Mamba's selective scan, one step at a time (Gu & Dao, Algorithm 2).

    u, delta (B, D, T); a (D, N) negative; b, c (B, T, N) input-dependent; d (D,) skip. -> (B, D, T).
    """
    a_bar = torch.exp(a[None, :, None, :] * delta[..., None])  # exp(Delta A), (B, D, T, N)
    bu = delta[..., None] * b[:, None] * u[..., None]  # Delta B u, (B, D, T, N)
    h = u.new_zeros(u.shape[0], u.shape[1], a.shape[1])  # (B, D, N)
    ys = []
    for t in range(u.shape[2]):
        h = a_bar[:, :, t] * h + bu[:, :, t]  # h_t = A_bar_t h_{t-1} + B_bar_t u_t
        ys.append((h * c[:, None, t]).sum(-1))  # y_t = C_t . h_t, (B, D)
    return torch.stack(ys, dim=-1) + d[:, None] * u  # + D u


def parallel_scan(a: Tensor, b: Tensor, dim: int) -> Tensor:
    """All prefixes of h_t = a_t h_{t-1} + b_t (h_0 = 0) in ceil(log2 T) parallel steps (Hillis-Steele).

    The pairs (a, b) compose associatively: (a1, b1) then (a2, b2) is (a2 a1, a2 b1 + b2). At step s
    every position absorbs the composed pair from 2^s positions back.
    """
    a, b = a.movedim(dim, 0), b.movedim(dim, 0)
    T, offset = a.shape[0], 1
    while offset < T:
        a_prev, b_prev = a[:-offset], b[:-offset]  # the pairs `offset` steps earlier
        b = torch.cat([b[:offset], a[offset:] * b_prev + b[offset:]])  # a2 b1 + b2
        a = torch.cat([a[:offset], a[offset:] * a_prev])  # a2 a1
        offset *= 2
    return b.movedim(0, dim)  # b now holds h_t


def selective_scan_parallel(u: Tensor, delta: Tensor, a: Tensor, b: Tensor, c: Tensor, d: Tensor) -> Tensor:
    """The same selective scan by ``parallel_scan`` over time: log T steps instead of T."""
    a_bar = torch.exp(a[None, :, None, :] * delta[..., None])  # (B, D, T, N)
    bu = delta[..., None] * b[:, None] * u[..., None]  # (B, D, T, N)
    h = parallel_scan(a_bar, bu, dim=2)  # every h_t, (B, D, T, N)
    return (h * c[:, None]).sum(-1) + d[:, None] * u


@dataclass
class MambaConfig:
    vocab_size: int
    hidden_size: int
    state_size: int = 16
    intermediate_size: int | None = None  # defaults to 2 * hidden_size
    conv_kernel: int = 4
    time_step_rank: int | None = None  # defaults to ceil(hidden_size / 16)
    num_hidden_layers: int = 2
    layer_norm_epsilon: float = 1e-5

    def __post_init__(self):
        self.intermediate_size = self.intermediate_size or 2 * self.hidden_size
        self.time_step_rank = self.time_step_rank or -(-self.hidden_size // 16)


class MambaMixer(nn.Module):
    """Gu & Dao's block (Fig. 3): in_proj -> causal depthwise conv -> SiLU -> selective SSM, gated by
    SiLU(z) -> out_proj. Parameter names follow transformers' MambaMixer so state dicts load."""

    def __init__(self, config: MambaConfig):
        super().__init__()
        e, n, r = config.intermediate_size, config.state_size, config.time_step_rank
        self.in_proj = nn.Linear(config.hidden_size, 2 * e, bias=False)  # x and the gate z
        self.conv1d = nn.Conv1d(e, e, config.conv_kernel, groups=e, padding=config.conv_kernel - 1)
        self.x_proj = nn.Linear(e, r + 2 * n, bias=False)  # input-dependent Delta (low rank), B, C
        self.dt_proj = nn.Linear(r, e, bias=True)
        self.A_log = nn.Parameter(
            torch.log(torch.arange(1, n + 1, dtype=torch.float32)).repeat(e, 1)
        )  # S4D-real
        self.D = nn.Parameter(torch.ones(e))
        self.out_proj = nn.Linear(e, config.hidden_size, bias=False)
        self.config = config

    def forward(self, hidden: Tensor) -> Tensor:
        """hidden (B, T, C) -> (B, T, C)."""
        T = hidden.shape[1]
        x, z = self.in_proj(hidden).transpose(1, 2).chunk(2, dim=1)  # each (B, E, T)
        x = F.silu(self.conv1d(x)[..., :T])  # causal: keep the first T outputs of the padded conv
        n, r = self.config.state_size, self.config.time_step_rank
        dt, b, c = torch.split(self.x_proj(x.transpose(1, 2)), [r, n, n], dim=-1)  # (B, T, r), (B, T, N) x 2
        delta = F.softplus(self.dt_proj(dt)).transpose(1, 2)  # Delta = softplus(W dt + b) > 0, (B, E, T)
        a = -torch.exp(self.A_log)  # A < 0: a decaying state, (E, N)
        y = selective_scan_sequential(x, delta, a, b, c, self.D)  # (B, E, T)
        y = y * F.silu(z)  # the gate
        return self.out_proj(y.transpose(1, 2))  # (B, T, C)


class MambaBlock(nn.Module):
    """x + mixer(RMSNorm(x)): a pre-norm residual block, the package's RMSNorm."""

    def __init__(self, config: MambaConfig):
        super().__init__()
        self.norm = RMSNorm(config.hidden_size, eps=config.layer_norm_epsilon)
        self.mixer = MambaMixer(config)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.mixer(self.norm(x))


class Mamba(nn.Module):
    """Embeddings -> Mamba blocks -> final RMSNorm: the backbone of transformers' MambaModel."""

    def __init__(self, config: MambaConfig):
        super().__init__()
        self.embeddings = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList([MambaBlock(config) for _ in range(config.num_hidden_layers)])
        self.norm_f = RMSNorm(config.hidden_size, eps=config.layer_norm_epsilon)

    def forward(self, input_ids: Tensor) -> Tensor:
        """input_ids (B, T) -> hidden states (B, T, C)."""
        h = self.embeddings(input_ids)
        for layer in self.layers:
            h = layer(h)
        return self.norm_f(h)
