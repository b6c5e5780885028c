"""Copy a Hugging Face model's weights into ours by renaming state-dict keys (test helper)."""

from __future__ import annotations

import re

import torch


def load_renamed(
    ours: torch.nn.Module,
    theirs: dict[str, torch.Tensor],
    rules: list[tuple[str, str]],
    reshape: dict[str, tuple] | None = None,
    skip: tuple[str, ...] = (),
) -> None:
    """ours[rename(key)] = theirs[key] for every key, strict: every parameter of ours must be filled."""
    state = {}
    for key, value in theirs.items():
        if any(re.fullmatch(p, key) for p in skip):
            continue
        new = key
        for pattern, repl in rules:
            new = re.sub(pattern, repl, new)
        if reshape and new in reshape:
            value = value.reshape(reshape[new])
        state[new] = value
    missing, unexpected = ours.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("lm_head.weight")]
    assert not missing and not unexpected, f"missing {missing}, unexpected {unexpected}"


def gpt2_state_to_ours(state: dict, prefix: str, target: str) -> dict:
    """GPT-2 keeps linear maps as Conv1D (in, out) and fuses q, k, v; ours are nn.Linear (out, in)."""
    out = {}
    for key, value in state.items():
        if not key.startswith(prefix):
            continue
        k = target + re.sub(r"^h\.", "blocks.", key[len(prefix) :])
        if k.endswith("attn.c_attn.weight") or k.endswith("attn.c_attn.bias"):
            kind = k.rsplit(".", 1)[1]
            w = value.T if kind == "weight" else value
            for name, part in zip(("q_proj", "k_proj", "v_proj"), w.chunk(3, dim=0)):
                out[k.replace("c_attn", name)] = part
        elif k.endswith("attn.c_proj.weight") or k.endswith("attn.c_proj.bias"):
            out[k.replace("attn.c_proj", "attn.out_proj")] = value.T if k.endswith("weight") else value
        elif "mlp.c_" in k and k.endswith("weight"):
            out[k] = value.T
        else:
            out[k] = value
    return out
