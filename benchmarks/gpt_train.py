"""GPT training throughput and model-FLOPs utilisation (MFU) on this machine's CPU.

Run by hand:  .venv/bin/python benchmarks/gpt_train.py [--steps 30] [--threads N]

Measures, in the same run:
1. the machine's float32 matmul peak (best of several 1024×1024 matmuls),
2. training-step tokens/s of our GPT (attention from mlatlas.transformers.attention) on the
   nanoGPT "baby" config (4 layers, 4 heads, width 128, block 64, batch 12),
3. the same model with attention replaced by torch's fused scaled_dot_product_attention (reference),
4. both again with dropout 0.1, to show what dropout costs each.

MFU = (6·N + 12·L·T·C) FLOPs per token × tokens/s ÷ measured peak (the PaLM / nanoGPT estimate; N
excludes the position table). Ratios are printed; timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from mlatlas.transformers import multi_head_attention as mha_module
from mlatlas.transformers.gpt import GPT, GPTConfig


def matmul_peak(n: int = 1024, repeats: int = 20) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best


def flops_per_token(model: GPT) -> float:
    cfg = model.config
    n = model.num_parameters() - model.wpe.weight.numel()
    return 6 * n + 12 * cfg.n_layer * cfg.block_size * cfg.n_embd


def time_training(model: GPT, batch: int, steps: int, warmup: int = 5) -> float:
    """Median seconds per training step (forward, backward, AdamW)."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randint(0, model.config.vocab_size, (batch, model.config.block_size))
    model.train()
    times = []
    for i in range(warmup + steps):
        t = time.perf_counter()
        _, loss = model(x, x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - t)
    times.sort()
    return times[len(times) // 2]


def torch_sdpa(q, k, v, *, attn_mask=None, is_causal=False, scale=None, dropout_p=0.0):
    return F.scaled_dot_product_attention(
        q, k, v, attn_mask=attn_mask, is_causal=is_causal, scale=scale, dropout_p=dropout_p
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    peak = matmul_peak()
    batch = 12
    results = {}
    ours_attention = mha_module.scaled_dot_product_attention
    for dropout in (0.0, 0.1):
        for name, attention in (("ours", ours_attention), ("torch SDPA", torch_sdpa)):
            mha_module.scaled_dot_product_attention = attention  # swap the kernel the MHA module calls
            try:
                model = GPT(
                    GPTConfig(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128, dropout=dropout)
                )
                sec = time_training(model, batch, args.steps)
            finally:
                mha_module.scaled_dot_product_attention = ours_attention
            results[(name, dropout)] = (sec, flops_per_token(model) * batch * model.config.block_size / sec)
    # The peak is the best of two measurements, before and after, so a busy moment cannot inflate MFU.
    peak = max(peak, matmul_peak())
    print(f"threads {torch.get_num_threads()}, float32 matmul peak {peak / 1e9:.1f} GFLOP/s")
    for (name, dropout), (sec, flops) in results.items():
        tps = batch * 64 / sec
        mfu = flops / peak
        print(
            f"{name:<11} dropout {dropout:.1f}: {sec * 1e3:7.1f} ms/step, {tps:8.0f} tokens/s, MFU {mfu:5.1%}"
        )
    results = {k: v[0] for k, v in results.items()}
    print(f"ours / SDPA time, no dropout:   {results[('ours', 0.0)] / results[('torch SDPA', 0.0)]:.2f}x")
    print(f"ours / SDPA time, dropout 0.1:  {results[('ours', 0.1)] / results[('torch SDPA', 0.1)]:.2f}x")
    print(f"ours: dropout 0.1 / no dropout: {results[('ours', 0.1)] / results[('ours', 0.0)]:.2f}x")
    print(
        f"SDPA: dropout 0.1 / no dropout: {results[('torch SDPA', 0.1)] / results[('torch SDPA', 0.0)]:.2f}x"
    )


if __name__ == "__main__":
    main()
