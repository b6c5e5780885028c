"""Pretraining a small GPT on CPU, and watching it learn in context.

Papers: Tom B. Brown et al. (2020), "Language Models are Few-Shot Learners", arXiv:2005.14165;
Catherine Olsson et al. (2022), "In-context Learning and Induction Heads", arXiv:2209.11895.

The decoder-only recipe is one loop: sample windows of text, predict every next token, minimise the
cross-entropy with AdamW under a warm-up + cosine schedule. On the generated corpus of
:mod:`mlatlas.transformers.corpus` we then measure in-context learning directly: accuracy on a key's
value the first time the key appears in a line (chance, 1/26) versus after it has been seen (copying).

Shapes: B batch, T sequence (block), V vocabulary.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from mlatlas.transformers.corpus import CharTokenizer, lookup_line, make_corpus
from mlatlas.transformers.gpt import GPT, GPTConfig, generate

RUN_JSON = Path(__file__).parent / "data" / "gpt_run.json"


@dataclass
class TrainConfig:
    steps: int = 2000
    batch_size: int = 16
    learning_rate: float = 2e-3
    min_learning_rate: float = 2e-4
    warmup_steps: int = 100
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    eval_every: int = 100
    eval_batches: int = 4
    corpus_lines: int = 20_000
    lookup_fraction: float = 0.5  # share of corpus lines that are in-context lookups
    seed: int = 0
    max_seconds: float = 200.0  # stop early on a slow machine so the demo stays under 5 minutes


def learning_rate(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up to the peak, then cosine decay to the floor (Loshchilov & Hutter 2017)."""
    if step < cfg.warmup_steps:
        return cfg.learning_rate * (step + 1) / cfg.warmup_steps
    progress = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps))
    return cfg.min_learning_rate + 0.5 * (1 + math.cos(math.pi * progress)) * (
        cfg.learning_rate - cfg.min_learning_rate
    )


