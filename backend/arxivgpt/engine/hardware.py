"""What this machine can run on: CUDA, Apple's Metal (MPS) or the CPU, and how much memory each has free."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from typing import Literal

from arxivgpt.errors import ModelLoadError

Device = Literal["cuda", "mps", "cpu"]
GIB = 1024**3


@dataclass(frozen=True)
class Hardware:
    cuda_name: str | None
    cuda_free_bytes: int
    mps: bool
    ram_available_bytes: int
    bitsandbytes: bool
    cpu_bf16: str | None = None
    """The CPU's bfloat16 matrix instructions ("AMX", "AVX-512-BF16"), or None: without them bf16 on the CPU
    is emulated, and measured 4.5x slower than fp32 (benchmarks/README.md)."""
    torchao: bool = False
    cuda_capability: tuple[int, int] | None = None
    """The GPU's compute capability: float8 arithmetic needs (8, 9) (Ada) or newer (Hopper is (9, 0))."""

    @property
    def cuda(self) -> bool:
        return self.cuda_name is not None

    @property
    def float8(self) -> bool:
        return self.cuda_capability is not None and self.cuda_capability >= (8, 9)

    def free_bytes(self, device: Device) -> int:
        return self.cuda_free_bytes if device == "cuda" else self.ram_available_bytes

    def describe(self) -> str:
        parts = (
            [f"CUDA GPU {self.cuda_name} ({self.cuda_free_bytes / GIB:.1f} GiB free)"] if self.cuda else []
        )
        if self.mps:
            parts.append("Apple MPS")
        bf16 = f"bf16 on {self.cpu_bf16}" if self.cpu_bf16 else "no AMX or AVX-512-BF16"
        parts.append(f"CPU ({bf16}, {self.ram_available_bytes / GIB:.1f} GiB RAM available)")
        return ", ".join(parts)


def detect() -> Hardware:
    import torch

    cuda_name, cuda_free, capability = None, 0, None
    if torch.cuda.is_available():
        cuda_name = torch.cuda.get_device_name(0)
        cuda_free = torch.cuda.mem_get_info(0)[0]
        capability = tuple(torch.cuda.get_device_capability(0))
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    return Hardware(
        cuda_name,
        cuda_free,
        mps,
        _ram_available(),
        importlib.util.find_spec("bitsandbytes") is not None,
        cpu_bf16(),
        importlib.util.find_spec("torchao") is not None,
        (capability[0], capability[1]) if capability else None,
    )


def cpu_bf16() -> str | None:
    """Which bfloat16 matrix instructions this CPU has, as PyTorch's own kernels detect them (the flags of
    /proc/cpuinfo where this PyTorch cannot say)."""
    import torch

    try:
        amx, avx512_bf16 = torch.cpu._is_amx_tile_supported(), torch.cpu._is_avx512_bf16_supported()
    except AttributeError:
        flags = _cpu_flags()
        amx, avx512_bf16 = "amx_bf16" in flags, "avx512_bf16" in flags
    return "AMX" if amx else "AVX-512-BF16" if avx512_bf16 else None


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def _ram_available() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def choose_device(requested: str, hardware: Hardware) -> Device:
    """`auto` takes CUDA, then MPS, then the CPU; an explicit device that is not there is an error."""
    if requested == "auto":
        return "cuda" if hardware.cuda else "mps" if hardware.mps else "cpu"
    if requested == "cuda" and not hardware.cuda:
        raise ModelLoadError(
            "ARXIVGPT_DEVICE=cuda, but PyTorch sees no CUDA GPU; use ARXIVGPT_DEVICE=auto or cpu"
        )
    if requested == "mps" and not hardware.mps:
        raise ModelLoadError("ARXIVGPT_DEVICE=mps, but Apple's Metal is not available; use auto or cpu")
    return requested  # type: ignore[return-value]
