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

    @property
    def cuda(self) -> bool:
        return self.cuda_name is not None

    def free_bytes(self, device: Device) -> int:
        return self.cuda_free_bytes if device == "cuda" else self.ram_available_bytes

    def describe(self) -> str:
        parts = (
            [f"CUDA GPU {self.cuda_name} ({self.cuda_free_bytes / GIB:.1f} GiB free)"] if self.cuda else []
        )
        if self.mps:
            parts.append("Apple MPS")
        parts.append(f"CPU ({self.ram_available_bytes / GIB:.1f} GiB RAM available)")
        return ", ".join(parts)


def detect() -> Hardware:
    import torch

    cuda_name, cuda_free = None, 0
    if torch.cuda.is_available():
        cuda_name = torch.cuda.get_device_name(0)
        cuda_free = torch.cuda.mem_get_info(0)[0]
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    return Hardware(
        cuda_name, cuda_free, mps, _ram_available(), importlib.util.find_spec("bitsandbytes") is not None
    )


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
