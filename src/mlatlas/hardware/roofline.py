"""The roofline model: measure this machine's peak FLOP/s and memory bandwidth, place kernels on it.

Paper: Williams, Waterman & Patterson 2009, "Roofline: an insightful visual performance model for
multicore architectures", Communications of the ACM 52(4).
A kernel that does F floating-point operations while moving B bytes has arithmetic intensity
I = F / B; it can run no faster than min(peak FLOP/s, I × bandwidth), the "roof".

Run ``mlatlas run roofline`` to measure and print the numbers; ``mlatlas run roofline --save``
(or ``python -m mlatlas.hardware.roofline --save``) also overwrites the cached measurement in
``data/roofline.json`` that the site's figure is drawn from.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from mlatlas.hardware.devices import describe_devices, select_device, supports_bfloat16, synchronize

CACHE = Path(__file__).parent / "data" / "roofline.json"


def attainable_flops(intensity: float, peak_flops: float, bandwidth: float) -> float:
    """The roof: P(I) = min(π, I · β) for peak compute π (FLOP/s) and bandwidth β (bytes/s)."""
    return min(peak_flops, intensity * bandwidth)


def ridge_point(peak_flops: float, bandwidth: float) -> float:
    """I* = π / β: kernels below this intensity are memory-bound, above it compute-bound."""
    return peak_flops / bandwidth


def time_call(
    fn: Callable[[], object], device: torch.device, repeats: int = 15, min_time: float = 0.005
) -> float:
    """Best wall time of one call (seconds): warm up, then time short batches of calls, keep the
    fastest batch.

    The minimum, not the mean, because we want what the hardware *can* do: slower batches measure
    interference (other processes sharing the cores, frequency changes), not the kernel. Batches
    are kept short (a few ms) so that on a busy machine some of them run without being preempted.
    """
    fn()  # warm-up: allocations, kernel selection, caches
    synchronize(device)
    calls = 1
    while True:  # grow the batch until it lasts min_time, so timer resolution does not matter
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        synchronize(device)
        elapsed = time.perf_counter() - start
        if elapsed >= min_time or calls >= 1 << 16:
            break
        calls *= 2
    best = elapsed / calls
    for _ in range(repeats - 1):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        synchronize(device)
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def measure_matmul_flops(n: int, dtype: torch.dtype, device: torch.device, repeats: int = 15) -> float:
    """FLOP/s of an (n × n) @ (n × n) matmul: 2n³ operations (a multiply and an add per term)."""
    g = torch.Generator(device="cpu").manual_seed(0)
    a = torch.randn(n, n, generator=g).to(device=device, dtype=dtype)
    b = torch.randn(n, n, generator=g).to(device=device, dtype=dtype)
    return 2.0 * n**3 / time_call(lambda: a @ b, device, repeats)


def measure_bandwidth(numel: int, device: torch.device, kind: str = "triad", repeats: int = 15) -> float:
    """Memory bandwidth (bytes/s) from a STREAM-style kernel on float32 vectors far larger than cache.

        copy:  a ← b             2 × 4 bytes per element (one read, one write)
        triad: a ← b + s · c     3 × 4 bytes per element (two reads, one write)
    """
    b = torch.ones(numel, device=device)
    c = torch.ones(numel, device=device)
    a = torch.empty(numel, device=device)
    if kind == "copy":
        return 2 * 4 * numel / time_call(lambda: a.copy_(b), device, repeats)
    if kind == "triad":
        return 3 * 4 * numel / time_call(lambda: torch.add(b, c, alpha=3.0, out=a), device, repeats)
    raise ValueError(f"kind must be 'copy' or 'triad', got {kind!r}")


@dataclass(frozen=True)
class Kernel:
    """One kernel placed on the roofline: its operation count, bytes moved and measured speed."""

    name: str
    flops: float
    bytes: float
    seconds: float

    @property
    def intensity(self) -> float:
        return self.flops / self.bytes

    @property
    def achieved(self) -> float:
        return self.flops / self.seconds


def kernel_cases(device: torch.device) -> list[tuple[str, float, float, Callable[[], object]]]:
    """Kernels from the atlas's chapters in float32, with FLOPs and *compulsory* bytes (each input
    read once, each output written once; real kernels may move more, so this is an upper bound
    on intensity).
    """
    g = torch.Generator(device="cpu").manual_seed(0)

    def randn(*shape):
        return torch.randn(*shape, generator=g).to(device)

    cases = []
    for n in (64, 256, 1024):  # matmul: 2n³ FLOPs over 3n² floats → I = n/6
        a, b = randn(n, n), randn(n, n)
        cases.append((f"matmul {n}", 2.0 * n**3, 3 * 4.0 * n * n, lambda a=a, b=b: a @ b))
    rows, width = 2048, 1024
    x = randn(rows, width)
    numel = rows * width  # softmax: max, subtract, exp, sum, divide ≈ 5 FLOPs per element
    cases.append(("softmax", 5.0 * numel, 2 * 4.0 * numel, lambda: torch.softmax(x, dim=-1)))
    weight, bias = randn(width), randn(width)  # layer norm: mean, var, normalise, affine ≈ 8 per element
    cases.append(("layer norm", 8.0 * numel, 2 * 4.0 * numel,
                  lambda: F.layer_norm(x, (width,), weight, bias)))  # fmt: skip
    heads, t, d = 8, 512, 64  # fused attention: QKᵀ and PV are 4T²D per head; reads Q,K,V, writes O
    q, k, v = randn(1, heads, t, d), randn(1, heads, t, d), randn(1, heads, t, d)
    cases.append((f"attention T={t}", 4.0 * heads * t * t * d, 4 * 4.0 * heads * t * d,
                  lambda: F.scaled_dot_product_attention(q, k, v)))  # fmt: skip
    n = 1 << 24  # vector add on 64 MiB vectors (beyond cache): 1 FLOP per 12 bytes
    b, c, out = randn(n), randn(n), torch.empty(n, device=device)
    # Written into a preallocated output: a fresh 64 MiB result would be mmap'ed and page-faulted
    # on every call, and we would be timing the operating system rather than the memory.
    cases.append(("vector add", float(n), 3 * 4.0 * n, lambda: torch.add(b, c, out=out)))
    return cases


@dataclass(frozen=True)
class Measurement:
    """A machine's measured roofline, as stored in ``data/roofline.json``."""

    device: str
    description: str
    torch_version: str
    threads: int
    peak_flops: dict[str, float]  # dtype name → FLOP/s of the largest matmul measured
    bandwidth: dict[str, float]  # "copy" / "triad" → bytes/s
    kernels: list[Kernel] = field(default_factory=list)
    measured_at: str = ""

    @property
    def peak(self) -> float:
        return self.peak_flops["float32"]

    @property
    def stream_bandwidth(self) -> float:
        return max(self.bandwidth.values())


