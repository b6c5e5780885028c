"""A toy transformer whose attention you can read: reversing a string.

Paper: Vaswani et al. (2017), "Attention Is All You Need", arXiv:1706.03762 (the encoder block,
here in the pre-LayerNorm arrangement of Xiong et al. 2020, arXiv:2002.04745).
A two-layer, two-head bidirectional encoder is trained to output its input reversed; position
i must copy the token at position L-1-i, so a head that solves the task draws the anti-diagonal.

The attention-heatmap lab runs this model in the browser from the exported weights
(``export_weights`` writes ``model.json`` + ``weights.bin``); ``demo`` trains and exports it.
Inference-time knobs that the lab exposes: a causal mask (the model was trained without one, so
switching it on shows what a decoder could not do here) and an attention temperature tau that
divides the scores before the softmax.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

VOCAB = "abcdefghijklmnopqrstuvwxyz0123456789"  # token id = index in this string
LAB_DIR = Path(__file__).resolve().parents[3] / "content" / "labs" / "attention-heatmap"


@dataclass
class ToyConfig:
    vocab_size: int = len(VOCAB)
    max_len: int = 12  # T_max: longest sequence the position table covers
    n_layer: int = 2
    n_head: int = 2
    n_embd: int = 32  # C
    mlp_hidden: int = 64  # F


def encode(text: str, config: ToyConfig | None = None) -> list[int]:
    """Token ids of ``text`` (lowercase letters and digits); a clear error for anything else."""
    config = config or ToyConfig()
    if not text:
        raise ValueError("empty sequence: type at least one character (a-z, 0-9)")
    if len(text) > config.max_len:
        raise ValueError(f"sequence has {len(text)} characters; the model knows {config.max_len} positions")
    bad = sorted({ch for ch in text if ch not in VOCAB})
    if bad:
        raise ValueError(f"characters {bad} are not in the vocabulary; use lowercase a-z and 0-9")
    return [VOCAB.index(ch) for ch in text]


def decode(ids: list[int]) -> str:
    return "".join(VOCAB[i] for i in ids)


class Block(nn.Module):
    """Pre-LN encoder block: x + MHA(LN(x)), then x + MLP(LN(x)) with ReLU."""

    def __init__(self, config: ToyConfig) -> None:
        super().__init__()
        c = config.n_embd
        self.n_head = config.n_head
        self.ln_1 = nn.LayerNorm(c)
        self.q_proj = nn.Linear(c, c)
        self.k_proj = nn.Linear(c, c)
        self.v_proj = nn.Linear(c, c)
        self.o_proj = nn.Linear(c, c)
        self.ln_2 = nn.LayerNorm(c)
        self.fc_in = nn.Linear(c, config.mlp_hidden)
        self.fc_out = nn.Linear(config.mlp_hidden, c)

    def forward(self, x: torch.Tensor, causal: bool, temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
        B, T, C = x.shape
        H, D = self.n_head, C // self.n_head
        h = self.ln_1(x)
        q = self.q_proj(h).view(B, T, H, D).transpose(1, 2)  # (B, H, T, D)
        k = self.k_proj(h).view(B, T, H, D).transpose(1, 2)  # (B, H, T, D)
        v = self.v_proj(h).view(B, T, H, D).transpose(1, 2)  # (B, H, T, D)
        scores = q @ k.transpose(-2, -1) / (math.sqrt(D) * temperature)  # q k^T / (sqrt(D) tau)  (B, H, T, T)
        if causal:
            mask = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
            scores = scores.masked_fill(mask, float("-inf"))  # position i sees j <= i only
        attn = torch.softmax(scores, dim=-1)  # (B, H, T, T), rows sum to 1
        out = (attn @ v).transpose(1, 2).reshape(B, T, C)  # concat heads  (B, T, C)
        x = x + self.o_proj(out)  # residual around attention
        x = x + self.fc_out(F.relu(self.fc_in(self.ln_2(x))))  # residual around the MLP
        return x, attn


class ToyAttentionModel(nn.Module):
    """Token + learned position embeddings, ``n_layer`` pre-LN blocks, final LN, per-position logits."""

    def __init__(self, config: ToyConfig) -> None:
        super().__init__()
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
        self.pos_emb = nn.Embedding(config.max_len, config.n_embd)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.head = nn.Linear(config.n_embd, config.vocab_size)

    def forward(
        self, idx: torch.Tensor, causal: bool = False, temperature: float = 1.0
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits (B, T, vocab) and the attention of every layer, each (B, H, T, T)."""
        B, T = idx.shape
        if T == 0:
            raise ValueError("empty sequence: the model needs at least one token")
        if T > self.config.max_len:
            raise ValueError(f"sequence length {T} exceeds max_len={self.config.max_len}")
        if not (temperature > 0 and math.isfinite(temperature)):
            raise ValueError(f"temperature must be a positive finite number, got {temperature}")
        pos = torch.arange(T, device=idx.device)
        x = self.tok_emb(idx) + self.pos_emb(pos)  # (B, T, C)
        maps = []
        for block in self.blocks:
            x, attn = block(x, causal, temperature)
            maps.append(attn)
        return self.head(self.ln_f(x)), maps  # (B, T, vocab)


