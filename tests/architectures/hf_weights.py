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
