"""Vision Transformer (ViT): an image is a sequence of patches.

Paper: Alexey Dosovitskiy, Lucas Beyer, Alexander Kolesnikov, Dirk Weissenborn, Xiaohua Zhai, Thomas
Unterthiner, Mostafa Dehghani, Matthias Minderer, Georg Heigold, Sylvain Gelly, Jakob Uszkoreit, Neil
Houlsby (2020), "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale",
arXiv:2010.11929.

Cut the image into P×P patches, flatten each and project it linearly to a token (a strided
convolution does the same thing), prepend a learned [class] token, add learned position embeddings
and run a standard pre-LN transformer encoder; classify from the final [class] token.

Shapes: B batch, C_in image channels, S image side, P patch side, N = (S/P)² patches, C model width.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from mlatlas.transformers.multi_head_attention import MultiHeadAttention, MultiHeadAttentionConfig


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """(B, C_in, S_h, S_w) images → (B, N, C_in·P·P) flattened patches, row-major over the patch grid.

    Each patch is flattened channel-first, (C_in, P, P), the order in which a Conv2d weight of shape
    (C, C_in, P, P) flattens, so ``Linear(patchify(x))`` with that weight equals the strided conv.
    """
    B, C_in, H, W = images.shape
    P = patch_size
    if H % P or W % P:
        raise ValueError(f"image of size {H}x{W} is not divisible into {P}x{P} patches; resize or pad it")
    x = images.reshape(B, C_in, H // P, P, W // P, P)  # (B, C_in, H/P, P, W/P, P)
    x = x.permute(0, 2, 4, 1, 3, 5)  # (B, H/P, W/P, C_in, P, P)
    return x.reshape(B, (H // P) * (W // P), C_in * P * P)  # (B, N, C_in·P·P)


def unpatchify(
    patches: torch.Tensor, patch_size: int, channels: int, height: int, width: int
) -> torch.Tensor:
    """Inverse of :func:`patchify`: (B, N, C_in·P·P) → (B, C_in, H, W)."""
    B = patches.shape[0]
    P = patch_size
    x = patches.reshape(B, height // P, width // P, channels, P, P)
    return x.permute(0, 3, 1, 4, 2, 5).reshape(B, channels, height, width)


@dataclass
class ViTConfig:
    image_size: int = 8  # S
    patch_size: int = 2  # P
    num_channels: int = 1  # C_in
    hidden_size: int = 64  # C
    num_layers: int = 4
    num_heads: int = 4
    mlp_ratio: float = 4.0
    num_classes: int = 10
    dropout: float = 0.0
    layer_norm_eps: float = 1e-12  # the value Hugging Face's ViT uses

    def __post_init__(self) -> None:
        if self.image_size % self.patch_size:
            raise ValueError(
                f"image_size={self.image_size} must be a multiple of patch_size={self.patch_size}"
            )

    @property
    def num_patches(self) -> int:
        return (self.image_size // self.patch_size) ** 2


class EncoderBlock(nn.Module):
    """Pre-LN encoder block (ViT eq. 2–3): z ← z + MSA(LN(z)); z ← z + MLP(LN(z)), MLP with exact GELU."""

    def __init__(
        self, width: int, num_heads: int, mlp_ratio: float = 4.0, eps: float = 1e-5, dropout: float = 0.0
    ):
        super().__init__()
        self.norm1 = nn.LayerNorm(width, eps=eps)
        self.attn = MultiHeadAttention(MultiHeadAttentionConfig(width, num_heads, dropout=dropout))
        self.norm2 = nn.LayerNorm(width, eps=eps)
        hidden = int(mlp_ratio * width)
        self.mlp = nn.Sequential(
            nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, width), nn.Dropout(dropout)
        )

    def forward(self, z: torch.Tensor, attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        z = z + self.attn(self.norm1(z), attn_mask=attn_mask)  # (B, T, C) every token sees every token
        return z + self.mlp(self.norm2(z))


class ViT(nn.Module):
    """z₀ = [x_class; x_p¹E; …; x_pᴺE] + E_pos; z_L = Encoder(z₀); y = Head(LN(z_L⁰)) (ViT eq. 1–4)."""

    def __init__(self, config: ViTConfig):
        super().__init__()
        self.config = config
        C, P = config.hidden_size, config.patch_size
        self.patch_embedding = nn.Linear(config.num_channels * P * P, C)  # E, applied to flattened patches
        self.cls_token = nn.Parameter(torch.zeros(1, 1, C))  # x_class
        self.position_embeddings = nn.Parameter(torch.randn(1, config.num_patches + 1, C) * 0.02)  # E_pos
        self.dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(
            EncoderBlock(C, config.num_heads, config.mlp_ratio, config.layer_norm_eps, config.dropout)
            for _ in range(config.num_layers)
        )
        self.norm = nn.LayerNorm(C, eps=config.layer_norm_eps)
        self.head = nn.Linear(C, config.num_classes)

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """(B, C_in, S, S) → z₀ (B, N + 1, C)."""
        if images.shape[1:] != (self.config.num_channels, self.config.image_size, self.config.image_size):
            raise ValueError(
                f"expected images of shape (B, {self.config.num_channels}, {self.config.image_size}, "
                f"{self.config.image_size}); got {tuple(images.shape)}"
            )
        tokens = self.patch_embedding(patchify(images, self.config.patch_size))  # (B, N, C)
        cls = self.cls_token.expand(images.shape[0], -1, -1)  # (B, 1, C)
        return self.dropout(torch.cat([cls, tokens], dim=1) + self.position_embeddings)  # (B, N + 1, C)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """The final, normalised token states LN(z_L): (B, N + 1, C)."""
        z = self.embed(images)
        for block in self.blocks:
            z = block(z)
        return self.norm(z)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits (B, num_classes), read from the [class] token."""
        return self.head(self.encode(images)[:, 0])


def load_digits_tensors(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """scikit-learn's bundled 8×8 digits as (B, 1, 8, 8) float32 in [0, 1], split 80/20 (seeded)."""
    from sklearn.datasets import load_digits  # bundled with scikit-learn: no download

    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32)[:, None] / 16.0  # (B, 1, 8, 8)
    y = torch.tensor(digits.target)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    split = int(0.8 * len(y))
    return x[order[:split]], y[order[:split]], x[order[split:]], y[order[split:]]


def train_on_digits(
    config: ViTConfig | None = None, epochs: int = 15, seed: int = 0
) -> tuple[ViT, list[float]]:
    """A tiny ViT on 8×8 digits, 2×2 patches (16 tokens + [class]); returns the model and test accuracies."""
    cfg = config or ViTConfig()
    x_train, y_train, x_test, y_test = load_digits_tensors(seed)
    torch.manual_seed(seed)
    model = ViT(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.05)
    g = torch.Generator().manual_seed(seed)
    accuracies = []
    for _ in range(epochs):
        model.train()
        for batch in torch.randperm(len(y_train), generator=g).split(64):
            loss = nn.functional.cross_entropy(model(x_train[batch]), y_train[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            accuracies.append((model(x_test).argmax(-1) == y_test).float().mean().item())
    return model, accuracies


def demo() -> None:
    """`mlatlas run vit`: train the tiny ViT on scikit-learn's digits and print test accuracy per epoch."""
    _, acc = train_on_digits()
    for epoch, a in enumerate(acc, 1):
        print(f"epoch {epoch:2d}  test accuracy {a:.3f}")