def reversal_batch(batch: int, length: int, config: ToyConfig, generator: torch.Generator):
    """Random strings of ``length`` tokens and their reversals: (B, T) inputs and targets."""
    x = torch.randint(0, config.vocab_size, (batch, length), generator=generator)
    return x, x.flip(1)


def train(
    config: ToyConfig | None = None, steps: int = 2500, batch: int = 128, lr: float = 3e-3, seed: int = 0
) -> tuple[ToyAttentionModel, list[float]]:
    """Adam on reversal of random strings with lengths drawn from 1..max_len; returns model and losses."""
    config = config or ToyConfig()
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = ToyAttentionModel(config)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    losses = []
    for _ in range(steps):
        length = int(torch.randint(1, config.max_len + 1, (1,), generator=generator))
        x, y = reversal_batch(batch, length, config, generator)
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, config.vocab_size), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return model, losses


@torch.no_grad()
def accuracy(model: ToyAttentionModel, n: int = 512, seed: int = 1, temperature: float = 1.0) -> float:
    """Fraction of random strings (every length) reversed exactly, argmax at every position,
    with the attention scores divided by ``temperature`` (the lab's τ slider)."""
    generator = torch.Generator().manual_seed(seed)
    hits = total = 0
    for length in range(1, model.config.max_len + 1):
        x, y = reversal_batch(n // model.config.max_len + 1, length, model.config, generator)
        pred = model(x, temperature=temperature)[0].argmax(-1)
        hits += int((pred == y).all(-1).sum())
        total += x.shape[0]
    return hits / total


def export_weights(model: ToyAttentionModel, directory: Path | str = LAB_DIR) -> Path:
    """Write ``model.json`` (config, vocab, tensor table) and ``weights.bin`` (little-endian float32)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tensors, chunks, offset = [], [], 0
    for name, p in model.state_dict().items():
        a = p.detach().to(torch.float32).cpu().numpy().astype("<f4")
        tensors.append({"name": name, "shape": list(a.shape), "offset": offset})
        chunks.append(a.tobytes())
        offset += a.size
    (directory / "weights.bin").write_bytes(b"".join(chunks))
    meta = {"task": "reverse", "vocab": VOCAB, "config": asdict(model.config), "tensors": tensors,
            "layer_norm_eps": 1e-5, "dtype": "float32-le"}
    (directory / "model.json").write_text(json.dumps(meta, indent=1) + "\n")
    return directory


def load_exported(directory: Path | str = LAB_DIR, dtype: torch.dtype = torch.float32) -> ToyAttentionModel:
    """Rebuild the model from ``export_weights`` output (cast to ``dtype`` after loading)."""
    directory = Path(directory)
    meta = json.loads((directory / "model.json").read_text())
    config = ToyConfig(**meta["config"])
    flat = np.frombuffer((directory / "weights.bin").read_bytes(), dtype="<f4")
    state = {}
    for t in meta["tensors"]:
        size = math.prod(t["shape"])
        state[t["name"]] = torch.from_numpy(flat[t["offset"]: t["offset"] + size].reshape(t["shape"]).copy())
    model = ToyAttentionModel(config)
    model.load_state_dict(state)
    return model.to(dtype).eval()


def demo(steps: int = 2500, export_dir: Path | str | None = None) -> dict:
    """Train on reversal (15-30 s on one CPU core), report accuracy, export the weights.

    By default the export goes to a fresh temporary folder, so running the demo never changes the
    weights the lab ships (the golden vectors in ``tests/js/golden`` are computed from those).
    To refresh the lab: ``python -m mlatlas.transformers.toy_attention_model --export`` and then
    ``python -m mlatlas.labs.golden``.
    """
    torch.set_num_threads(1)
    model, losses = train(steps=steps)
    acc = accuracy(model)
    final = sum(losses[-50:]) / 50
    print(f"trained {steps} steps: final loss {final:.4f}, exact-reversal accuracy {acc:.3f}")
    shipped = accuracy(load_exported()) if (LAB_DIR / "weights.bin").exists() else float("nan")
    print(f"the weights the lab ships: exact-reversal accuracy {shipped:.3f}")
    if export_dir is None:
        import tempfile

        export_dir = tempfile.mkdtemp(prefix="toy-attention-")
    print(f"exported to {export_weights(model, export_dir)}")
    return {"loss": losses[-1], "accuracy": acc, "shipped_accuracy": shipped, "export_dir": str(export_dir)}


if __name__ == "__main__":
    import sys

    demo(export_dir=LAB_DIR if "--export" in sys.argv[1:] else None)
