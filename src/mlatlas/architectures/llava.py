"""LLaVA: a vision encoder's patch states, projected, spliced into a language model's token stream.

Papers: Haotian Liu, Chunyuan Li, Qingyang Wu, Yong Jae Lee (2023), "Visual Instruction Tuning",
arXiv:2304.08485; Haotian Liu, Chunyuan Li, Yuheng Li, Yong Jae Lee (2023), "Improved Baselines with
Visual Instruction Tuning" (LLaVA-1.5, the two-layer MLP projector), arXiv:2310.03744.
A CLIP image tower reads the picture; the patch states of its second-to-last layer pass through a
small MLP into the language model's embedding width and replace the placeholder <image> tokens.

    H_v = ViT_{L-1}(image)[1:]      (drop the [class] token)        (B, N, C_v)
    Z   = W_2 GELU(W_1 H_v)          the projector                  (B, N, C)
    X   = embed(text) with X[<image>] := Z, then the causal language model

The vision tower is the clip page's ``ImageTower``, the language model the Transformers book's ``GPT``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mlatlas.architectures.clip import CLIPConfig, ImageTower
from mlatlas.transformers.gpt import GPT, GPTConfig


@dataclass
class LLaVAConfig:
    vision: CLIPConfig  # its vision_* fields describe the image tower
    text: GPTConfig
    image_token_id: int  # the placeholder id, one per image token in the prompt
    feature_layer: int = -2  # LLaVA reads the second-to-last layer's states


class LLaVA(nn.Module):
    def __init__(self, cfg: LLaVAConfig):
        super().__init__()
        if not 0 <= cfg.image_token_id < cfg.text.vocab_size:
            raise ValueError(f"image_token_id={cfg.image_token_id} must be an id of the vocabulary")
        self.cfg = cfg
        self.vision_tower = ImageTower(cfg.vision)
        self.vision_tower.projection = nn.Identity()  # LLaVA reads patch states, not CLIP's joint embedding
        self.projector = nn.Sequential(
            nn.Linear(cfg.vision.vision_width, cfg.text.n_embd),
            nn.GELU(),
            nn.Linear(cfg.text.n_embd, cfg.text.n_embd),
        )  # W_1, GELU, W_2
        self.language_model = GPT(cfg.text)

    def image_tokens(self, images: Tensor) -> Tensor:
        """images (B, C_in, S, S) -> projected patch tokens Z (B, N, C)."""
        states = self.vision_tower.hidden_states(images)[self.cfg.feature_layer]  # (B, N + 1, C_v)
        return self.projector(states[:, 1:])  # drop [class]; (B, N, C)

    def splice(self, ids: Tensor, image_tokens: Tensor) -> Tensor:
        """Token embeddings (B, T, C) with every <image> placeholder replaced, in order, by an image token."""
        x = self.language_model.wte(ids)  # (B, T, C)
        slots = ids == self.cfg.image_token_id  # (B, T)
        needed = image_tokens.shape[0] * image_tokens.shape[1]
        if int(slots.sum()) != needed:
            raise ValueError(
                f"the prompt has {int(slots.sum())} <image> placeholders but the images give {needed} "
                "tokens; "
                f"put {image_tokens.shape[1]} placeholders per image"
            )
        x = x.clone()
        x[slots] = image_tokens.reshape(needed, -1).to(x.dtype)  # row-major: image b fills prompt b's slots
        return x

    def forward(self, images: Tensor, ids: Tensor) -> Tensor:
        """Next-token logits (B, T, V) of the language model reading the spliced sequence."""
        x = self.splice(ids, self.image_tokens(images))  # (B, T, C)
        return language_model_logits(self.language_model, x)


def language_model_logits(gpt: GPT, x: Tensor) -> Tensor:
    """GPT's forward from token embeddings instead of ids: positions, causal blocks, head -> (B, T, V)."""
    t = x.shape[1]
    if t > gpt.config.block_size:
        raise ValueError(f"sequence of length {t} is longer than block_size={gpt.config.block_size}")
    h = gpt.drop(x + gpt.wpe(torch.arange(t, device=x.device)))  # (B, T, C)
    for block in gpt.blocks:
        h = block(h)
    return gpt.lm_head(gpt.ln_f(h))  # (B, T, V)
