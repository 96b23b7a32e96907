"""The decode step compiled over a static key/value cache: batch-1 decoding at the GPU's pace.

Eager decoding is bound by kernel launches on a GPU, not by memory: a bf16 7B token needs under 3 ms of an
H200's bandwidth but took 25 ms (../shared/FACTS.md). transformers compiles the decode step itself (never
the long prefill) when `generate` is handed a compileable cache and a `CompileConfig`; on CUDA the compiled
step is replayed as a CUDA graph ("reduce-overhead"). The engine owns one `StaticCache` sized to the
context, so shapes never change and nothing recompiles; a request crops or resets it. CUDA graphs belong
to the thread that recorded them, so warm-up and every generation run on the engine's one worker thread.

On the CPU the same path measured slower than eager decoding with the preallocated cache (a static cache
makes attention read every position of the context at every step; benchmarks/README.md), so it runs there
only with ARXIVGPT_COMPILE_DECODE=on.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

COMPILED_TAG = ", compiled decode"
"""What an engine's name says while its decode step is compiled."""
WARM_UP_MESSAGE = "Say hello."
WARM_UP_TOKENS = 4
"""Enough decode steps to compile the step and, on CUDA, record and replay its graph."""


def compile_config(device: str) -> Any:
    """Decode-step compile settings: static shapes, CUDA graphs on CUDA, no autotuning anywhere."""
    from transformers import CompileConfig

    mode = "reduce-overhead" if device == "cuda" else "default"
    config = CompileConfig(fullgraph=False, dynamic=False, mode=mode)
    # transformers compiles only on accelerators unless told
    config._compile_all_devices = device != "cuda"  # type: ignore[assignment]
    return config


def static_cache(model: Any, capacity: int) -> Any:
    from transformers import StaticCache

    return StaticCache(config=model.config, max_cache_len=capacity)


def torchao_config(precision: str) -> Any:
    """transformers' TorchAoConfig for int8 or float8 weight-only. torchao's own default switches on
    coordinate-descent autotuning for every later compile, which never finished here: it stays off."""
    from torchao.quantization import Float8WeightOnlyConfig, Int8WeightOnlyConfig
    from transformers import TorchAoConfig

    if precision == "fp8":
        return TorchAoConfig(quant_type=Float8WeightOnlyConfig(set_inductor_config=False))
    return TorchAoConfig(quant_type=Int8WeightOnlyConfig(set_inductor_config=False))


def use_compile_cache(data_dir: Path) -> None:
    """Keep torch's compiled graphs under the data dir, so a restart reuses them (unless the user has chosen
    a place with TORCHINDUCTOR_CACHE_DIR)."""
    if "TORCHINDUCTOR_CACHE_DIR" not in os.environ:
        folder = data_dir / "torch-compile"
        folder.mkdir(parents=True, exist_ok=True)
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(folder)


def forget_compiled(model: Any) -> None:
    """Drop transformers' compiled call and dynamo's graphs (after a failure, or to start cold)."""
    import torch

    for attribute in ("_compiled_call", "_last_compile_config"):
        if hasattr(model, attribute):
            delattr(model, attribute)
    model.generation_config.compile_config = None
    torch._dynamo.reset()
