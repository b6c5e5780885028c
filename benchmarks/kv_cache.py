"""Benchmark: greedy decoding with and without the KV cache (issue 4: speed-up at 512 generated tokens).

Run by hand:  .venv/bin/python benchmarks/kv_cache.py [--lengths 64 128 256 512] [--d-model 128]

Times ``mlatlas.transformers.kv_cache.generate`` on a Llama-style decoder (4 layers, 4 query / 2 KV
heads) from a 16-token prompt, on one thread, best of two runs, and prints the ratio
uncached / cached measured in the same run. ``mlatlas run kv-cache`` runs the same measurement with
the default settings and rewrites the JSON the chapter's figure draws; this script only prints.
"""

from __future__ import annotations

import argparse

from mlatlas.transformers.kv_cache import measure_speedup
from mlatlas.transformers.modern_transformer_anatomy import DecoderConfig


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lengths", type=int, nargs="+", default=[64, 128, 256, 512])
    parser.add_argument("--d-model", type=int, default=128)
    parser.add_argument("--layers", type=int, default=4)
    args = parser.parse_args()
    config = DecoderConfig(
        vocab_size=256,
        d_model=args.d_model,
        num_layers=args.layers,
        num_heads=4,
        num_key_value_heads=2,
        intermediate_size=(8 * args.d_model // 3 + 7) // 8 * 8,
        max_positions=max(args.lengths) + 64,
    )
    result = measure_speedup(tuple(args.lengths), config)
    print(f"decoder C={args.d_model}, {args.layers} layers, prompt {result['prompt_len']}, 1 thread")
    print(f"{'new tokens':>10} {'cached s':>9} {'uncached s':>10} {'speed-up':>9}")
    for r in result["rows"]:
        print(f"{r['new_tokens']:>10} {r['cached_s']:>9.3f} {r['uncached_s']:>10.3f} {r['speedup']:>8.1f}x")


if __name__ == "__main__":
    main()