def get_batch(
    data: torch.Tensor, block_size: int, batch_size: int, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows of the token stream: inputs x (B, T) and next-token targets y (B, T)."""
    if len(data) <= block_size:
        raise ValueError(f"need more than block_size={block_size} tokens of data; got {len(data)}")
    start = torch.randint(0, len(data) - block_size, (batch_size,), generator=generator)  # (B,)
    offsets = torch.arange(block_size)  # (T,)
    x = data[start[:, None] + offsets]  # (B, T)
    y = data[start[:, None] + offsets + 1]  # (B, T) the same windows shifted by one
    return x, y


class TrainResult(NamedTuple):
    model: GPT
    history: list[dict]  # {"step", "train_loss", "val_loss"} every eval_every steps
    steps_done: int
    seconds: float
    tokens_per_second: float


def train_gpt(model_config: GPTConfig, train_config: TrainConfig, text: str) -> TrainResult:
    """Pretrain a GPT on ``text`` (90 % train, 10 % validation), character level."""
    tok = CharTokenizer()
    if model_config.vocab_size != tok.vocab_size:
        raise ValueError(f"model vocab_size={model_config.vocab_size} but the tokenizer has {tok.vocab_size}")
    data = torch.tensor(tok.encode(text), dtype=torch.long)
    split = int(0.9 * len(data))
    train, val = data[:split], data[split:]
    g = torch.Generator().manual_seed(train_config.seed)
    torch.manual_seed(train_config.seed)  # parameter init and dropout
    model = GPT(model_config)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]  # no decay on biases and norms
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": train_config.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=train_config.learning_rate,
        betas=(0.9, 0.95),
    )
    eval_g = torch.Generator().manual_seed(train_config.seed + 1)
    val_batches = [
        get_batch(val, model_config.block_size, 32, eval_g) for _ in range(train_config.eval_batches)
    ]

    def val_loss() -> float:
        model.eval()
        with torch.no_grad():
            loss = sum(model(x, y)[1].item() for x, y in val_batches) / len(val_batches)
        model.train()
        return loss

    history, running, start, step = [], [], time.perf_counter(), 0
    for step in range(train_config.steps):
        for group in opt.param_groups:
            group["lr"] = learning_rate(step, train_config)
        x, y = get_batch(train, model_config.block_size, train_config.batch_size, g)
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), train_config.grad_clip)
        opt.step()
        running.append(loss.item())
        last = step == train_config.steps - 1
        out_of_time = time.perf_counter() - start > train_config.max_seconds
        if (step + 1) % train_config.eval_every == 0 or last or out_of_time:
            history.append({"step": step + 1, "train_loss": float(np.mean(running)), "val_loss": val_loss()})
            running = []
        if out_of_time:
            break
    seconds = time.perf_counter() - start
    steps_done = step + 1
    tps = steps_done * train_config.batch_size * model_config.block_size / seconds
    model.eval()
    return TrainResult(model, history, steps_done, seconds, tps)


@torch.no_grad()
def in_context_accuracy(model: GPT, rng: np.random.Generator, num_lines: int = 200) -> dict[int, float]:
    """Greedy accuracy on the value after ``key=``, grouped by how often the key was already seen in the line.

    ``0`` is the first occurrence (no information in context: chance is 1/26); ``1, 2, ...`` need
    the model to look back and copy. The line is preceded by a newline, as in training.
    """
    tok = CharTokenizer()
    hits: dict[int, list[float]] = {}
    for _ in range(num_lines):
        line = lookup_line(rng)
        ids = torch.tensor([tok.encode("\n" + line.text)])  # (1, T)
        pred = model(ids[:, : model.config.block_size])[0][0].argmax(-1)  # (T,) next-token guesses
        for pos, seen in zip(line.value_positions, line.seen_before):
            p = pos + 1  # shift for the leading newline
            if p < model.config.block_size:
                hits.setdefault(min(seen, 3), []).append(float(pred[p - 1] == ids[0, p]))
    return {k: float(np.mean(v)) for k, v in sorted(hits.items())}


def default_configs() -> tuple[GPTConfig, TrainConfig]:
    """The demo's model (4 layers, 4 heads, width 128, context 64: about 0.8 M parameters) and schedule."""
    return GPTConfig(vocab_size=CharTokenizer().vocab_size), TrainConfig()


def samples(model: GPT, prompt: str = "\n", length: int = 120, seed: int = 0) -> dict[str, str]:
    """Continuations of ``prompt`` under a few decoding rules (all seeded)."""
    tok = CharTokenizer()
    idx = torch.tensor([tok.encode(prompt)])
    rules = {
        "greedy": {"greedy": True},
        "temperature 0.5": {"temperature": 0.5},
        "temperature 1.5": {"temperature": 1.5},
        "top-k 5": {"top_k": 5},
        "top-p 0.9": {"top_p": 0.9},
    }
    out = {}
    for name, kwargs in rules.items():
        g = torch.Generator().manual_seed(seed)
        ids = generate(model, idx, length, generator=None if kwargs.get("greedy") else g, **kwargs)
        out[name] = tok.decode(ids[0, len(prompt) :].tolist())
    return out


def run(save: str | Path | None = None, train_config: TrainConfig | None = None) -> dict:
    """Train, sample and measure in-context accuracy; optionally save the record as JSON."""
    model_cfg, train_cfg = default_configs()
    train_cfg = train_config or train_cfg
    text = make_corpus(
        np.random.default_rng(train_cfg.seed), train_cfg.corpus_lines, train_cfg.lookup_fraction
    )
    result = train_gpt(model_cfg, train_cfg, text)
    icl = in_context_accuracy(result.model, np.random.default_rng(123))
    record = {
        "model": asdict(model_cfg),
        "train": asdict(train_cfg),
        "parameters": result.model.num_parameters(),
        "steps_done": result.steps_done,
        "seconds": round(result.seconds, 1),
        "tokens_per_second": round(result.tokens_per_second),
        "torch_threads": torch.get_num_threads(),
        "history": result.history,
        "in_context_accuracy": {str(k): v for k, v in icl.items()},
        "samples": samples(result.model),
        "lookup_prompt": samples(result.model, "\nq=x b=f q=", length=12)["greedy"],
    }
    if save is not None:
        Path(save).write_text(json.dumps(record, indent=1) + "\n")
    return record


def demo() -> None:
    """`mlatlas run gpt`: pretrain the small GPT on the generated corpus (a few minutes), then sample."""
    print("training a 4-layer GPT on the generated corpus (stops early after ~200 s on a slow machine)...")
    rec = run()
    for h in rec["history"]:
        print(f"step {h['step']:5d}  train loss {h['train_loss']:.3f}  val loss {h['val_loss']:.3f}")
    print(f"{rec['steps_done']} steps in {rec['seconds']} s ({rec['tokens_per_second']} tokens/s)")
    for name, text in rec["samples"].items():
        print(f"\n--- {name} ---\n{text}")
    print("\nin-context lookup accuracy by number of earlier sightings of the key (chance = 1/26):")
    for k, v in rec["in_context_accuracy"].items():
        label = "first time" if k == "0" else f"seen {k}{'+' if k == '3' else ''} time(s)"
        print(f"  {label:<16} {v:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--save", default=None, help=f"write the run record as JSON (the page uses {RUN_JSON})"
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=TrainConfig.max_seconds,
        help="time cap on training (raise it on a busy machine to finish all steps)",
    )
    args = parser.parse_args()
    rec = run(save=args.save, train_config=TrainConfig(max_seconds=args.max_seconds))
    print(json.dumps({k: rec[k] for k in ("steps_done", "seconds", "in_context_accuracy")}, indent=1))


if __name__ == "__main__":
    main()
