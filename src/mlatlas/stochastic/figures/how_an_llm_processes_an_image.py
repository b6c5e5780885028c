"""How an LLM processes an image: the pipeline and figures for the exploration of that name.

Pixels → a square crop → 16×16 patches → patch embeddings (the ViT of ``mlatlas.transformers.vit``)
→ a projector into the language model's width → image tokens placed between text tokens → a causal
transformer → next-token logits. The arrangement follows LLaVA (Liu et al. 2023, arXiv:2304.08485):
ViT patch tokens, the [class] token dropped, a two-layer MLP projector, then the language model.

The weights are random (seeded): the figures show shapes and structure, not learned meaning. The
image is scikit-learn's bundled ``china.jpg``, so nothing is downloaded.

Shapes: B batch (1), N patches, P patch side, C_vit / C_llm model widths, T sequence length, V vocab.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from matplotlib.patches import FancyBboxPatch, Rectangle
from torch import nn

from mlatlas.plotting import PALETTE, new_figure
from mlatlas.transformers.vit import EncoderBlock, ViT, ViTConfig, patchify

IMAGE_SIZE = 224  # S, the ViT-B/16 input side
PATCH = 16  # P
C_VIT = 96  # vision width (ViT-B uses 768; small here so the figures stay cheap)
C_LLM = 128  # language-model width (LLaMA-7B uses 4096)
MEAN = (0.485, 0.456, 0.406)  # ImageNet channel statistics, the usual ViT input normalisation
STD = (0.229, 0.224, 0.225)
TEXT_BEFORE = ["<bos>", "USER:"]
TEXT_AFTER = ["What", "is", "in", "this", "picture?", "ASSISTANT:"]
QUERY_PATCH = 5 * 14 + 4  # row 5, column 4 of the 14×14 grid: the temple's roof
SKY_PATCH = 1 * 14 + 11  # row 1, column 11: sky
VOCAB = ["<bos>", "<image>", "USER:", "ASSISTANT:", "What", "is", "in", "this", "picture?", "a", "temple"]


@dataclass(frozen=True)
class ImagePipeline:
    """Every intermediate tensor of the pipeline, batch of one."""

    raw: np.ndarray  # (427, 640, 3) uint8, as loaded
    crop_box: tuple[int, int, int]  # (top, left, side) of the central square in the raw image
    pixels: torch.Tensor  # (1, 3, S, S) in [0, 1]
    normalized: torch.Tensor  # (1, 3, S, S) (pixels - mean) / std
    patches: torch.Tensor  # (1, N, 3·P·P) flattened patches, row-major over the patch grid
    patch_embeddings: torch.Tensor  # (1, N, C_vit) = patches @ E^T + b
    vit_tokens: torch.Tensor  # (1, N + 1, C_vit) encoder output, [class] first
    image_tokens: torch.Tensor  # (1, N, C_llm) projector output: the LLM's view of the image
    text_ids: torch.Tensor  # (T_text,) ids of the prompt's text tokens, in order
    sequence: torch.Tensor  # (1, T, C_llm) text embeddings with the image tokens spliced in
    segments: tuple[tuple[str, int, int], ...]  # (kind, start, end) spans of the sequence
    hidden: torch.Tensor  # (1, T, C_llm) after the causal transformer blocks
    logits: torch.Tensor  # (1, T, V)


def load_image() -> np.ndarray:
    """scikit-learn's bundled photograph of a Chinese temple, (427, 640, 3) uint8."""
    from sklearn.datasets import load_sample_image  # ships with scikit-learn: no download

    return load_sample_image("china.jpg")


def crop_and_resize(raw: np.ndarray, size: int = IMAGE_SIZE) -> tuple[torch.Tensor, tuple[int, int, int]]:
    """Central square crop, resized to size×size with antialiasing. Returns (1, 3, size, size) in [0, 1]."""
    h, w, _ = raw.shape
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = torch.tensor(raw[top : top + side, left : left + side], dtype=torch.float32) / 255.0
    x = square.permute(2, 0, 1)[None]  # (1, 3, side, side) channels first
    x = nn.functional.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return x.clamp(0, 1), (top, left, side)


