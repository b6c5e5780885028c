"""LoRA: low-rank adapters for fine-tuning a frozen model, and merging them back into its weights.

Paper: Edward J. Hu, Yelong Shen, Phillip Wallis, Zeyuan Allen-Zhu, Yuanzhi Li, Shean Wang, Lu Wang,
Weizhu Chen (2021), "LoRA: Low-Rank Adaptation of Large Language Models", arXiv:2106.09685, section 4.1.

Freeze the pretrained weight W (out × in) and learn only a low-rank update ΔW = (α/r) B A with
A (r × in) and B (out × r), r ≪ min(in, out). B starts at zero, so training starts from the
pretrained model; after training, W + ΔW is one ordinary matrix and inference costs nothing extra.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mlatlas.transformers.corpus import ADJECTIVES, ARTICLES, CharTokenizer, make_corpus
from mlatlas.transformers.gpt import GPT, GPTConfig
from mlatlas.transformers.gpt_and_in_context_learning import TrainConfig, get_batch, train_gpt


class LoRALinear(nn.Module):
    """h = W x + b + (α/r) · B A x   (LoRA eq. 3), with W and b frozen and only A, B trained."""

    def __init__(self, base: nn.Linear, r: int = 4, alpha: float = 8.0):
        super().__init__()
        if r < 1 or r > min(base.in_features, base.out_features):
            raise ValueError(
                f"rank r={r} must be between 1 and min(in, out)={min(base.in_features, base.out_features)}"
            )
        self.base = base
        for p in base.parameters():
            p.requires_grad_(False)  # the pretrained weights stay fixed
        self.r, self.alpha, self.scaling = r, alpha, alpha / r
        factory = {"dtype": base.weight.dtype, "device": base.weight.device}
        self.lora_A = nn.Parameter(torch.empty(r, base.in_features, **factory))  # A: (r, in)
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r, **factory))  # B: (out, r), B₀ = 0
        # the paper draws A from a Gaussian; like nn.Linear, loralib and peft we draw it uniform
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        update = F.linear(F.linear(x, self.lora_A), self.lora_B)  # B (A x): two thin products, no out × in
        return self.base(x) + self.scaling * update

    def merged(self) -> nn.Linear:
        """One nn.Linear with W' = W + (α/r) B A: the same function, no adapter left at inference."""
        out = nn.Linear(self.base.in_features, self.base.out_features, bias=self.base.bias is not None)
        out = out.to(self.base.weight)
        with torch.no_grad():
            out.weight.copy_(self.base.weight + self.scaling * self.lora_B @ self.lora_A)  # (out, in)
            if self.base.bias is not None:
                out.bias.copy_(self.base.bias)
        return out


def add_lora(
    model: nn.Module, targets: tuple[str, ...] = ("q_proj", "v_proj"), r: int = 4, alpha: float = 8.0
):
    """Freeze every parameter of `model` and wrap each nn.Linear whose name ends in a target with LoRA.

    The paper adapts the attention's query and value projections (section 7.1); returns the model.
    """
    for p in model.parameters():
        p.requires_grad_(False)
    found = 0
    for module in list(model.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.Linear) and child_name in targets:
                setattr(module, child_name, LoRALinear(child, r, alpha))
                found += 1
    if not found:
        raise ValueError(f"no nn.Linear named any of {targets} in the model; pass the names of its layers")
    return model


def merge_lora(model: nn.Module) -> nn.Module:
    """Replace every LoRALinear by its merged nn.Linear (in place); returns the model."""
    for module in list(model.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, LoRALinear):
                setattr(module, child_name, child.merged())
    return model


def trainable_fraction(model: nn.Module) -> float:
    """Trainable parameters over all parameters (each tied tensor counted once)."""
    params = list(model.parameters())
    return sum(p.numel() for p in params if p.requires_grad) / sum(p.numel() for p in params)


# ---------------------------------------------------------------------------------------------------
# The experiment: a small GPT pretrained on the corpus's sentences, then taught a new kind of text

NEW_NOUNS = ["whale", "comet", "violin", "lantern", "glacier", "meadow", "falcon", "harbor"]
NEW_VERBS = ["carries", "watches", "follows", "drifts past", "sings to", "guards"]
RESULTS = Path(__file__).parent / "data" / "lora_finetune.json"