def measure(device: torch.device | None = None, *, matmul_sizes: tuple[int, ...] = (256, 512, 1024, 2048),
            stream_numel: int = 1 << 24, rounds: int = 3, threads: int | None = None,
            quick: bool = False) -> Measurement:  # fmt: skip
    """Measure peak matmul FLOP/s (float32, and bfloat16 when native; the best over
    ``matmul_sizes``), STREAM bandwidth on float32 vectors of ``stream_numel`` elements (64 MiB by
    default, well beyond cache) and the kernels of ``kernel_cases``.

    Everything is measured ``rounds`` times, interleaved, and the best of each kept: on a shared
    machine a burst of someone else's work can halve one round's numbers. ``quick`` shrinks
    everything for tests; its numbers are rough. ``threads`` limits the CPU threads torch uses
    while measuring (on a machine shared with other jobs, one thread per free core avoids the
    stalls a multi-threaded kernel suffers when one of its threads is descheduled).
    """
    if threads is not None:
        previous = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            return measure(device, matmul_sizes=matmul_sizes, stream_numel=stream_numel, rounds=rounds,
                           quick=quick)  # fmt: skip
        finally:
            torch.set_num_threads(previous)
    device = device or select_device()
    if quick:
        matmul_sizes, stream_numel, rounds = (128,), 1 << 18, 1
    repeats = 3 if quick else 15
    dtypes = [torch.float32] + ([torch.bfloat16] if supports_bfloat16(device) else [])
    cases = kernel_cases(device) if not quick else kernel_cases(device)[:1]
    peak: dict[str, float] = {}
    bandwidth: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for _ in range(rounds):
        for dtype in dtypes:
            name = str(dtype).removeprefix("torch.")
            for n in matmul_sizes:
                peak[name] = max(peak.get(name, 0.0), measure_matmul_flops(n, dtype, device, repeats))
        for kind in ("copy", "triad"):
            measured = measure_bandwidth(stream_numel, device, kind, repeats)
            bandwidth[kind] = max(bandwidth.get(kind, 0.0), measured)
        for name, _, _, fn in cases:
            seconds[name] = min(seconds.get(name, math.inf), time_call(fn, device, repeats))
    kernels = [Kernel(name, flops, nbytes, seconds[name]) for name, flops, nbytes, _ in cases]
    info = describe_devices()
    description = f"{info.cpu} ({info.cpu_threads} thread{'s' if info.cpu_threads > 1 else ''})"
    if device.type == "cuda":
        description = torch.cuda.get_device_name(device)
    elif device.type == "mps":
        description = "Apple GPU (MPS)"
    return Measurement(
        device=str(device),
        description=description,
        torch_version=torch.__version__,
        threads=info.cpu_threads,
        peak_flops=peak,
        bandwidth=bandwidth,
        kernels=kernels,
        measured_at=time.strftime("%Y-%m-%d"),
    )


