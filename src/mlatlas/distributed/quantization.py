"""Quantisation: absmax and zero-point integers, per tensor, per channel and in groups, weight-only int8/int4.

Papers: Benoit Jacob, Skirmantas Kligys, Bo Chen, Menglong Zhu, Matthew Tang, Andrew Howard, Hartwig
Adam, Dmitry Kalenichenko (2018), "Quantization and Training of Neural Networks for Efficient
Integer-Arithmetic-Only Inference", arXiv:1712.05877 (the affine scheme, eq. 1); Tim Dettmers, Mike
Lewis, Younes Belkada, Luke Zettlemoyer (2022), "LLM.int8()", arXiv:2208.07339 (absmax, vector-wise);
Elias Frantar, Saleh Ashkboos, Torsten Hoefler, Dan Alistarh (2023), "GPTQ", arXiv:2210.17323
(group-wise int4 weights).

Store a float x as an integer q and one scale s (and a zero point z) shared by many values:
x ≈ s (q − z). Fewer values per scale — a channel, a group of 32 — means each scale fits its own
values' range, so the rounding error, at most s/2 per value, shrinks.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn


class Quantized(NamedTuple):
    q: Tensor  # the integers, held as int32 here for any bit width (packed in real kernels)
    scale: Tensor  # s, broadcastable to q
    zero_point: Tensor  # z, broadcastable to q (0 for absmax)
    bits: int

    def dequantize(self) -> Tensor:
        return self.scale * (self.q - self.zero_point)  # x̂ = s (q − z)   (Jacob et al. eq. 1)


def _reduce(x: Tensor, op, dim: int | None) -> Tensor:
    """op over every dimension except `dim` (per channel), or over everything (per tensor)."""
    if dim is None:
        return op(x.reshape(-1), 0)
    moved = x.movedim(dim, 0).reshape(x.shape[dim], -1)  # (channels, rest)
    shape = [1] * x.dim()
    shape[dim] = x.shape[dim]
    return op(moved, 1).reshape(shape)


def absmax_quantize(x: Tensor, bits: int = 8, dim: int | None = None) -> Quantized:
    """Symmetric: s = max|x| / (2^(b−1) − 1), q = round(x / s) ∈ [−(2^(b−1) − 1), 2^(b−1) − 1], z = 0."""
    if not 2 <= bits <= 16:
        raise ValueError(f"bits must be between 2 and 16; got {bits}")
    qmax = 2 ** (bits - 1) - 1  # 127 for int8, 7 for int4 (the grid is symmetric: −128 is unused)
    amax = _reduce(x.abs(), lambda t, d: t.amax(d), dim)
    scale = torch.clamp(amax, min=torch.finfo(x.dtype).tiny) / qmax  # s; an all-zero channel stays 0
    q = torch.clamp(torch.round(x / scale), -qmax, qmax).to(torch.int32)  # q = round(x / s)
    return Quantized(q, scale, torch.zeros_like(scale, dtype=torch.int32), bits)


def zeropoint_quantize(x: Tensor, bits: int = 8, dim: int | None = None) -> Quantized:
    """Affine (asymmetric), with the range widened to include 0 so that 0 is exact:

        s = (max(x, 0) − min(x, 0)) / (2^b − 1),  z = −round(min(x, 0) / s),
        q = clamp(round(x / s) + z, 0, 2^b − 1)
    The same rule as torch.ao.quantization's MinMaxObserver with quint8 (affine).
    """
    if not 2 <= bits <= 16:
        raise ValueError(f"bits must be between 2 and 16; got {bits}")
    qmax = 2**bits - 1
    lo = torch.clamp(_reduce(x, lambda t, d: t.amin(d), dim), max=0.0)  # min(x, 0)
    hi = torch.clamp(_reduce(x, lambda t, d: t.amax(d), dim), min=0.0)  # max(x, 0)
    scale = torch.clamp((hi - lo) / qmax, min=torch.finfo(torch.float32).eps)  # s (the observer's floor)
    zero_point = torch.clamp(-torch.round(lo / scale), 0, qmax).to(torch.int32)  # z
    q = torch.clamp(torch.round(x / scale) + zero_point, 0, qmax).to(torch.int32)  # q
    return Quantized(q, scale, zero_point, bits)


def groupwise_quantize(w: Tensor, bits: int = 4, group_size: int = 32) -> Quantized:
    """Weight-only: each row of w (out, in) cut into groups of `group_size` inputs, absmax per group."""
    out_features, in_features = w.shape
    if in_features % group_size:
        raise ValueError(f"in_features={in_features} is not a multiple of group_size={group_size}")
    grouped = w.reshape(out_features, in_features // group_size, group_size)  # (out, groups, g)
    amax = grouped.abs().amax(dim=-1, keepdim=True)  # (out, groups, 1): one scale per group
    qmax = 2 ** (bits - 1) - 1
    scale = torch.clamp(amax, min=torch.finfo(w.dtype).tiny) / qmax
    q = torch.clamp(torch.round(grouped / scale), -qmax, qmax).to(torch.int32)  # (out, groups, g)
    return Quantized(q, scale, torch.zeros_like(scale, dtype=torch.int32), bits)


def fake_quantize_weights(model: nn.Module, scheme: str) -> nn.Module:
    """Replace every nn.Linear weight by its quantise → dequantise round trip (weight-only), in place.

    Schemes: "int8-tensor", "int8-channel" (per output row), "int4-tensor", "int4-channel",
    "int4-group32". Embeddings and LayerNorms stay in float, as in weight-only LLM quantisation.
    """
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear) and not _is_tied_head(model, module):
                module.weight.copy_(round_trip(module.weight, scheme))
    return model


def _is_tied_head(model: nn.Module, module: nn.Linear) -> bool:
    wte = getattr(model, "wte", None)
    return wte is not None and module.weight is wte.weight  # GPT's head is the embedding: keep it


def round_trip(w: Tensor, scheme: str) -> Tensor:
    """Dequantised weights under one of the schemes of `fake_quantize_weights`."""
    kind, granularity = scheme.split("-")
    bits = {"int8": 8, "int4": 4}[kind]
    if granularity == "tensor":
        return absmax_quantize(w, bits).dequantize()
    if granularity == "channel":
        return absmax_quantize(w, bits, dim=0).dequantize()
    if granularity.startswith("group"):
        size = int(granularity.removeprefix("group"))
        return groupwise_quantize(w, bits, size).dequantize().reshape(w.shape)
    raise ValueError(f"unknown scheme {scheme!r}; use e.g. int8-channel or int4-group32")


SCHEMES = ["int8-tensor", "int8-channel", "int4-tensor", "int4-channel", "int4-group32"]
RESULTS = Path(__file__).parent / "data" / "quantization_perplexity.json"


def perplexity_experiment(steps: int = 400) -> dict:
    """Pretrain the small GPT of the LoRA chapter, then its held-out perplexity under each scheme."""
    from mlatlas.distributed.lora import experiment_config
    from mlatlas.transformers.corpus import CharTokenizer, make_corpus
    from mlatlas.transformers.gpt import GPT
    from mlatlas.transformers.gpt_and_in_context_learning import TrainConfig, get_batch, train_gpt

    config = experiment_config()
    text = make_corpus(np.random.default_rng(0), num_lines=6000, lookup_fraction=0.0)
    base = train_gpt(config, TrainConfig(steps=steps, eval_every=steps, max_seconds=1e9), text)
    data = torch.tensor(CharTokenizer().encode(text), dtype=torch.long)
    val = data[int(0.9 * len(data)) :]
    g = torch.Generator().manual_seed(7)
    batches = [get_batch(val, config.block_size, 32, g) for _ in range(8)]
    state = base.model.state_dict()
    results = {"steps": steps}
    for scheme in ["float32", *SCHEMES]:
        model = GPT(config)
        model.load_state_dict(state)
        if scheme != "float32":
            fake_quantize_weights(model, scheme)
        model.eval()
        with torch.no_grad():
            loss = sum(model(x, y)[1].item() for x, y in batches) / len(batches)
        results[scheme] = math.exp(loss)  # perplexity per character
    return results


def demo() -> None:
    """`mlatlas run quantization`: perplexity of a small trained GPT with its weights quantised."""
    torch.set_num_threads(1)
    results = perplexity_experiment()
    for scheme in ["float32", *SCHEMES]:
        ratio = results[scheme] / results["float32"]
        print(f"{scheme:13s} held-out perplexity {results[scheme]:.4f} (x{ratio:.4f})")
    if "--save" in sys.argv:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
        print(f"wrote {RESULTS}")