def new_text(rng: np.random.Generator, num_lines: int = 4000) -> str:
    """Sentences about nouns the pretraining corpus never used, one per line.

    The verbs are new too, except "follows", which the pretraining corpus also uses.
    """

    def phrase() -> str:
        adjective = f"{rng.choice(ADJECTIVES)} " if rng.random() < 0.6 else ""
        return f"{rng.choice(ARTICLES)} {adjective}{rng.choice(NEW_NOUNS)}"

    return "\n".join(f"{phrase()} {rng.choice(NEW_VERBS)} {phrase()}." for _ in range(num_lines)) + "\n"


def fine_tune(
    model: GPT, text: str, *, steps: int, lr: float, seed: int = 0, batch_size: int = 16
) -> list[float]:
    """AdamW on the trainable parameters only; returns the held-out loss every 25 steps (and at 0)."""
    tok = CharTokenizer()
    data = torch.tensor(tok.encode(text), dtype=torch.long)
    split = int(0.9 * len(data))
    train, val = data[:split], data[split:]
    g = torch.Generator().manual_seed(seed)
    val_batches = [
        get_batch(val, model.config.block_size, 32, torch.Generator().manual_seed(99)) for _ in range(4)
    ]
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.0)

    def val_loss() -> float:
        model.eval()
        with torch.no_grad():
            loss = sum(model(x, y)[1].item() for x, y in val_batches) / len(val_batches)
        model.train()
        return loss

    history = [val_loss()]
    for step in range(steps):
        x, y = get_batch(train, model.config.block_size, batch_size, g)
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if (step + 1) % 25 == 0:
            history.append(val_loss())
    model.eval()
    return history


def experiment_config() -> GPTConfig:
    """The small GPT of the experiment: 2 layers, width 64, character vocabulary."""
    return GPTConfig(vocab_size=CharTokenizer().vocab_size, block_size=64, n_layer=2, n_head=4, n_embd=64)


def experiment(pretrain_steps: int = 400, tune_steps: int = 200) -> dict:
    """Pretrain, then fine-tune a copy fully and a copy with LoRA (q, v; r = 2), same steps and data."""
    config = experiment_config()
    pretrain = make_corpus(np.random.default_rng(0), num_lines=6000, lookup_fraction=0.0)
    base = train_gpt(
        config, TrainConfig(steps=pretrain_steps, eval_every=pretrain_steps, max_seconds=1e9), pretrain
    )
    text = new_text(np.random.default_rng(1))
    state = {k: v.clone() for k, v in base.model.state_dict().items()}
    results = {"pretrain_steps": base.steps_done, "tune_steps": tune_steps}
    for name, lr in (("full", 1e-3), ("lora", 1e-2)):
        model = GPT(config)
        model.load_state_dict(state)
        if name == "lora":
            add_lora(model, r=2, alpha=4.0)
        t0 = time.perf_counter()
        history = fine_tune(model, text, steps=tune_steps, lr=lr)
        results[name] = {
            "trainable": sum(p.numel() for p in model.parameters() if p.requires_grad),
            "total": sum(p.numel() for p in model.parameters()),
            "history": history,
            "seconds": time.perf_counter() - t0,
        }
        if name == "lora":  # merged model: the same loss without the adapter
            merge_lora(model)
            results[name]["merged_history_end"] = fine_tune(model, text, steps=0, lr=0.0)[0]
    return results


def demo() -> None:
    """`mlatlas run lora`: pretrain a small GPT, then fine-tune it on new text fully and with LoRA."""
    torch.set_num_threads(1)
    results = experiment()
    for name in ("full", "lora"):
        r = results[name]
        print(
            f"{name:5s}: {r['trainable']:,} of {r['total']:,} parameters trained "
            f"({100 * r['trainable'] / r['total']:.2f}%), held-out loss on the new text "
            f"{r['history'][0]:.3f} -> {r['history'][-1]:.3f} in {results['tune_steps']} steps "
            f"({r['seconds']:.1f} s)"
        )
    print(f"LoRA merged into the weights: held-out loss {results['lora']['merged_history_end']:.3f}")
    if "--save" in sys.argv:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
        print(f"wrote {RESULTS}")
