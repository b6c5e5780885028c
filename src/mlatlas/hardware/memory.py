"""How much memory a model needs: weights, gradients, optimizer state, activations and the KV cache.

Papers: Samyam Rajbhandari, Jeff Rasley, Olatunji Ruwase, Yuxiong He (2019), "ZeRO: Memory
Optimizations Toward Training Trillion Parameter Models", arXiv:1910.02054 (16 bytes per parameter
for mixed-precision Adam, §3.1); Vijay Korthikanti et al. (2022), "Reducing Activation Recomputation in
Large Transformer Models", arXiv:2205.05198 (activations per layer, eq. 1).
Inference needs the weights and the KV cache; training adds gradients, Adam's two moments, a float32
master copy of the weights and the activations kept for the backward pass.

Shapes are those of Llama-style decoders (the modern-transformer-anatomy chapter): C width, F MLP
width, L layers, H query heads, H_kv key/value heads, D head width, V vocabulary. All sizes in bytes;
GB means 10^9 bytes, as in GPU datasheets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class DecoderShape:
    """The sizes that decide a Llama-style decoder's memory (names as in Hugging Face's LlamaConfig)."""

    name: str
    vocab_size: int  # V
    hidden_size: int  # C
    intermediate_size: int  # F (SwiGLU: gate, up and down matrices)
    num_hidden_layers: int  # L
    num_attention_heads: int  # H
    num_key_value_heads: int  # H_kv (GQA when < H)
    tie_word_embeddings: bool

    @property
    def head_dim(self) -> int:  # D
        return self.hidden_size // self.num_attention_heads


# Four public shapes spanning 1B-70B parameters (their Hugging Face config.json values).
MODELS = (
    DecoderShape("Llama 3.2 1B", 128256, 2048, 8192, 16, 32, 8, True),
    DecoderShape("Llama 3.1 8B", 128256, 4096, 14336, 32, 32, 8, False),
    DecoderShape("Llama 2 13B", 32000, 5120, 13824, 40, 40, 40, False),
    DecoderShape("Llama 3.1 70B", 128256, 8192, 28672, 80, 64, 8, False),
)

# Memory to fit into: a 16 GB laptop (unified memory), one 80 GB data-centre GPU (A100/H100), and a
# node of eight of them. Only part of a laptop's memory is free for a model; we count all of it, so the
# laptop verdict is, if anything, optimistic.
DEVICES = (("laptop (16 GB)", 16e9), ("one GPU (80 GB)", 80e9), ("8-GPU node (640 GB)", 640e9))


def parameter_count(shape: DecoderShape) -> int:
    """Weights of the decoder: embeddings (+ output head unless tied), and per layer the attention
    projections C·H·D + 2·C·H_kv·D + H·D·C, the SwiGLU MLP 3·C·F and two RMSNorm gains; a final norm."""
    C, F, D = shape.hidden_size, shape.intermediate_size, shape.head_dim
    H, H_kv, V = shape.num_attention_heads, shape.num_key_value_heads, shape.vocab_size
    attention = C * H * D + 2 * C * H_kv * D + H * D * C  # W_q, W_k, W_v, W_o
    mlp = 3 * C * F  # gate, up, down
    per_layer = attention + mlp + 2 * C  # + two RMSNorm gains
    embeddings = V * C * (1 if shape.tie_word_embeddings else 2)  # token table (+ untied output head)
    return embeddings + shape.num_hidden_layers * per_layer + C  # + final norm


def kv_cache_bytes(shape: DecoderShape, tokens: int, batch: int = 1, bytes_per_value: float = 2.0) -> float:
    """Keys and values of every layer for ``tokens`` positions: 2 · L · H_kv · D · T · B values."""
    values = 2 * shape.num_hidden_layers * shape.num_key_value_heads * shape.head_dim * tokens * batch
    return values * bytes_per_value


def activation_bytes(shape: DecoderShape, tokens: int, batch: int = 1, checkpointing: bool = True) -> float:
    """Activations kept for the backward pass, 16-bit, with a fused attention kernel (no T×T scores).

    Korthikanti et al. (2022, eq. 1) count s·b·h·(34 + 5·a·s/h) bytes per layer for a GPT block; a
    FlashAttention-style kernel removes the 5·a·s/h score term, leaving 34·s·b·C. With full activation
    checkpointing only each layer's 16-bit input (2·s·b·C) is kept and one layer at a time is recomputed.
    The float32 logits for the loss add 4·s·b·V. An estimate: Llama's SwiGLU block differs a little.
    """
    sbc = tokens * batch * shape.hidden_size
    layers = shape.num_hidden_layers
    per_layer_full = 34 * sbc
    kept = layers * 2 * sbc + per_layer_full if checkpointing else layers * per_layer_full
    return kept + 4 * tokens * batch * shape.vocab_size  # + float32 logits


class Memory(NamedTuple):
    """Bytes by item; ``total`` is their sum."""

    weights: float
    gradients: float
    optimizer: float  # Adam's m and v plus the float32 master weights
    activations: float
    kv_cache: float

    @property
    def total(self) -> float:
        return self.weights + self.gradients + self.optimizer + self.activations + self.kv_cache


def inference_memory(
    shape: DecoderShape, context: int = 8192, batch: int = 1, weight_bits: int = 16
) -> Memory:
    """Generating with a ``context``-token window: weights at ``weight_bits`` (16 for bf16, 4 for a
    4-bit quantised model) and a bf16 KV cache. Activations of one decoding step are negligible."""
    if weight_bits not in (4, 8, 16, 32):
        raise ValueError(f"weight_bits must be 4, 8, 16 or 32, got {weight_bits}")
    weights = parameter_count(shape) * weight_bits / 8
    return Memory(weights, 0.0, 0.0, 0.0, kv_cache_bytes(shape, context, batch))


def training_memory(
    shape: DecoderShape, tokens: int = 4096, batch: int = 1, checkpointing: bool = True
) -> Memory:
    """Mixed-precision Adam (ZeRO §3.1): bf16 weights (2 bytes) and gradients (2), float32 master
    weights and two moments (12) — 16 bytes per parameter — plus the activations of one sequence."""
    n = parameter_count(shape)
    return Memory(2.0 * n, 2.0 * n, 12.0 * n, activation_bytes(shape, tokens, batch, checkpointing), 0.0)


def verdict(total_bytes: float) -> str:
    """The smallest of ``DEVICES`` that holds ``total_bytes`` (a node's memory counts only if the
    model's state is sharded across its GPUs), or "more than one node"."""
    for name, capacity in DEVICES:
        if total_bytes <= capacity:
            return name
    return "more than one node"


class Row(NamedTuple):
    model: str
    parameters: int
    inference_bf16: float
    inference_int4: float
    training: float


def memory_table(context: int = 8192, tokens: int = 4096) -> list[Row]:
    """Total bytes for each of ``MODELS``: bf16 and 4-bit inference with a ``context``-token KV cache,
    and mixed-precision Adam training on one ``tokens``-token sequence with activation checkpointing."""
    return [
        Row(
            m.name,
            parameter_count(m),
            inference_memory(m, context).total,
            inference_memory(m, context, weight_bits=4).total,
            training_memory(m, tokens).total,
        )
        for m in MODELS
    ]


def page_values() -> dict[str, str]:
    """The cells of the page's table, e.g. ``8b_train`` -> "132 GB: 8-GPU node (640 GB)"."""
    keys = ("1b", "8b", "13b", "70b")
    cells: dict[str, str] = {}
    for key, row in zip(keys, memory_table()):
        cells[f"{key}_params"] = f"{row.parameters / 1e9:.2f} B"
        for item in ("inference_bf16", "inference_int4", "training"):
            total = getattr(row, item)
            size = f"{total / 1e9:.1f}" if total < 100e9 else f"{total / 1e9:,.0f}"
            cells[f"{key}_{item}"] = f"{size} GB: {verdict(total).split(' (')[0]}"
    return cells
