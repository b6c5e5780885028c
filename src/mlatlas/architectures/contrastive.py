"""InfoNCE: the contrastive loss shared by CLIP, SimCLR and ImageBind.

Paper: Aaron van den Oord, Yazhe Li, Oriol Vinyals (2018), "Representation Learning with Contrastive
Predictive Coding", arXiv:1807.03748 (eq. 4). Each query must pick its own positive key out of a
batch of candidates: a cross-entropy over similarity scores, with the other keys as negatives.

    L = -1/B sum_i log( exp(s_ii) / sum_j exp(s_ij) ),   s_ij = <q_i, k_j> / tau  (cosine: unit q, k)

CLIP (Radford et al. 2021, arXiv:2103.00020) averages it over both directions, image->text and
text->image; SimCLR (Chen et al. 2020, arXiv:2002.05709, eq. 1) uses every other view of the batch
as a candidate (NT-Xent). Shapes: B batch, F embedding width.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from mlatlas.foundations.cross_entropy import cross_entropy


def cosine_logits(a: Tensor, b: Tensor, logit_scale: Tensor | float) -> Tensor:
    """s_ij = scale * <a_i / |a_i|, b_j / |b_j|>: a (B_a, F), b (B_b, F) -> (B_a, B_b)."""
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(
            f"embeddings must be (B, F) with the same F; got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    a = F.normalize(a, dim=-1)  # unit rows: the dot product is the cosine
    b = F.normalize(b, dim=-1)
    return logit_scale * (a @ b.T)  # (B_a, B_b)


def info_nce(logits: Tensor, targets: Tensor | None = None) -> Tensor:
    """Mean of -log softmax(s_i)[positive_i] over the rows of logits (B, K) (van den Oord eq. 4).

    ``targets`` (B,) holds each row's positive column; by default the diagonal (row i pairs with i).
    """
    if logits.dim() != 2:
        raise ValueError(f"logits must be (B, K); got shape {tuple(logits.shape)}")
    if targets is None:
        if logits.shape[1] < logits.shape[0]:
            raise ValueError(
                f"the diagonal needs at least as many columns as rows; got {tuple(logits.shape)} "
                "(pass targets for another pairing)"
            )
        targets = torch.arange(logits.shape[0], device=logits.device)  # positives on the diagonal
    return cross_entropy(logits, targets)  # -1/B sum_i log p_i,target(i)


def symmetric_info_nce(logits: Tensor) -> Tensor:
    """CLIP's loss: (InfoNCE over rows + InfoNCE over columns) / 2 for a square logits (B, B)."""
    if logits.dim() != 2 or logits.shape[0] != logits.shape[1]:
        raise ValueError(
            f"symmetric InfoNCE needs a square (B, B) matrix of pair scores; got {tuple(logits.shape)}"
        )
    return (info_nce(logits) + info_nce(logits.T)) / 2  # image->text and text->image


def nt_xent(z_a: Tensor, z_b: Tensor, temperature: float) -> Tensor:
    """SimCLR's NT-Xent (Chen et al. 2020, eq. 1) for two views z_a, z_b (B, F) of the same B examples.

    The 2B views are candidates for each other: view k's positive is its twin (k + B mod 2B), the
    other 2B - 2 views are negatives, and a view is never compared with itself. Averaged over all 2B.
    """
    if z_a.shape != z_b.shape or z_a.dim() != 2:
        raise ValueError(f"the two views must both be (B, F); got {tuple(z_a.shape)} and {tuple(z_b.shape)}")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive; got {temperature}")
    b = z_a.shape[0]
    z = torch.cat([z_a, z_b])  # (2B, F)
    logits = cosine_logits(z, z, 1.0 / temperature)  # sim(z_k, z_l) / tau, (2B, 2B)
    self_pair = torch.eye(2 * b, dtype=torch.bool, device=z.device)
    logits = logits.masked_fill(self_pair, float("-inf"))  # 1[k != l]: exclude k itself
    twins = (torch.arange(2 * b, device=z.device) + b) % (2 * b)  # positive of k
    return info_nce(logits, twins)