class TinyMultimodalLM(nn.Module):
    """Vision encoder + projector + a causal language model, all tiny and randomly initialised."""

    def __init__(self, seed: int = 0, num_layers: int = 2):
        super().__init__()
        torch.manual_seed(seed)
        self.vision = ViT(
            ViTConfig(
                image_size=IMAGE_SIZE,
                patch_size=PATCH,
                num_channels=3,
                hidden_size=C_VIT,
                num_layers=num_layers,
                num_heads=4,
            )
        )
        self.projector = nn.Sequential(nn.Linear(C_VIT, C_LLM), nn.GELU(), nn.Linear(C_LLM, C_LLM))
        self.embed_tokens = nn.Embedding(len(VOCAB), C_LLM)
        self.blocks = nn.ModuleList(EncoderBlock(C_LLM, 4) for _ in range(num_layers))
        self.norm = nn.LayerNorm(C_LLM)
        self.lm_head = nn.Linear(C_LLM, len(VOCAB), bias=False)

    def image_tokens(self, normalized: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(1, 3, S, S) → ViT tokens (1, N + 1, C_vit) and projected patch tokens (1, N, C_llm)."""
        vit_tokens = self.vision.encode(normalized)  # (1, N + 1, C_vit)
        return vit_tokens, self.projector(vit_tokens[:, 1:])  # drop [class], as LLaVA does

    def build_sequence(self, image_tokens: torch.Tensor, text_ids: torch.Tensor) -> torch.Tensor:
        """Replace the single <image> placeholder in text_ids by the N image tokens. (1, T, C_llm)."""
        (where,) = torch.nonzero(text_ids == VOCAB.index("<image>"), as_tuple=True)
        if where.numel() != 1:
            raise ValueError("the prompt must contain exactly one <image> placeholder")
        k = int(where)
        text = self.embed_tokens(text_ids)[None]  # (1, T_text, C_llm)
        return torch.cat([text[:, :k], image_tokens, text[:, k + 1 :]], dim=1)  # (1, T, C_llm)

    def forward(self, sequence: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Causal transformer over the mixed sequence: hidden states (1, T, C) and logits (1, T, V)."""
        T = sequence.shape[1]
        causal = torch.ones(T, T, dtype=torch.bool).tril()  # token t sees tokens 0..t (True = attend)
        h = sequence
        for block in self.blocks:
            h = block(h, attn_mask=causal)
        h = self.norm(h)
        return h, self.lm_head(h)


@lru_cache(maxsize=1)
def run_pipeline() -> ImagePipeline:
    """Run the whole pipeline once on china.jpg with seeded random weights."""
    raw = load_image()
    pixels, box = crop_and_resize(raw)
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    normalized = (pixels - mean) / std  # (1, 3, S, S)
    model = TinyMultimodalLM().eval()
    prompt = [*TEXT_BEFORE, "<image>", *TEXT_AFTER]
    text_ids = torch.tensor([VOCAB.index(w) for w in prompt])
    with torch.no_grad():
        patches = patchify(normalized, PATCH)  # (1, N, 3·P·P)
        patch_embeddings = model.vision.patch_embedding(patches)  # (1, N, C_vit)
        vit_tokens, image_tokens = model.image_tokens(normalized)
        sequence = model.build_sequence(image_tokens, text_ids)
        hidden, logits = model(sequence)
    n, k = image_tokens.shape[1], len(TEXT_BEFORE)
    segments = (("text", 0, k), ("image", k, k + n), ("text", k + n, k + n + len(TEXT_AFTER)))
    return ImagePipeline(
        raw=raw,
        crop_box=box,
        pixels=pixels,
        normalized=normalized,
        patches=patches,
        patch_embeddings=patch_embeddings,
        vit_tokens=vit_tokens,
        image_tokens=image_tokens,
        text_ids=text_ids,
        sequence=sequence,
        segments=segments,
        hidden=hidden,
        logits=logits,
    )


def _shape(t) -> str:
    return "(" + ", ".join(str(int(d)) for d in t.shape) + ")"


def _cosine_to(x: torch.Tensor, k: int) -> np.ndarray:
    """Cosine similarity of every row of x (N, F) to row k. Shape (N,)."""
    x = x - x.mean(dim=0, keepdim=True)
    x = x / x.norm(dim=1, keepdim=True)
    return (x @ x[k]).numpy()


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------


def pixels_to_patches():
    """The photograph, its 224×224 crop cut into a 14×14 grid, one patch, and that patch as 768 numbers."""
    p = run_pipeline()
    g = IMAGE_SIZE // PATCH
    fig, axes = new_figure(1, 4, width=8.4, height=2.7, width_ratios=[1.5, 1, 0.8, 1.2])
    top, left, side = p.crop_box
    h, w, _ = p.raw.shape
    axes[0].imshow(p.raw[::3, ::3], extent=(0, w, h, 0))  # a third of the resolution keeps the SVG small
    axes[0].add_patch(Rectangle((left, top), side, side, fill=False, ec=PALETTE[5], lw=2))
    axes[0].set_title(f"pixels {p.raw.shape} uint8", fontsize=8)
    img = p.pixels[0].permute(1, 2, 0).numpy()
    axes[1].imshow(img)
    for i in range(1, g):
        axes[1].axhline(i * PATCH - 0.5, color="white", lw=0.4)
        axes[1].axvline(i * PATCH - 0.5, color="white", lw=0.4)
    k = QUERY_PATCH
    r, c = divmod(k, g)
    axes[1].add_patch(
        Rectangle((c * PATCH - 0.5, r * PATCH - 0.5), PATCH, PATCH, fill=False, ec=PALETTE[3], lw=2)
    )
    axes[1].set_title(f"crop {_shape(p.pixels)}, {g}×{g} grid", fontsize=8)
    axes[2].imshow(img[r * PATCH : (r + 1) * PATCH, c * PATCH : (c + 1) * PATCH], interpolation="nearest")
    axes[2].set_title(f"patch {k} (row {r}, col {c})", fontsize=8)
    # the same patch, normalised and flattened channel-first: R, G and B rows of 16·16 = 256 values
    vec = p.patches[0, k].numpy().reshape(3, PATCH * PATCH)
    axes[3].imshow(vec, aspect="auto", cmap="coolwarm", interpolation="nearest")
    axes[3].set_yticks([0, 1, 2])
    axes[3].set_yticklabels(["R", "G", "B"])
    axes[3].set_xlabel("index within the patch")
    axes[3].set_title(f"the same patch as {p.patches.shape[-1]} numbers", fontsize=8)
    for ax in axes[:3]:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def shapes_at_each_step():
    """A flow chart of the tensor shapes, read from the pipeline's actual tensors at build time."""
    p = run_pipeline()
    steps = [
        ("pixels", f"{p.raw.shape} uint8", PALETTE[7]),
        ("crop, resize, normalise", _shape(p.normalized), PALETTE[7]),
        ("patchify (16×16)", _shape(p.patches), PALETTE[0]),
        ("patch embedding E", _shape(p.patch_embeddings), PALETTE[0]),
        ("+[class], +positions, ViT blocks", _shape(p.vit_tokens), PALETTE[0]),
        ("drop [class], projector MLP", _shape(p.image_tokens), PALETTE[4]),
        ("text ids", f"({len(p.text_ids)},) with one <image>", PALETTE[1]),
        ("splice into text embeddings", _shape(p.sequence), PALETTE[2]),
        ("causal transformer", _shape(p.hidden), PALETTE[2]),
        ("next-token logits", _shape(p.logits), PALETTE[2]),
    ]
    fig, ax = new_figure(width=7.2, height=4.6)
    ax.set_xlim(0, 10)
    ax.set_ylim(-0.6, len(steps) - 0.4)
    ax.invert_yaxis()
    ax.axis("off")
    for i, (name, shape, color) in enumerate(steps):
        x0 = 0.3 if i != 6 else 5.4
        ax.add_patch(
            FancyBboxPatch(
                (x0, i - 0.35), 4.3, 0.7, boxstyle="round,pad=0.02", fc=color, alpha=0.25, ec=color
            )
        )
        ax.text(x0 + 0.15, i, name, va="center", fontsize=8.5)
        ax.text(x0 + 4.45, i, shape, va="center", fontsize=8.5, family="monospace")
        if i not in (0, 6, 7):
            ax.annotate("", (2.45, i - 0.36), (2.45, i - 0.64), arrowprops=dict(arrowstyle="->", lw=0.8))
    ax.annotate("", (2.45, 6.64), (2.45, 5.36), arrowprops=dict(arrowstyle="->", lw=0.8))
    ax.annotate("", (3.6, 6.64), (6.5, 6.36), arrowprops=dict(arrowstyle="->", lw=0.8))
    return fig


def patch_similarity():
    """Cosine similarity of every patch to one query patch: raw pixels, patch embeddings, ViT outputs."""
    p = run_pipeline()
    g = IMAGE_SIZE // PATCH
    k = SKY_PATCH
    maps = [
        ("raw patches, 768-d", _cosine_to(p.patches[0], k)),
        (f"embedded, {C_VIT}-d", _cosine_to(p.patch_embeddings[0], k)),
        ("2 ViT blocks", _cosine_to(p.vit_tokens[0, 1:], k)),
    ]
    fig, axes = new_figure(1, 4, width=8.2, height=2.4)
    axes[0].imshow(p.pixels[0].permute(1, 2, 0).numpy())
    r, c = divmod(k, g)
    axes[0].add_patch(
        Rectangle((c * PATCH - 0.5, r * PATCH - 0.5), PATCH, PATCH, fill=False, ec=PALETTE[3], lw=2)
    )
    axes[0].set_title("query patch", fontsize=8)
    for i, (ax, (title, sim)) in enumerate(zip(axes[1:], maps)):
        im = ax.imshow(sim.reshape(g, g), cmap="viridis", vmin=-1, vmax=1)
        r_raw = np.corrcoef(maps[0][1], sim)[0, 1]  # agreement with the raw-pixel map
        ax.set_title(title if i == 0 else f"{title} (r = {r_raw:.3f})", fontsize=8)
    fig.colorbar(im, ax=axes[1:], shrink=0.8, label="cosine similarity")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def token_sequence():
    """The language model's input: text tokens, then 196 image tokens (shown as their patches), then text."""
    p = run_pipeline()
    g = IMAGE_SIZE // PATCH
    fig, ax = new_figure(width=8.0, height=1.7)
    ax.axis("off")
    words = [VOCAB[i] for i in p.text_ids.tolist()]
    img = p.pixels[0].permute(1, 2, 0).numpy()
    x = 0.0
    cell = 1.0

    def text_box(x, word):
        ax.add_patch(
            FancyBboxPatch(
                (x + 0.05, 0.1),
                cell * 1.6,
                0.8,
                boxstyle="round,pad=0.02",
                fc=PALETTE[1],
                alpha=0.3,
                ec=PALETTE[1],
            )
        )
        ax.text(x + 0.05 + 0.8 * cell, 0.5, word, ha="center", va="center", fontsize=7)
        return x + cell * 1.75

    for w in words[: len(TEXT_BEFORE)]:
        x = text_box(x, w)
    shown = list(range(4)) + [None] + list(range(g * g - 3, g * g))
    start_img = x
    for k in shown:
        if k is None:
            ax.text(x + 0.5, 0.5, "…", ha="center", va="center", fontsize=12)
            x += cell
            continue
        r, c = divmod(k, g)
        ax.imshow(
            img[r * PATCH : (r + 1) * PATCH, c * PATCH : (c + 1) * PATCH],
            extent=(x + 0.05, x + 0.95, 0.1, 0.9),
        )
        x += cell
    ax.annotate("", (start_img, -0.15), (x, -0.15), arrowprops=dict(arrowstyle="<->", lw=0.8))
    ax.text(
        (start_img + x) / 2,
        -0.45,
        f"{p.image_tokens.shape[1]} image tokens {_shape(p.image_tokens)}",
        ha="center",
        fontsize=8,
    )
    for w in words[len(TEXT_BEFORE) + 1 :]:
        x = text_box(x, w)
    ax.text(
        x / 2,
        1.25,
        f"one sequence {_shape(p.sequence)}: the language model cannot tell which rows were pixels",
        ha="center",
        fontsize=8,
    )
    ax.set_xlim(-0.2, x + 0.2)
    ax.set_ylim(-0.7, 1.5)
    ax.set_aspect("equal")
    return fig


def attention_masks(n_image: int = 12):
    """Who may attend to whom, drawn for a short sequence (12 image tokens stand in for 196)."""
    p = run_pipeline()
    k0, k1 = len(TEXT_BEFORE), len(TEXT_AFTER)
    T = k0 + n_image + k1
    causal = np.tril(np.ones((T, T)))
    prefix = causal.copy()
    prefix[k0 : k0 + n_image, k0 : k0 + n_image] = 1.0  # bidirectional inside the image block
    labels = TEXT_BEFORE + [f"img{i}" for i in range(n_image)] + TEXT_AFTER
    fig, axes = new_figure(1, 2, width=7.6, height=3.9)
    panels = (
        (axes[0], causal, "causal everywhere (LLaVA)"),
        (axes[1], prefix, "image tokens see each other"),
    )
    for ax, mask, title in panels:
        ax.imshow(mask, cmap="Blues", vmin=-0.3, vmax=1.2, interpolation="nearest")
        for edge in (k0, k0 + n_image):
            ax.axhline(edge - 0.5, color=PALETTE[3], lw=0.8)
            ax.axvline(edge - 0.5, color=PALETTE[3], lw=0.8)
        ax.set_title(title, fontsize=9)
        ax.set_xticks(range(T))
        ax.set_xticklabels(labels, rotation=90, fontsize=6)
        ax.set_yticks(range(T))
        ax.set_yticklabels(labels, fontsize=6)
        ax.set_xlabel("attended to", fontsize=8)
    axes[0].set_ylabel(f"query (the real sequence has T = {p.sequence.shape[1]})", fontsize=8)
    return fig
