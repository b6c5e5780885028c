"""Choosing where tensors live: CUDA, Apple's MPS, or the CPU.

No paper: this is the practical side of the accelerator landscape (NVIDIA CUDA, 2007; Apple's
Metal Performance Shaders backend for PyTorch, 2022; Apple MLX, 2023, a separate framework).
``select_device`` picks the fastest backend PyTorch can use on this machine, in the order
CUDA → MPS → CPU. The roofline demo calls it; the other demos and tests of the package are small enough
to run on the CPU and never hard-code "cuda" either.

MLX is not a PyTorch backend: it is reported by ``describe_devices`` (if installed) but never
selected, because its arrays reach torch only through a bridge (NumPy, DLPack), usually as a copy.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import subprocess
from dataclasses import dataclass

import torch

PREFERENCE = ("cuda", "mps", "cpu")
ENV_VARIABLE = "MLATLAS_DEVICE"  # e.g. MLATLAS_DEVICE=cpu forces the CPU on a GPU machine


def cuda_available() -> bool:
    return torch.cuda.is_available()


def mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def available_backends() -> list[str]:
    """The PyTorch backends usable here, fastest first; "cpu" is always last and always present."""
    found = []
    if cuda_available():
        found.append("cuda")
    if mps_available():
        found.append("mps")
    found.append("cpu")
    return found


def select_device(prefer: str | None = None) -> torch.device:
    """The device the package should compute on.

    ``prefer`` (or the environment variable ``MLATLAS_DEVICE``) names a backend to use if it is
    available: "cuda", "cuda:1", "mps" or "cpu". Asking for one that is missing is an error rather
    than a silent fallback, so a benchmark never reports CPU numbers as GPU numbers. Without a
    preference the first available of CUDA → MPS → CPU is chosen.
    """
    choice = prefer if prefer is not None else os.environ.get(ENV_VARIABLE) or None
    if choice is None:
        return torch.device(available_backends()[0])
    try:
        device = torch.device(choice)
    except RuntimeError as err:
        raise ValueError(f"unknown device {choice!r}; use one of {PREFERENCE} (or 'cuda:N')") from err
    if device.type not in PREFERENCE:
        raise ValueError(f"unsupported device type {device.type!r}; use one of {PREFERENCE}")
    if device.type not in available_backends():
        raise ValueError(
            f"{choice!r} was requested but is not available here (available: {available_backends()}); "
            f"unset {ENV_VARIABLE} or pass prefer=None to choose automatically"
        )
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"{choice!r} requested but only {torch.cuda.device_count()} CUDA device(s) exist")
    return device


def macos_major_version() -> int | None:
    """The major macOS version (14 for Sonoma), or None off macOS."""
    release = platform.mac_ver()[0]
    return int(release.split(".")[0]) if release else None


def arm_cpu_has_bf16() -> bool:
    """Whether this Arm CPU has the BF16 extension (FEAT_BF16, Armv8.6): Apple M2 and later, Graviton3
    and Neoverse V1/N2 have it; Apple M1 and Graviton2 (Neoverse N1) do not. Asks the OS: the
    ``bf16`` flag of /proc/cpuinfo on Linux, ``sysctl hw.optional.arm.FEAT_BF16`` on macOS."""
    if platform.system() == "Darwin":
        try:
            out = subprocess.run(
                ["sysctl", "-n", "hw.optional.arm.FEAT_BF16"],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return False
        return out == "1"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            return any(
                line.lower().startswith("features") and "bf16" in line.split(":", 1)[1].split() for line in f
            )
    except OSError:
        return False


def supports_bfloat16(device: torch.device) -> bool:
    """Whether bfloat16 matmuls run natively (not emulated) on ``device``, as far as we can tell.

    On CUDA we ask torch with ``including_emulation=False``: its default answer is also True on
    pre-Ampere GPUs (V100, T4), where bf16 is only emulated."""
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported(including_emulation=False))  # compute capability >= 8.0
    if device.type == "mps":
        major = macos_major_version()
        return major is not None and major >= 14  # MPS supports bfloat16 from macOS 14
    # On x86 CPUs, AVX512-BF16 or AMX gives native bf16 dot products; otherwise it is emulated.
    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        check = getattr(torch.cpu, probe, None)
        if check is not None and check():
            return True
    if platform.machine().lower() in ("arm64", "aarch64"):
        return arm_cpu_has_bf16()  # not every Arm core: M1 and Graviton2 lack BF16
    return False


def synchronize(device: torch.device) -> None:
    """Wait for queued kernels to finish (GPU calls return before the work is done)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


@dataclass(frozen=True)
class DeviceInfo:
    """What this machine offers: the chosen device and a human-readable summary of each backend."""

    selected: str
    backends: tuple[str, ...]
    cpu: str
    cpu_threads: int
    cuda_names: tuple[str, ...]
    mlx_installed: bool
    torch_version: str


def cpu_name() -> str:
    """The CPU's marketing name where the OS tells us (Linux /proc/cpuinfo), else the architecture."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_devices() -> DeviceInfo:
    """Summarise the compute backends on this machine (used by the roofline demo's report)."""
    cuda_names = tuple(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())) if (
        cuda_available()
    ) else ()  # fmt: skip
    return DeviceInfo(
        selected=str(select_device()),
        backends=tuple(available_backends()),
        cpu=cpu_name(),
        cpu_threads=torch.get_num_threads(),
        cuda_names=cuda_names,
        mlx_installed=importlib.util.find_spec("mlx") is not None,
        torch_version=torch.__version__,
    )
