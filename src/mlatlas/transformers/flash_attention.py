"""Tiled attention with the online softmax: the idea behind FlashAttention, in plain torch.

Papers: Tri Dao, Daniel Y. Fu, Stefano Ermon, Atri Rudra, Christopher Ré (2022), "FlashAttention: Fast and
Memory-Efficient Exact Attention with IO-Awareness", arXiv:2205.14135; Tri Dao (2023), "FlashAttention-2",
arXiv:2307.08691 (whose Algorithm 1 is our loop order); the online softmax of Maxim Milakov
and Natalia Gimelshein (2018), "Online normalizer calculation for softmax", arXiv:1805.02867; Markus Rabe
and Charles Staats (2021), "Self-attention Does Not Need O(n^2) Memory", arXiv:2112.05682.

Walk over the keys in blocks, keeping for every query a running maximum, a running softmax denominator
and a running weighted sum of values; rescale them when the maximum grows. The result is exact
attention, but the (T, T) score matrix never exists: extra memory grows like T, not T^2.

Shapes: B batch, H heads, T sequence (T_q queries, T_k keys), D head width.
Departure from the paper: the paper's point is a fused GPU kernel that keeps tiles in on-chip SRAM; in
plain torch we get the memory saving and exactness, while speed comes from 128 x 128 tiles (small
enough to stay in cache; the fastest size we measured on CPU), in-place updates (exp2_, baddbmm_),
base-2 exponentials (as FlashAttention-2's kernels use: torch's exp2 is ~3x faster than exp on CPU)
and skipping the blocks a causal mask hides.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from torch import Tensor

from mlatlas.transformers.attention import _check_qkv


def tiled_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    *,
    is_causal: bool = False,
    scale: float | None = None,
    block_q: int = 128,
    block_k: int = 128,
) -> Tensor:
    """Exact ``softmax(Q K^T / sqrt(D)) V`` computed block by block (FlashAttention-2, Algorithm 1:
    query blocks outside, key/value blocks inside, one division by l at the end).

    q (..., T_q, D), k (..., T_k, D), v (..., T_k, D_v) -> (..., T_q, D_v). ``is_causal`` is top-left
    aligned like ``torch.nn.functional.scaled_dot_product_attention``. For each query block, over key
    blocks j (m and l: the online softmax of Milakov & Gimelshein 2018; acc: Rabe & Staats 2021, Dao et
    al. 2022):

        m_new = max(m, rowmax(S_j))                     running maximum
        l     = e^{m - m_new} l + rowsum(e^{S_j - m_new})  running denominator
        acc   = e^{m - m_new} acc + e^{S_j - m_new} V_j    running numerator
        out   = acc / l

    The exponentials are taken base 2: e^{S - m} = 2^{(S - m) log2(e)}, so log2(e) is folded into the
    1/sqrt(D) scale once and every block calls the cheaper exp2 (m is then a maximum in base-2 units).
    Extra memory is O(block_q * block_k) per (batch, head) plus the output, whatever T is: linear in T.
    Half-precision inputs are accumulated in float32 (one float32 copy of K and V) and the output cast
    back.
    """
    _check_qkv(q, k, v)
    if block_q < 1 or block_k < 1:
        raise ValueError(f"block sizes must be >= 1; got block_q={block_q}, block_k={block_k}")
    lead, (t_q, d), t_k, d_v = q.shape[:-2], q.shape[-2:], k.shape[-2], v.shape[-1]
    if t_k == 0:  # no keys at all: every row is empty
        return q.new_zeros(*lead, t_q, d_v)
    scale = 1.0 / math.sqrt(d) if scale is None else scale
    work = torch.promote_types(q.dtype, torch.float32)  # accumulate in >= float32
    q3 = q.reshape(-1, t_q, d)  # (BH, T_q, D): all leading dims as one batch for bmm
    k3 = k.reshape(-1, t_k, d).to(work)  # (BH, T_k, D)
    v3 = v.reshape(-1, t_k, d_v).to(work)  # (BH, T_k, D_v)
    n = q3.shape[0]
    out = torch.empty(n, t_q, d_v, dtype=q.dtype, device=q.device)  # (BH, T_q, D_v)
    for q0 in range(0, t_q, block_q):
        q1 = min(q0 + block_q, t_q)
        q_blk = q3[:, q0:q1].to(work) * (scale * math.log2(math.e))  # (BH, Bq, D): log2(e)/sqrt(D) in Q
        m = torch.full((n, q1 - q0, 1), float("-inf"), dtype=work, device=q.device)  # running max
        l = torch.zeros_like(m)  # (BH, Bq, 1) running denominator
        acc = torch.zeros(n, q1 - q0, d_v, dtype=work, device=q.device)  # (BH, Bq, D_v) running numerator
        k_end = min(t_k, q1) if is_causal else t_k  # causal: keys after the block's last query are hidden
        for k0 in range(0, k_end, block_k):
            k1 = min(k0 + block_k, k_end)
            s = torch.bmm(q_blk, k3[:, k0:k1].mT)  # (BH, Bq, Bk)  S_j log2(e), S_j = Q K_j^T / sqrt(D)
            if is_causal and k1 - 1 > q0:  # block straddles the diagonal: hide keys j > i
                i = torch.arange(q0, q1, device=q.device)[:, None]
                j = torch.arange(k0, k1, device=q.device)[None, :]
                s.masked_fill_(j > i, float("-inf"))
            # Every row sees key 0 in the first block (top-left causal includes j = 0), so m_new is
            # finite from the first block on and e^{m - m_new} never meets -inf - (-inf).
            m_new = torch.maximum(m, s.amax(dim=-1, keepdim=True))  # m_new = max(m, rowmax(S_j))
            s.sub_(m_new).exp2_()  # P_j = e^{S_j - m_new} as a power of 2, in place: no second buffer
            alpha = (m - m_new).exp2_()  # e^{m - m_new}: rescales what was accumulated so far
            l.mul_(alpha).add_(s.sum(dim=-1, keepdim=True))  # l = alpha l + rowsum(P_j)
            acc.mul_(alpha).baddbmm_(s, v3[:, k0:k1])  # acc = alpha acc + P_j V_j, in place
            m = m_new
        out[:, q0:q1] = acc.div_(l).to(q.dtype)  # o = acc / l
    return out.reshape(*lead, t_q, d_v)


def peak_memory_bytes(fn, *args, **kwargs) -> int:
    """Peak bytes torch allocates on the CPU while ``fn(*args, **kwargs)`` runs, above what was live
    before (its output included). Read from the profiler's individual allocation and free events, so
    it counts exactly the tensors torch allocates, not the Python process's resident size.
    """
    from torch._C._profiler import _EventType
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        result = fn(*args, **kwargs)
    events: list[tuple[int, int]] = []
    stack = list(prof.profiler.kineto_results.experimental_event_tree())
    while stack:
        node = stack.pop()
        if node.tag == _EventType.Allocation:
            events.append((node.start_time_ns, node.extra_fields.alloc_size))  # + alloc, - free
        stack.extend(node.children)
    live = peak = 0
    for _, delta in sorted(events):
        live += delta
        peak = max(peak, live)
    del result
    return peak


MEMORY_JSON = Path(__file__).parent / "data" / "flash_attention_memory.json"


def measure_memory(
    lengths: tuple[int, ...] = (256, 512, 1024, 2048, 4096),
    batch: int = 1,
    num_heads: int = 8,
    head_dim: int = 64,
    block: int = 128,
) -> dict:
    """Peak extra memory (bytes, output included) of torch SDPA, our naive attention and our tiled
    attention on float32 inputs (B, H, T, D), for each T. Allocation sizes do not depend on timing noise,
    so the numbers repeat exactly from run to run on the same torch version.
    """
    from mlatlas.transformers.attention import scaled_dot_product_attention

    methods = {
        "torch_sdpa": torch.nn.functional.scaled_dot_product_attention,
        "naive": scaled_dot_product_attention,
        "tiled": lambda q, k, v: tiled_attention(q, k, v, block_q=block, block_k=block),
    }
    rows = []
    for t in lengths:
        g = torch.Generator().manual_seed(0)
        q, k, v = (torch.randn(batch, num_heads, t, head_dim, generator=g) for _ in range(3))
        rows.append({"T": t, **{name: peak_memory_bytes(fn, q, k, v) for name, fn in methods.items()}})
    return {
        "batch": batch,
        "heads": num_heads,
        "head_dim": head_dim,
        "block": block,
        "dtype": "float32",
        "torch": torch.__version__,
        "rows": rows,
    }


def demo() -> None:
    """Measure peak memory vs T on this machine and rewrite the JSON the flash-attention figure draws."""
    result = measure_memory()
    print(f"{'T':>6} {'torch SDPA':>12} {'naive':>12} {'tiled':>12}   (MB, output included)")
    for r in result["rows"]:
        print(
            f"{r['T']:>6} {r['torch_sdpa'] / 1e6:>12.1f} {r['naive'] / 1e6:>12.1f} {r['tiled'] / 1e6:>12.1f}"
        )
    MEMORY_JSON.parent.mkdir(parents=True, exist_ok=True)
    MEMORY_JSON.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {MEMORY_JSON}")