def to_json(m: Measurement) -> str:
    return json.dumps(asdict(m), indent=2, sort_keys=True) + "\n"


def from_json(text: str) -> Measurement:
    raw = json.loads(text)
    missing = {"device", "peak_flops", "bandwidth"} - raw.keys()
    if missing:
        raise ValueError(f"roofline measurement is missing {sorted(missing)}; re-measure with --save")
    raw["kernels"] = [Kernel(**k) for k in raw.get("kernels", [])]
    return Measurement(**raw)


def load_cached(path: Path = CACHE) -> Measurement:
    """The measurement the site's figure is drawn from."""
    return from_json(path.read_text(encoding="utf-8"))


def report(m: Measurement) -> str:
    """A short text report: the peaks, the ridge point and where each kernel sits."""
    lines = [f"{m.description} on {m.device}, torch {m.torch_version}"]
    for name, value in m.peak_flops.items():
        lines.append(f"  peak matmul {name:>9}: {value / 1e9:8.1f} GFLOP/s")
    for name, value in m.bandwidth.items():
        lines.append(f"  bandwidth   {name:>9}: {value / 1e9:8.1f} GB/s")
    lines.append(f"  ridge point (float32): {ridge_point(m.peak, m.stream_bandwidth):.1f} FLOP/byte")
    for k in m.kernels:
        roof = attainable_flops(k.intensity, m.peak, m.stream_bandwidth)
        bound = "memory-bound" if k.intensity < ridge_point(m.peak, m.stream_bandwidth) else "compute-bound"
        lines.append(f"  {k.name:<16} I = {k.intensity:7.2f}  {k.achieved / 1e9:8.1f} GFLOP/s  "
                     f"({100 * k.achieved / roof:5.1f}% of roof, {bound})")  # fmt: skip
    return "\n".join(lines)


def main(save: bool = False, quick: bool = False, threads: int | None = None) -> Measurement:
    """Measure this machine, print the report, and with ``save=True`` refresh the cached JSON."""
    m = measure(quick=quick, threads=threads)  # about a minute on a laptop CPU, seconds on a GPU
    print(report(m))
    if quick:
        print("(quick mode: small sizes that fit in cache, so bandwidth is overstated and peaks understated)")
    if save:
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        CACHE.write_text(to_json(m), encoding="utf-8")
        print(f"saved to {CACHE}")
    else:
        print("(run `mlatlas run roofline --save` to store this as the cached measurement)")
    return m


def demo(argv: list[str] | None = None) -> Measurement:
    """Command-line entry (``mlatlas run roofline [--save] [--quick]``): arguments from sys.argv."""
    parser = argparse.ArgumentParser(prog="mlatlas run roofline", description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help=f"overwrite {CACHE}")
    parser.add_argument("--quick", action="store_true", help="small sizes: fast, rough numbers")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: all)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return main(save=args.save, quick=args.quick, threads=args.threads)


if __name__ == "__main__":
    demo()
