"""Linear attention: kernelised attention, its parallel form and its recurrent form.

Paper: Katharopoulos, Vyas, Pappas, Fleuret (2020), "Transformers are RNNs: Fast Autoregressive
Transformers with Linear Attention", arXiv:2006.16236.
Replace the softmax's exp(q . k) by a product of feature maps phi(q) . phi(k); then the sum over keys
can be taken *before* the queries arrive, so attention costs O(T D^2) instead of O(T^2 D), and causal
attention becomes a recurrence with a fixed-size state, S (D, D_v) and z (D,): an RNN.

General attention (Katharopoulos et al., section 3.1), with similarity sim(q, k)::

    out_i = sum_j sim(q_i, k_j) v_j / sum_j sim(q_i, k_j)          softmax attention: sim = exp(q.k / sqrt D)

Linear attention (section 3.2), sim(q, k) = phi(q) . phi(k), phi(x) = elu(x) + 1::

    out_i = phi(q_i)^T (sum_j phi(k_j) v_j^T) / phi(q_i)^T (sum_j phi(k_j))

Causal (sections 3.3-3.4): the sums run over j <= i, i.e. S_i = S_{i-1} + phi(k_i) v_i^T and
z_i = z_{i-1} + phi(k_i), out_i = phi(q_i)^T S_i / phi(q_i)^T z_i.
Shapes: q, k (B, H, T, D), v (B, H, T, D_v).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from mlatlas.transformers.attention import causal_mask, scaled_dot_product_attention


def elu_feature_map(x: Tensor) -> Tensor:
    """phi(x) = elu(x) + 1: positive, so every similarity is positive and the normaliser is > 0."""
    return F.elu(x) + 1.0


def kernel_attention_quadratic(
    q: Tensor, k: Tensor, v: Tensor, sim: Callable[[Tensor, Tensor], Tensor], causal: bool = False
) -> Tensor:
    """The definition with an explicit (T, T) similarity matrix: O(T^2). sim(q, k) -> (..., T_q, T_k)."""
    a = sim(q, k)  # (B, H, T, T): sim(q_i, k_j), all >= 0
    if causal:
        a = a * causal_mask(q.shape[-2], k.shape[-2], device=q.device)  # keep j <= i
    return (a @ v) / a.sum(dim=-1, keepdim=True)  # sum_j sim v_j / sum_j sim


def linear_similarity(feature_map: Callable[[Tensor], Tensor] = elu_feature_map):
    """sim(q, k) = phi(q) . phi(k), as a function for ``kernel_attention_quadratic``."""
    return lambda q, k: feature_map(q) @ feature_map(k).transpose(-1, -2)


def softmax_similarity(q: Tensor, k: Tensor) -> Tensor:
    """sim(q, k) = exp(q . k / sqrt D): with it, kernel attention *is* softmax attention."""
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    return torch.exp(scores - scores.amax(dim=-1, keepdim=True))  # shifted: the ratio is unchanged


def linear_attention(q: Tensor, k: Tensor, v: Tensor, feature_map=elu_feature_map) -> Tensor:
    """Non-causal linear attention in O(T D D_v): sum over keys first, then one product per query."""
    phi_q, phi_k = feature_map(q), feature_map(k)  # (B, H, T, D)
    kv = phi_k.transpose(-1, -2) @ v  # sum_j phi(k_j) v_j^T, (B, H, D, D_v)
    z = phi_k.sum(dim=-2)  # sum_j phi(k_j), (B, H, D)
    return (phi_q @ kv) / (phi_q @ z[..., None])  # (B, H, T, D_v)


def causal_linear_attention(q: Tensor, k: Tensor, v: Tensor, feature_map=elu_feature_map) -> Tensor:
    """Causal linear attention in parallel over T, by prefix sums of phi(k_j) v_j^T: O(T D D_v)."""
    phi_q, phi_k = feature_map(q), feature_map(k)  # (B, H, T, D)
    s = torch.cumsum(
        phi_k[..., :, None] * v[..., None, :], dim=-3
    )  # S_i = sum_{j<=i} phi(k_j) v_j^T, (B, H, T, D, D_v)
    z = torch.cumsum(phi_k, dim=-2)  # z_i, (B, H, T, D)
    num = (phi_q[..., None, :] @ s)[..., 0, :]  # phi(q_i)^T S_i, (B, H, T, D_v)
    return num / (phi_q * z).sum(dim=-1, keepdim=True)


def recurrent_linear_attention(q: Tensor, k: Tensor, v: Tensor, feature_map=elu_feature_map) -> Tensor:
    """The same causal attention as an RNN: one step per token, state (S, z) of fixed size."""
    phi_q, phi_k = feature_map(q), feature_map(k)
    B, H, T, D = q.shape
    s = q.new_zeros(B, H, D, v.shape[-1])  # S_0 = 0, (B, H, D, D_v)
    z = q.new_zeros(B, H, D)  # z_0 = 0
    outputs = []
    for i in range(T):
        s = s + phi_k[:, :, i, :, None] * v[:, :, i, None, :]  # S_i = S_{i-1} + phi(k_i) v_i^T
        z = z + phi_k[:, :, i]  # z_i = z_{i-1} + phi(k_i)
        num = (phi_q[:, :, i, None, :] @ s)[:, :, 0]  # phi(q_i)^T S_i, (B, H, D_v)
        outputs.append(num / (phi_q[:, :, i] * z).sum(-1, keepdim=True))
    return torch.stack(outputs, dim=2)  # (B, H, T, D_v)


def attention_costs(t: int, d: int) -> dict[str, int]:
    """Multiply-adds per head: softmax attention 2 T^2 D (scores, then weights x values);
    linear attention 2 T D^2 (phi(K)^T V, then phi(Q) (phi(K)^T V)), normalisers ignored."""
    return {"softmax": 2 * t * t * d, "linear": 2 * t * d * d}


def time_attention(t: int, d: int = 64, heads: int = 4, repeats: int = 3) -> dict[str, float]:
    """Median wall time (s) of non-causal softmax attention (the package's) and linear attention."""
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, heads, t, d, generator=g) for _ in range(3))
    result = {}
    for name, fn in [
        ("softmax", lambda: scaled_dot_product_attention(q, k, v)),
        ("linear", lambda: linear_attention(q, k, v)),
    ]:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        result[name] = sorted(times)[len(times) // 2]
    return result


def demo(lengths=(256, 512, 1024, 2048, 4096), d: int = 64) -> dict[int, dict[str, float]]:
    """Time softmax vs linear attention as T grows (float32, 4 heads, D = 64); print the ratios."""
    results = {}
    for t in lengths:
        r = time_attention(t, d)
        results[t] = r
        print(f"T = {t:5d}: softmax {1e3 * r['softmax']:8.2f} ms, linear {1e3 * r['linear']:6.2f} ms, "
              f"ratio {r['softmax'] / r['linear']:6.1f}x")  # fmt: skip
    return results
