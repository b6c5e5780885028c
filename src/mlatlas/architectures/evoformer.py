"""AlphaFold 2's Evoformer block: an MSA representation and a pair representation that update each other.

Paper: John Jumper, Richard Evans, Alexander Pritzel, Tim Green, Michael Figurnov, Olaf Ronneberger, et al.
(2021), "Highly accurate protein structure prediction with AlphaFold", Nature 596, 583-589; the
Supplementary Information's Algorithms 6-15 are the reference for every function here.
The MSA m (S sequences x N residues x C_m) attends along rows, biased by the pair representation, and
along columns; the pair representation z (N x N x C_z) receives the MSA's outer-product mean, then
"triangle" updates in which edge (i, j) is refined through every third residue k.

Simplifications (say so, as the page does): no gating sigmoids on the attention outputs, no dropout,
one MSA (no extra-MSA stack). Shapes: S sequences, N residues, H heads, C_m / C_z channel widths.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mlatlas.transformers.multi_head_attention import MultiHeadAttention, MultiHeadAttentionConfig


class RowAttentionWithPairBias(nn.Module):
    """Algorithm 7: each MSA row attends over residues, with logits biased by b_ij = Linear(LN(z_ij))."""

    def __init__(self, c_m: int, c_z: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.norm_m, self.norm_z = nn.LayerNorm(c_m), nn.LayerNorm(c_z)
        self.pair_bias = nn.Linear(c_z, num_heads, bias=False)
        self.attn = MultiHeadAttention(MultiHeadAttentionConfig(c_m, num_heads))

    def forward(self, m: Tensor, z: Tensor) -> Tensor:
        bias = self.pair_bias(self.norm_z(z)).permute(2, 0, 1)[None]  # (1, H, N, N) added to the logits
        return self.attn(self.norm_m(m), attn_mask=bias)  # rows are the batch: (S, N, C_m)


class ColumnAttention(nn.Module):
    """Algorithm 8: each residue's column attends over the S sequences."""

    def __init__(self, c_m: int, num_heads: int):
        super().__init__()
        self.norm = nn.LayerNorm(c_m)
        self.attn = MultiHeadAttention(MultiHeadAttentionConfig(c_m, num_heads))

    def forward(self, m: Tensor) -> Tensor:
        mt = self.norm(m).transpose(0, 1)  # (N, S, C_m): columns are the batch
        return self.attn(mt).transpose(0, 1)  # (S, N, C_m)


class OuterProductMean(nn.Module):
    """Algorithm 10: o_ij = Linear(flatten(mean_s a_si (x) b_sj)), the MSA's co-variation into the pairs."""

    def __init__(self, c_m: int, c_z: int, c: int = 8):
        super().__init__()
        self.norm = nn.LayerNorm(c_m)
        self.a, self.b = nn.Linear(c_m, c), nn.Linear(c_m, c)
        self.out = nn.Linear(c * c, c_z)

    def forward(self, m: Tensor) -> Tensor:
        h = self.norm(m)
        a, b = self.a(h), self.b(h)  # (S, N, c)
        outer = torch.einsum("sic,sjd->ijcd", a, b) / m.shape[0]  # mean over sequences, (N, N, c, c)
        return self.out(outer.flatten(2))  # (N, N, C_z)


class TriangleMultiplication(nn.Module):
    """Algorithms 11 (outgoing) and 12 (incoming): edge (i, j) from the edges (i, k), (j, k) of every k,
    outgoing: sum_k a_ik * b_jk;  incoming: sum_k a_ki * b_kj;  then z_ij += g_ij * Linear(LN(.))."""

    def __init__(self, c_z: int, c: int, direction: str):
        super().__init__()
        if direction not in ("outgoing", "incoming"):
            raise ValueError(f"direction must be 'outgoing' or 'incoming'; got {direction!r}")
        self.direction = direction
        self.norm_in, self.norm_out = nn.LayerNorm(c_z), nn.LayerNorm(c)
        self.a, self.b = nn.Linear(c_z, c), nn.Linear(c_z, c)
        self.a_gate, self.b_gate = nn.Linear(c_z, c), nn.Linear(c_z, c)
        self.gate, self.out = nn.Linear(c_z, c_z), nn.Linear(c, c_z)

    def forward(self, z: Tensor) -> Tensor:
        h = self.norm_in(z)
        a = torch.sigmoid(self.a_gate(h)) * self.a(h)  # (N, N, c)
        b = torch.sigmoid(self.b_gate(h)) * self.b(h)
        if self.direction == "outgoing":
            t = torch.einsum("ikc,jkc->ijc", a, b)  # edges leaving i and j towards k
        else:
            t = torch.einsum("kic,kjc->ijc", a, b)  # edges arriving at i and j from k
        return torch.sigmoid(self.gate(h)) * self.out(self.norm_out(t))  # (N, N, C_z)


