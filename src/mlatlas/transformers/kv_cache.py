"""The KV cache: incremental decoding without recomputing the past.

Background: Noam Shazeer (2019), "Fast Transformer Decoding: One Write-Head is All You Need",
arXiv:1911.02150 (which analyses the memory traffic of incremental decoding); Reiner Pope et al. (2022),
"Efficiently Scaling Transformer Inference", arXiv:2211.05102.

In a causal decoder the keys and values of past tokens never change, so store them: each new token
then needs one row of attention against the cache instead of a full forward over the whole prefix.

Shapes: B batch, H_kv key/value heads, T sequence, D head width, V vocabulary.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import NamedTuple

import torch
from torch import Tensor

from mlatlas.transformers.modern_transformer_anatomy import DecoderConfig, ModernDecoder

SPEEDUP_JSON = Path(__file__).parent / "data" / "kv_cache_speedup.json"


class LayerKVCache:
    """Preallocated key/value buffers of one layer, (B, H_kv, T_max, D), filled left to right."""

    def __init__(
        self,
        batch: int,
        num_kv_heads: int,
        max_len: int,
        head_dim: int,
        *,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str | None = None,
    ):
        self.k = torch.zeros(batch, num_kv_heads, max_len, head_dim, dtype=dtype, device=device)
        self.v = torch.zeros_like(self.k)
        self.length = 0

    def update(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Append k, v (B, H_kv, T, D); return all cached keys and values, (B, H_kv, T_past + T, D)."""
        t = k.shape[-2]
        if self.length + t > self.k.shape[-2]:
            raise ValueError(
                f"cache full: {self.length} + {t} tokens > max_len={self.k.shape[-2]}; build a larger KVCache"
            )
        self.k[:, :, self.length : self.length + t] = k  # write this step's keys
        self.v[:, :, self.length : self.length + t] = v  # and values
        self.length += t
        return self.k[:, :, : self.length], self.v[:, :, : self.length]


class KVCache:
    """One ``LayerKVCache`` per decoder layer, sized for ``model`` and ``max_len`` tokens."""

    def __init__(self, model: ModernDecoder, batch: int, max_len: int):
        cfg = model.config
        p = model.lm_head.weight
        self.layers = [
            LayerKVCache(
                batch, cfg.num_key_value_heads, max_len, cfg.head_dim, dtype=p.dtype, device=p.device
            )
            for _ in range(cfg.num_layers)
        ]

    @property
    def seq_len(self) -> int:
        return self.layers[0].length

    def layer(self, index: int) -> LayerKVCache:
        return self.layers[index]

    def nbytes(self) -> int:
        """Memory held: 2 (K and V) x layers x B x H_kv x T_max x D x bytes per element."""
        return sum(c.k.nbytes + c.v.nbytes for c in self.layers)


class Generation(NamedTuple):
    tokens: Tensor  # (B, T_prompt + N) prompt followed by the N generated tokens
    logits: Tensor  # (B, N, V) the logits each generated token was chosen from


@torch.no_grad()
def generate(
    model: ModernDecoder, prompt: Tensor, max_new_tokens: int, *, use_cache: bool = True
) -> Generation:
    """Greedy decoding of ``max_new_tokens`` tokens after ``prompt`` (B, T_prompt).

    ``use_cache=False`` runs the full forward over the whole sequence at every step (the reference
    path); ``use_cache=True`` runs the prompt once (prefill), then one token per step (decode).
    """
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be >= 1; got {max_new_tokens}")
    if prompt.dim() != 2 or prompt.shape[1] < 1:
        raise ValueError(f"prompt must be (B, T) with T >= 1; got {tuple(prompt.shape)}")
    tokens, step_logits = prompt, []
    cache = KVCache(model, prompt.shape[0], prompt.shape[1] + max_new_tokens) if use_cache else None
    next_input = prompt
    for _ in range(max_new_tokens):
        if use_cache:
            logits = model(next_input, cache=cache)[:, -1]  # (B, V): only the new tokens are processed
        else:
            logits = model(tokens)[:, -1]  # (B, V): the whole prefix, every step
        next_token = logits.argmax(dim=-1, keepdim=True)  # (B, 1) greedy
        tokens = torch.cat([tokens, next_token], dim=1)
        step_logits.append(logits)
        next_input = next_token
    return Generation(tokens, torch.stack(step_logits, dim=1))


def measure_speedup(
    lengths: tuple[int, ...] = (64, 128, 256, 512),
    config: DecoderConfig | None = None,
    prompt_len: int = 16,
    repeats: int = 2,
) -> dict:
    """Wall-clock time of greedy generation with and without the cache, for each number of new tokens.

    Returns a JSON-ready dict; the best of ``repeats`` runs is kept. Timed on one thread: absolute
    times vary with the machine and its load (we have not measured how much the ratio does).
    """
    config = config or DecoderConfig(
        vocab_size=256,
        d_model=128,
        num_layers=4,
        num_heads=4,
        num_key_value_heads=2,
        intermediate_size=344,
        max_positions=1024,
    )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: steadier timings on a shared machine; restored below
    torch.manual_seed(0)
    model = ModernDecoder(config).eval()
    prompt = torch.randint(0, config.vocab_size, (1, prompt_len), generator=torch.Generator().manual_seed(0))
    rows = []
    for n in lengths:
        times = {}
        for use_cache in (True, False):
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                generate(model, prompt, n, use_cache=use_cache)
                best = min(best, time.perf_counter() - start)
            times[use_cache] = best
        rows.append(
            {
                "new_tokens": n,
                "cached_s": times[True],
                "uncached_s": times[False],
                "speedup": times[False] / times[True],
            }
        )
    torch.set_num_threads(threads)
    return {
        "config": {
            k: getattr(config, k) for k in ("d_model", "num_layers", "num_heads", "num_key_value_heads")
        },
        "prompt_len": prompt_len,
        "threads": 1,
        "torch": torch.__version__,
        "rows": rows,
    }


def demo() -> None:
    """Measure the decode speed-up on this machine and rewrite the JSON the kv-cache figure draws."""
    result = measure_speedup()
    for r in result["rows"]:
        print(
            f"{r['new_tokens']:4d} new tokens: cached {r['cached_s']:.3f} s, "
            f"uncached {r['uncached_s']:.3f} s, speed-up {r['speedup']:.1f}x"
        )
    SPEEDUP_JSON.parent.mkdir(parents=True, exist_ok=True)
    SPEEDUP_JSON.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {SPEEDUP_JSON}")
