"""Parameter and FLOP arithmetic of a decoder-only transformer, dense or mixture of experts.

Papers: Jared Kaplan, Sam McCandlish, Tom Henighan, Tom B. Brown, Benjamin Chess, Rewon Child, Scott Gray,
Alec Radford, Jeffrey Wu, Dario Amodei (2020), "Scaling Laws for Neural Language Models",
arXiv:2001.08361 (Table 1: forward FLOPs per token ~ 2N + 2 n_layer n_ctx d_attn); Albert Q. Jiang et
al. (2024), "Mixtral of Experts", arXiv:2401.04088 (the configuration checked in the tests).
A mixture of experts multiplies the feed-forward parameters by E but each token uses only k experts,
so *total* parameters (memory) and *active* parameters (compute per token) part ways.

Layout counted: a Llama/Mixtral-style block (no biases, RMSNorm weights, grouped-query attention,
gated SwiGLU feed-forward, a bias-free router), untied or tied input/output embeddings.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DecoderShape:
    vocab_size: int
    d_model: int  # C
    n_layers: int
    n_heads: int  # H
    n_kv_heads: int  # grouped-query attention: H_kv <= H
    d_ff: int  # F, each expert's hidden width
    num_experts: int = 1  # E; 1 means a dense feed-forward
    top_k: int = 1  # k experts per token
    tied_embeddings: bool = False

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads or self.n_heads % self.n_kv_heads:
            raise ValueError("d_model must divide into n_heads, and n_heads into n_kv_heads groups")
        if not 1 <= self.top_k <= self.num_experts:
            raise ValueError(f"top_k must be in [1, num_experts={self.num_experts}]; got {self.top_k}")


@dataclass(frozen=True)
class Counts:
    total: int  # parameters stored
    active: int  # parameters a single token is multiplied by (embedding row included)
    attention: int  # per layer
    expert: int  # one expert's feed-forward


def parameter_counts(s: DecoderShape) -> Counts:
    """Total and per-token active parameters of the whole model."""
    d_head = s.d_model // s.n_heads  # D
    attention = 2 * s.d_model * s.d_model + 2 * s.d_model * s.n_kv_heads * d_head  # W_q, W_o; W_k, W_v
    expert = 3 * s.d_model * s.d_ff  # SwiGLU: gate, up (C x F) and down (F x C)
    router = s.d_model * s.num_experts if s.num_experts > 1 else 0  # W_g
    norms = 2 * s.d_model  # RMSNorm before attention and before the feed-forward
    layer_total = attention + s.num_experts * expert + router + norms
    layer_active = attention + s.top_k * expert + router + norms
    embeddings = s.vocab_size * s.d_model * (1 if s.tied_embeddings else 2)  # input table, output head
    total = s.n_layers * layer_total + embeddings + s.d_model  # + final norm
    active = s.n_layers * layer_active + embeddings + s.d_model
    return Counts(total, active, attention, expert)


def forward_flops_per_token(s: DecoderShape, context: int) -> int:
    """2 x (active non-embedding parameters + output head) + 2 n_layer n_ctx d_attn (Kaplan Table 1).

    A multiply-add is two FLOPs; the input embedding is a lookup, not a product; the attention term
    counts Q K^T and A V against `context` keys (d_attn = C). Training costs about 3x this.
    """
    c = parameter_counts(s)
    input_table = s.vocab_size * s.d_model
    matmul_params = c.active - input_table if not s.tied_embeddings else c.active
    return 2 * matmul_params + 2 * s.n_layers * context * s.d_model


MIXTRAL_8X7B = DecoderShape(
    vocab_size=32000, d_model=4096, n_layers=32, n_heads=32, n_kv_heads=8, d_ff=14336, num_experts=8, top_k=2
)  # Jiang et al. 2024, Table 1