class TriangleAttention(nn.Module):
    """Algorithms 13 (around the starting node) and 14 (ending node): edge (i, j) attends to the edges
    (i, k) of its row, biased by the third edge b_jk; 'ending' is the same on the transposed pairs."""

    def __init__(self, c_z: int, num_heads: int, node: str):
        super().__init__()
        if node not in ("starting", "ending"):
            raise ValueError(f"node must be 'starting' or 'ending'; got {node!r}")
        self.node = node
        self.norm = nn.LayerNorm(c_z)
        self.bias = nn.Linear(c_z, num_heads, bias=False)
        self.attn = MultiHeadAttention(MultiHeadAttentionConfig(c_z, num_heads))

    def forward(self, z: Tensor) -> Tensor:
        if self.node == "ending":
            z = z.transpose(0, 1)  # attend along columns instead of rows
        h = self.norm(z)
        bias = self.bias(h).permute(2, 0, 1)[None]  # (1, H, N, N): b_jk for query j, key k
        out = self.attn(h, attn_mask=bias)  # row i is the batch; (N, N, C_z)
        return out.transpose(0, 1) if self.node == "ending" else out


def transition(c: int, n: int = 4) -> nn.Sequential:
    """Algorithms 9 and 15: LN, widen by n, ReLU, project back."""
    return nn.Sequential(nn.LayerNorm(c), nn.Linear(c, n * c), nn.ReLU(), nn.Linear(n * c, c))


@dataclass
class EvoformerConfig:
    c_m: int = 32
    c_z: int = 16
    msa_heads: int = 4
    pair_heads: int = 2
    c_hidden: int = 8  # outer-product and triangle-multiplication width


class EvoformerBlock(nn.Module):
    """Algorithm 6: the MSA stack, the communication into z, then the pair stack; all residual."""

    def __init__(self, cfg: EvoformerConfig):
        super().__init__()
        self.row = RowAttentionWithPairBias(cfg.c_m, cfg.c_z, cfg.msa_heads)
        self.column = ColumnAttention(cfg.c_m, cfg.msa_heads)
        self.msa_transition = transition(cfg.c_m)
        self.outer = OuterProductMean(cfg.c_m, cfg.c_z, cfg.c_hidden)
        self.tri_out = TriangleMultiplication(cfg.c_z, cfg.c_hidden, "outgoing")
        self.tri_in = TriangleMultiplication(cfg.c_z, cfg.c_hidden, "incoming")
        self.tri_att_start = TriangleAttention(cfg.c_z, cfg.pair_heads, "starting")
        self.tri_att_end = TriangleAttention(cfg.c_z, cfg.pair_heads, "ending")
        self.pair_transition = transition(cfg.c_z)

    def forward(self, m: Tensor, z: Tensor) -> tuple[Tensor, Tensor]:
        """m (S, N, C_m), z (N, N, C_z) -> updated (m, z)."""
        if m.shape[1] != z.shape[0] or z.shape[0] != z.shape[1]:
            raise ValueError(
                f"m must be (S, N, C_m) and z (N, N, C_z) for the same N; got {tuple(m.shape)}, "
                f"{tuple(z.shape)}"
            )
        m = m + self.row(m, z)  # the pair representation steers which residues a sequence compares
        m = m + self.column(m)
        m = m + self.msa_transition(m)
        z = z + self.outer(m)  # co-evolution flows into the pairs
        z = z + self.tri_out(z)
        z = z + self.tri_in(z)
        z = z + self.tri_att_start(z)
        z = z + self.tri_att_end(z)
        return m, z + self.pair_transition(z)
