"""GGUF checkpoints, converted once to safetensors so that later loads take a second instead of half a minute.

transformers reads GGUF by dequantising every tensor, which costs 20-35 s on each load of even a 135M model;
the converted copy lives under the data dir, keyed by the file and the transformers version.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
from pathlib import Path

from arxivgpt.errors import ModelLoadError

log = logging.getLogger(__name__)
_DONE = ".converted"


def converted_dir(gguf: Path, data_dir: Path) -> Path:
    """The safetensors copy of `gguf` under `data_dir/models`, converting it first if needed."""
    import transformers

    stat = gguf.stat()
    key = hashlib.sha256(
        f"{gguf.resolve()}:{stat.st_size}:{stat.st_mtime_ns}:{transformers.__version__}".encode()
    ).hexdigest()[:12]
    target = data_dir / "models" / f"{gguf.stem}-{key}"
    if (target / _DONE).exists():
        return target
    _convert(gguf, target)
    return target


def _convert(gguf: Path, target: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    log.info("converting %s to safetensors once (about half a minute on a CPU)", gguf.name)
    staging = target.with_name(f"{target.name}.partial-{os.getpid()}")
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype="float32")
        # The GGUF loader marks the model as quantised; the dequantised copy is plain float32.
        if hasattr(model, "hf_quantizer"):
            del model.hf_quantizer
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / _DONE).write_text(gguf.name, encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    except (OSError, ValueError, RuntimeError) as error:
        raise ModelLoadError(f"could not convert {gguf}: {error}") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("converted %s in %.1f s into %s", gguf.name, time.perf_counter() - started, target)
