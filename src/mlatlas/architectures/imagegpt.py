"""ImageGPT: pixels as tokens from a k-means colour palette, modelled left to right by a GPT.

Paper: Mark Chen, Alec Radford, Rewon Child, Jeffrey Wu, Heewoo Jun, David Luan, Ilya Sutskever (2020),
"Generative Pretraining from Pixels", ICML 2020 (no arXiv version).
Cluster the pixel values of the training set into a palette of k colours (the paper: k = 512 RGB
clusters), replace every pixel by the index of its nearest colour, read the image in raster order and
train a decoder-only transformer on p(x) = prod_i p(x_i | x_<i) (paper eq. 1). Completing the bottom
half of an image is sampling the rest of the sequence.

The transformer is the Transformers book's GPT with ImageGPT's layer norms, which rescale by the root
mean square without centring and have no bias (``RMSNorm``). ImageGPT's MLP also uses the sigmoid GELU
x * sigmoid(1.702 x) ("quick_gelu"); we keep GPT-2's tanh GELU, and the test configures transformers so.
Shapes: B batch, N pixels (T = N + 1 with the start token), C width, k palette size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mlatlas.transformers.gpt import GPT, GPTConfig, next_token_distribution
from mlatlas.transformers.rmsnorm import RMSNorm
from mlatlas.transformers.vit import load_digits_tensors


@dataclass(frozen=True)
class Palette:
    centres: np.ndarray  # (k, channels)
    labels: np.ndarray  # (N,) the cluster of every input point
    iterations: int


def kmeans_palette(points: np.ndarray, initial_centres: np.ndarray, max_iter: int = 100) -> Palette:
    """Lloyd's k-means from given centres: assign each point to its nearest centre, move each centre to
    the mean of its points, until no assignment changes. points (N, channels) -> Palette."""
    points = np.asarray(points, dtype=np.float64)
    centres = np.array(initial_centres, dtype=np.float64)
    if points.ndim != 2 or centres.ndim != 2 or points.shape[1] != centres.shape[1]:
        raise ValueError(
            f"points (N, c) and centres (k, c) must share c; got {points.shape}, {centres.shape}"
        )
    labels = None
    for it in range(1, max_iter + 1):
        d2 = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(-1)  # (N, k) squared distances
        new = d2.argmin(axis=1)  # nearest centre
        if labels is not None and np.array_equal(new, labels):
            return Palette(centres, labels, it - 1)
        labels = new
        for j in range(len(centres)):
            members = points[labels == j]
            if len(members):  # an empty cluster keeps its centre
                centres[j] = members.mean(axis=0)
    return Palette(centres, labels, max_iter)


def quantize(images: Tensor, centres: np.ndarray) -> Tensor:
    """(B, 1, S, S) grey images -> (B, S*S) palette indices in raster order."""
    pixels = images.reshape(images.shape[0], -1, 1).double()  # (B, N, 1)
    c = torch.as_tensor(centres, dtype=torch.float64)  # (k, 1)
    return ((pixels - c.T[None]) ** 2).argmin(dim=-1)  # (B, N)


class ImageGPT(nn.Module):
    """GPT over [start] + pixels; norms are RMSNorm; the head predicts one of the k colours."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.cfg = cfg  # vocab_size = k colours + 1 start token (id k)
        self.gpt = GPT(cfg)
        for block in self.gpt.blocks:
            block.ln_1 = RMSNorm(cfg.n_embd, eps=cfg.layer_norm_eps)
            block.ln_2 = RMSNorm(cfg.n_embd, eps=cfg.layer_norm_eps)
        self.gpt.ln_f = RMSNorm(cfg.n_embd, eps=cfg.layer_norm_eps)
        self.head = nn.Linear(cfg.n_embd, cfg.vocab_size - 1, bias=False)  # never predicts [start]

    def hidden_states(self, ids: Tensor) -> Tensor:
        """ids (B, T) -> final normalised states (B, T, C)."""
        g = self.gpt
        x = g.drop(g.wte(ids) + g.wpe(torch.arange(ids.shape[1], device=ids.device)))  # (B, T, C)
        for block in g.blocks:
            x = block(x)  # causal: pixel i sees the pixels before it
        return g.ln_f(x)

    def forward(self, ids: Tensor) -> Tensor:
        """Logits over the k colours for the next pixel at every position: (B, T, k)."""
        return self.head(self.hidden_states(ids))


def with_start(pixels: Tensor, start_id: int) -> Tensor:
    return torch.cat([torch.full((pixels.shape[0], 1), start_id, dtype=torch.long), pixels], dim=1)


def nll_bits_per_pixel(model: ImageGPT, pixels: Tensor) -> float:
    """-1/N sum_i log2 p(x_i | x_<i) averaged over images (B, N)."""
    with torch.no_grad():
        logits = model(with_start(pixels, model.cfg.vocab_size - 1))[:, :-1]  # predicts pixels 0..N-1
        nats = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), pixels.reshape(-1))
    return float(nats) / float(np.log(2.0))


@torch.no_grad()
def complete(
    model: ImageGPT, known: Tensor, total: int, generator: torch.Generator, temperature: float = 1.0
) -> Tensor:
    """Sample the remaining pixels after known (B, n): (B, total)."""
    model.eval()
    seq = with_start(known, model.cfg.vocab_size - 1)
    while seq.shape[1] < total + 1:
        probs = next_token_distribution(model(seq)[:, -1], temperature)  # (B, k)
        seq = torch.cat([seq, torch.multinomial(probs, 1, generator=generator)], dim=1)
    return seq[:, 1:]


@dataclass(frozen=True)
class DigitsRun:
    model: ImageGPT
    palette: Palette
    test_pixels: Tensor  # (B, 64) palette indices
    bits_per_pixel: float  # on held-out digits
    unigram_bits_per_pixel: float  # the palette's frequencies alone, no context


def train_on_digits(k: int = 4, epochs: int = 8, seed: int = 0) -> DigitsRun:
    """A k-colour palette from the training pixels, then a tiny ImageGPT on the 64-pixel sequences."""
    x_train, _, x_test, _ = load_digits_tensors(seed)
    pixels = x_train.reshape(-1, 1).numpy()
    init = np.linspace(0.0, 1.0, k)[:, None]  # evenly spaced grey levels to start from
    palette = kmeans_palette(pixels, init)
    train, test = quantize(x_train, palette.centres), quantize(x_test, palette.centres)  # (B, 64)
    torch.manual_seed(seed)
    model = ImageGPT(GPTConfig(vocab_size=k + 1, block_size=65, n_layer=2, n_head=2, n_embd=32))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        for batch in torch.randperm(len(train), generator=g).split(64):
            logits = model(with_start(train[batch], k))[:, :-1]
            loss = F.cross_entropy(logits.reshape(-1, k), train[batch].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    freq = np.bincount(train.flatten().numpy(), minlength=k) / train.numel()
    test_freq = freq[test.flatten().numpy()]
    unigram = float(-np.log2(test_freq).mean())
    return DigitsRun(model, palette, test, nll_bits_per_pixel(model, test), unigram)


def demo() -> None:
    """`mlatlas run imagegpt`: palette, training, and held-out bits per pixel vs the context-free baseline."""
    run = train_on_digits()
    print("palette (grey levels, 0-1):", np.round(run.palette.centres[:, 0], 3).tolist())
    print(
        f"held-out: {run.bits_per_pixel:.3f} bits/pixel; palette frequencies alone: "
        f"{run.unigram_bits_per_pixel:.3f} bits/pixel"
    )
