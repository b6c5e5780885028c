"""Benchmark: our attention (naive and tiled) and GQA against torch's scaled_dot_product_attention on CPU.

Run by hand:  .venv/bin/python benchmarks/attention.py [--quick] [--threads N]

Prints, for B in {1, 4}, H = 8, D = 64, T in {256, 1024, 2048}, causal and not, the time of each
method as a ratio to SDPA's time measured in the same run (best of several interleaved repeats), then
the peak extra memory (torch profiler allocation events, output included) as a ratio to SDPA's at
T = 2048. Targets from issue 4: tiled within 1.3x of SDPA at T = 1024 (1.5x causal); extra peak
memory <= 4x SDPA's at T = 2048.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from mlatlas.transformers.attention import scaled_dot_product_attention
from mlatlas.transformers.flash_attention import peak_memory_bytes, tiled_attention
from mlatlas.transformers.gqa import grouped_query_attention, repeat_kv


def best_time(fns: dict, repeats: int) -> dict:
    """Interleave the methods so load changes on a shared machine hit them alike; keep each one's best."""
    best = dict.fromkeys(fns, float("inf"))
    for fn in fns.values():
        fn()  # warm-up
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def methods(q, k, v, k2, v2, causal: bool) -> dict:
    """The calls to time: MHA-shaped (q, k, v) and GQA-shaped (q, k2, v2 with fewer KV heads)."""
    n_rep = q.shape[1] // k2.shape[1]
    return {
        "sdpa": lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal),
        "naive": lambda: scaled_dot_product_attention(q, k, v, is_causal=causal),
        "tiled": lambda: tiled_attention(q, k, v, is_causal=causal),
        "sdpa_gqa": lambda: F.scaled_dot_product_attention(q, k2, v2, is_causal=causal, enable_gqa=True),
        "gqa_naive": lambda: grouped_query_attention(q, k2, v2, is_causal=causal),
        "gqa_tiled": lambda: tiled_attention(q, repeat_kv(k2, n_rep), repeat_kv(v2, n_rep), is_causal=causal),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="B=1 only, fewer repeats")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    repeats = 3 if args.quick else 5
    batches = (1,) if args.quick else (1, 4)
    h, h_kv, d = 8, 2, 64
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; time ratio to SDPA (lower is better)"
    )
    print(
        f"{'B':>2} {'T':>5} {'causal':>6} {'SDPA ms':>8} {'naive':>6} {'tiled':>6} "
        f"{'GQA naive':>9} {'GQA tiled':>9} (GQA vs SDPA enable_gqa, H_kv={h_kv})"
    )
    for b in batches:
        for t in (256, 1024, 2048):
            g = torch.Generator().manual_seed(0)
            q, k, v = (torch.randn(b, h, t, d, generator=g) for _ in range(3))
            k2, v2 = k[:, :h_kv].contiguous(), v[:, :h_kv].contiguous()
            for causal in (False, True):
                times = best_time(
                    methods(q, k, v, k2, v2, causal), repeats if t < 2048 else max(2, repeats - 2)
                )
                s, sg = times["sdpa"], times["sdpa_gqa"]
                ratios = (
                    times["naive"] / s,
                    times["tiled"] / s,
                    times["gqa_naive"] / sg,
                    times["gqa_tiled"] / sg,
                )
                print(
                    f"{b:>2} {t:>5} {causal!s:>6} {s * 1e3:>8.2f} "
                    + "{:>6.2f} {:>6.2f} {:>9.2f} {:>9.2f}".format(*ratios)
                )
    print("\npeak extra memory at T=2048, B=1 (MB, output included; ratio to SDPA)")
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, h, 2048, d, generator=g) for _ in range(3))
    for causal in (False, True):
        ref = peak_memory_bytes(F.scaled_dot_product_attention, q, k, v, is_causal=causal)
        naive = peak_memory_bytes(scaled_dot_product_attention, q, k, v, is_causal=causal)
        tiled = peak_memory_bytes(tiled_attention, q, k, v, is_causal=causal)
        print(
            f"causal={causal!s:>5}: SDPA {ref / 1e6:.1f}, naive {naive / 1e6:.1f} ({naive / ref:.0f}x), "
            f"tiled {tiled / 1e6:.1f} ({tiled / ref:.2f}x)"
        )


if __name__ == "__main__":
    main()
