"""GPT training throughput and model-FLOPs utilisation (MFU) on this machine's CPU.

Run by hand:  .venv/bin/python benchmarks/gpt_train.py [--steps 30] [--threads N]

Measures, in the same run:
1. the machine's float32 matmul peak (best of several 1024×1024 matmuls),
2. training-step tokens/s of our GPT (attention from mlatlas.transformers.attention) on the
   reduced CPU config nanoGPT suggests for its "baby GPT" (4 layers, 4 heads, width 128, block 64,
   batch 12; the baby GPT itself is 6 layers, 6 heads, width 384, block 256),
3. the same model with attention replaced by torch's fused scaled_dot_product_attention (reference),
4. both again with dropout 0.1, to show what dropout costs each.
The four configurations take turns (a few steps each, round after round) and each reports its
median step time, so load from other processes on a shared machine hits them alike.

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


class Trainer:
    """One model, its AdamW and a fixed batch; ``step()`` times one training step (forward, backward,
    AdamW) with ``attention`` swapped in as the kernel the MHA module calls."""

    def __init__(self, model: GPT, batch: int, attention):
        self.model, self.attention = model, attention
        self.opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        self.x = torch.randint(0, model.config.vocab_size, (batch, model.config.block_size))
        self.times: list[float] = []
        model.train()

    def step(self, record: bool = True) -> None:
        saved = mha_module.scaled_dot_product_attention
        mha_module.scaled_dot_product_attention = self.attention  # swap the kernel the MHA module calls
        try:
            t = time.perf_counter()
            _, loss = self.model(self.x, self.x)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            if record:
                self.times.append(time.perf_counter() - t)
        finally:
            mha_module.scaled_dot_product_attention = saved

    def median(self) -> float:
        times = sorted(self.times)
        return times[len(times) // 2]


def time_interleaved(trainers: dict, steps: int, warmup: int = 5, per_round: int = 3) -> dict:
    """Median seconds per step for each trainer. The trainers take turns, ``per_round`` steps each, so
    a busy moment on a shared machine slows all of them alike instead of one configuration."""
    for tr in trainers.values():
        for _ in range(warmup):
            tr.step(record=False)
    for _ in range(max(1, steps // per_round)):
        for tr in trainers.values():
            for _ in range(per_round):
                tr.step()
    return {key: tr.median() for key, tr in trainers.items()}


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
    trainers = {}
    for dropout in (0.0, 0.1):
        for name, attention in (
            ("ours", mha_module.scaled_dot_product_attention),
            ("torch SDPA", torch_sdpa),
        ):
            torch.manual_seed(0)  # the same initial weights for every configuration
            model = GPT(
                GPTConfig(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128, dropout=dropout)
            )
            trainers[(name, dropout)] = Trainer(model, batch, attention)
    seconds = time_interleaved(trainers, args.steps)
    results = {
        key: (sec, flops_per_token(trainers[key].model) * batch * 64 / sec) for key, sec in seconds.items()
    }
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
