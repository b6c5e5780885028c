"""ImageBind: bind several modalities to one embedding space by pairing each only with images.

Paper: Rohit Girdhar, Alaaeldin El-Nouby, Zhuang Liu, Mannat Singh, Kalyan Vasudev Alwala, Armand Joulin,
Ishan Misra (2023), "ImageBind: One Embedding Space To Bind Them All", arXiv:2305.05665.
Train an encoder per modality M with InfoNCE against images only, (image, M) pairs (paper eq. 1, both
directions). Modalities that were never paired with each other end up aligned anyway, because they are
aligned to the same image space: "emergent" alignment, measured here by cross-modal retrieval.

Our modalities are synthetic: each is a fixed random nonlinear "sensor" reading the same digit image,
plus noise; modality A and modality B are trained on disjoint sets of images and never meet.
Shapes: B batch, F joint width.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from mlatlas.architectures.contrastive import cosine_logits, symmetric_info_nce
from mlatlas.transformers.vit import load_digits_tensors


def sensor(images: Tensor, kind: str, noise: float, generator: torch.Generator) -> Tensor:
    """A synthetic modality: a fixed random nonlinear reading of the image plus fresh noise."""
    x = images.flatten(1)  # (B, 64)
    fixed = torch.Generator().manual_seed({"a": 101, "b": 202}[kind])  # the sensor itself never changes
    w = torch.randn(64, 48, generator=fixed) / 4
    signal = torch.tanh(x @ w) if kind == "a" else torch.sin(x @ w)  # two different physics
    return signal + noise * torch.randn(signal.shape, generator=generator)  # (B, 48)


def encoder(d_in: int, width: int = 128, d_out: int = 32) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, width), nn.ReLU(), nn.Linear(width, d_out))


@dataclass(frozen=True)
class BindRun:
    a_to_b_top1: float  # retrieval of the matching B reading for each A reading, held-out images
    a_to_b_same_digit: float  # ... counting any B reading of the same digit class
    untrained_top1: float  # the same retrieval with untrained encoders
    untrained_same_digit: float
    chance_top1: float


def train_imagebind(epochs: int = 40, noise: float = 0.1, seed: int = 0) -> BindRun:
    """Image-anchored InfoNCE for modalities A and B on disjoint image sets; A<->B measured after."""
    x_train, _, x_test, y_test = load_digits_tensors(seed)
    half = len(x_train) // 2
    images_a, images_b = x_train[:half], x_train[half:]  # A and B never see the same image
    torch.manual_seed(seed)
    image_enc, enc_a, enc_b = encoder(64), encoder(48), encoder(48)
    untrained = (encoder(48), encoder(48))
    scale = nn.Parameter(torch.tensor(2.0))  # log of the inverse temperature, learned as in CLIP
    params = [*image_enc.parameters(), *enc_a.parameters(), *enc_b.parameters(), scale]
    opt = torch.optim.Adam(params, lr=2e-3)
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for ia, ib in zip(
            torch.randperm(half, generator=g).split(128), torch.randperm(half, generator=g).split(128)
        ):
            xa, xb = images_a[ia], images_b[ib]
            loss_a = symmetric_info_nce(
                cosine_logits(image_enc(xa.flatten(1)), enc_a(sensor(xa, "a", noise, g)), scale.exp())
            )
            loss_b = symmetric_info_nce(
                cosine_logits(image_enc(xb.flatten(1)), enc_b(sensor(xb, "b", noise, g)), scale.exp())
            )
            opt.zero_grad()
            (loss_a + loss_b).backward()  # only (image, A) and (image, B) pairs
            opt.step()
    with torch.no_grad():
        ra, rb = sensor(x_test, "a", noise, g), sensor(x_test, "b", noise, g)  # the same held-out scenes

        def retrieval(fa: nn.Module, fb: nn.Module) -> tuple[float, float]:
            best = cosine_logits(fa(ra), fb(rb), 1.0).argmax(dim=1)  # nearest B for every A
            top1 = (best == torch.arange(len(ra))).float().mean().item()
            return top1, (y_test[best] == y_test).float().mean().item()

        trained = retrieval(enc_a, enc_b)
        base = retrieval(*untrained)
    return BindRun(*trained, *base, 1 / len(x_test))


def demo() -> None:
    """`mlatlas run imagebind`: bind A and B to images separately, then retrieve B from A."""
    r = train_imagebind()
    print("A -> B retrieval on 360 held-out digits (A and B never paired in training):")
    print(
        f"  exact reading: {r.a_to_b_top1:.3f}  "
        f"(untrained {r.untrained_top1:.3f}, chance {r.chance_top1:.4f})"
    )
    print(f"  same digit:    {r.a_to_b_same_digit:.3f}  (untrained {r.untrained_same_digit:.3f})")
