"""Swin Transformer: attention inside local windows, shifted every other block.

Paper: Ze Liu, Yutong Lin, Yue Cao, Han Hu, Yixuan Wei, Zheng Zhang, Stephen Lin, Baining Guo (2021),
"Swin Transformer: Hierarchical Vision Transformer using Shifted Windows", arXiv:2103.14030.

Self-attention over all H·W patches costs O((HW)^2); Swin restricts it to non-overlapping M×M windows
(cost O(HW·M^2)) and, in alternate blocks, shifts the window grid by ⌊M/2⌋ so information crosses window
borders. The shift is done by a cyclic roll plus a mask, so every window still has exactly M^2 tokens.

Shapes: B batch, H and W the patch grid (height, width), C channels, M window side, nW = (H/M)(W/M)
windows per image, heads ``num_heads`` of width D = C / num_heads.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from mlatlas.transformers.attention import scaled_dot_product_attention


def window_partition(x: torch.Tensor, window_size: int) -> torch.Tensor:
    """Cut a feature map (B, H, W, C) into non-overlapping windows (B·nW, M, M, C).

    Windows are ordered row-major over the window grid, image by image.
    """
    B, H, W, C = x.shape
    M = window_size
    if H % M or W % M:
        raise ValueError(
            f"window_partition: feature map {H}x{W} is not divisible by window_size={M}; "
            "pad the map (or pick a window size that divides both sides)"
        )
    x = x.view(B, H // M, M, W // M, M, C)  # (B, H/M, M, W/M, M, C)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, M, M, C)  # (B·nW, M, M, C)


def window_reverse(windows: torch.Tensor, window_size: int, height: int, width: int) -> torch.Tensor:
    """Inverse of :func:`window_partition`: windows (B·nW, M, M, C) back to a map (B, H, W, C)."""
    M = window_size
    C = windows.shape[-1]
    x = windows.view(-1, height // M, width // M, M, M, C)  # (B, H/M, W/M, M, M, C)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, height, width, C)  # (B, H, W, C)


def cyclic_shift(x: torch.Tensor, shift: int) -> torch.Tensor:
    """Roll a map (B, H, W, C) up and left by ``shift`` (use ``-shift`` to undo it)."""
    return torch.roll(x, shifts=(-shift, -shift), dims=(1, 2))


def shifted_window_mask(height: int, width: int, window_size: int, shift: int) -> torch.Tensor:
    """Which token pairs may attend inside each window after the cyclic shift: (nW, M², M²) bool.

    After rolling, a window at the bottom/right edge holds patches that were far apart in the image
    (they wrapped around). Label every position by the region it came from: along each axis,
    ``[0, H-M)``, ``[H-M, H-shift)`` and ``[H-shift, H)``; two tokens may attend only if their labels
    match. ``True`` means "allowed". With ``shift == 0`` every pair is allowed.
    """
    if not 0 <= shift < window_size:
        raise ValueError(f"shift must be in [0, window_size) = [0, {window_size}); got {shift}")

    def regions(n: int) -> torch.Tensor:
        idx = torch.arange(n)
        return (idx >= n - window_size).long() + (idx >= n - shift).long() if shift else torch.zeros(n).long()

    label = regions(height)[:, None] * 3 + regions(width)[None, :]  # (H, W) region id in 0..8
    label_windows = window_partition(label[None, :, :, None], window_size).reshape(-1, window_size**2)
    return label_windows[:, :, None] == label_windows[:, None, :]  # (nW, M², M²)


def relative_position_index(window_size: int) -> torch.Tensor:
    """Index into the (2M−1)² bias table for every query/key pair of a window: (M², M²) long.

    For tokens at (y_i, x_i) and (y_j, x_j): index = (y_i − y_j + M − 1)·(2M − 1) + (x_i − x_j + M − 1).
    """
    M = window_size
    ys, xs = torch.meshgrid(torch.arange(M), torch.arange(M), indexing="ij")
    coords = torch.stack([ys.flatten(), xs.flatten()])  # (2, M²)
    delta = coords[:, :, None] - coords[:, None, :]  # (2, M², M²) relative offsets
    return (delta[0] + M - 1) * (2 * M - 1) + (delta[1] + M - 1)  # (M², M²)


@dataclass
class SwinBlockConfig:
    dim: int = 32  # C
    num_heads: int = 2
    window_size: int = 4  # M
    shift: int = 0  # 0 for W-MSA, M // 2 for SW-MSA
    mlp_ratio: float = 4.0
    layer_norm_eps: float = 1e-5


class WindowAttention(nn.Module):
    """Multi-head self-attention inside each window, with a learned relative-position bias (eq. 4).

    Attention(Q, K, V) = softmax(Q Kᵀ / √D + Bias) V, where Bias[h, i, j] = table[index(i, j), h].
    """

    def __init__(self, dim: int, num_heads: int, window_size: int):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"dim={dim} must be divisible by num_heads={num_heads}")
        self.num_heads, self.window_size = num_heads, window_size
        self.q_proj = nn.Linear(dim, dim)
        self.k_proj = nn.Linear(dim, dim)
        self.v_proj = nn.Linear(dim, dim)
        self.o_proj = nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window_size - 1) ** 2, num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        self.register_buffer(
            "relative_position_index", relative_position_index(window_size), persistent=False
        )

    def relative_position_bias(self) -> torch.Tensor:
        """The per-head bias added to the attention scores: (H, M², M²)."""
        bias = self.relative_position_bias_table[self.relative_position_index]  # (M², M², heads)
        return bias.permute(2, 0, 1)  # (heads, M², M²)

    def forward(self, windows: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """windows (B·nW, M², C); mask (nW, M², M²) bool (True = may attend) or None → (B·nW, M², C)."""
        Bw, N, C = windows.shape
        D = C // self.num_heads

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(Bw, N, self.num_heads, D).transpose(1, 2)  # (B·nW, heads, M², D)

        q, k, v = heads(self.q_proj(windows)), heads(self.k_proj(windows)), heads(self.v_proj(windows))
        bias = self.relative_position_bias()[None]  # (1, heads, M², M²)
        if mask is not None:
            nW = mask.shape[0]
            bias = bias.expand(Bw, -1, -1, -1).reshape(Bw // nW, nW, self.num_heads, N, N)
            # masked pairs get -inf; the paper's code adds -100 (weights ~e^-100 ≈ 4e-44 for O(1) scores)
            bias = bias.masked_fill(~mask[None, :, None], float("-inf")).reshape(Bw, self.num_heads, N, N)
        out = scaled_dot_product_attention(q, k, v, attn_mask=bias)  # (B·nW, heads, M², D)
        return self.o_proj(out.transpose(1, 2).reshape(Bw, N, C))  # (B·nW, M², C)


class SwinBlock(nn.Module):
    """One Swin block (eq. 3): x ← x + (S)W-MSA(LN(x)); x ← x + MLP(LN(x)).

    Input and output are token sequences (B, H·W, C) over an H×W patch grid.
    """

    def __init__(self, config: SwinBlockConfig):
        super().__init__()
        if not 0 <= config.shift < config.window_size:
            raise ValueError(f"shift must be in [0, window_size={config.window_size}); got {config.shift}")
        self.config = config
        C = config.dim
        self.norm1 = nn.LayerNorm(C, eps=config.layer_norm_eps)
        self.attention = WindowAttention(C, config.num_heads, config.window_size)
        self.norm2 = nn.LayerNorm(C, eps=config.layer_norm_eps)
        hidden = int(config.mlp_ratio * C)
        self.mlp = nn.Sequential(nn.Linear(C, hidden), nn.GELU(), nn.Linear(hidden, C))

    def forward(self, x: torch.Tensor, height: int, width: int) -> torch.Tensor:
        B, L, C = x.shape
        if L != height * width:
            raise ValueError(f"x has {L} tokens but the grid is {height}x{width} = {height * width}")
        M, shift = self.config.window_size, self.config.shift
        h = self.norm1(x).view(B, height, width, C)  # (B, H, W, C)
        if shift:
            h = cyclic_shift(h, shift)  # roll so the shifted windows line up with the regular grid
        windows = window_partition(h, M).view(-1, M * M, C)  # (B·nW, M², C)
        mask = shifted_window_mask(height, width, M, shift).to(x.device) if shift else None
        windows = self.attention(windows, mask)  # (B·nW, M², C)
        h = window_reverse(windows.view(-1, M, M, C), M, height, width)  # (B, H, W, C)
        if shift:
            h = cyclic_shift(h, -shift)  # undo the roll
        x = x + h.reshape(B, L, C)  # residual around (S)W-MSA
        return x + self.mlp(self.norm2(x))  # residual around the MLP
