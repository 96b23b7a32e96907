"""Settings to an `Engine`: the OpenAI-compatible client, or a local model chosen for this machine."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from arxivgpt.engine.base import Engine
from arxivgpt.engine.hardware import GIB, Hardware, choose_device, detect
from arxivgpt.engine.loading import MEMORY_HEADROOM, choose, load
from arxivgpt.engine.presets import PRESETS
from arxivgpt.engine.prompt_formats import FIXED_FORMATS
from arxivgpt.settings import Settings

log = logging.getLogger(__name__)
AUTO_GPU_MODEL, AUTO_FALLBACK = "vicuna-7b", "smollm2-135m"


@dataclass(frozen=True)
class AutoPick:
    model: str
    reason: str


def pick_auto(hardware: Hardware, fast_gpu: bool = False) -> AutoPick:
    """vicuna-7b in 8-bit where a CUDA GPU has room for it; otherwise the small offline model."""
    preset = PRESETS[AUTO_GPU_MODEL]
    needed = preset.weight_bytes("int8") * MEMORY_HEADROOM
    quantizer = hardware.torchao if fast_gpu else hardware.bitsandbytes  # who stores int8 (loading.py)
    if hardware.cuda and quantizer and hardware.cuda_free_bytes >= needed:
        return AutoPick(
            AUTO_GPU_MODEL, f"{hardware.cuda_name} has {hardware.cuda_free_bytes / GIB:.1f} GiB free"
        )
    if not hardware.cuda:
        why = "there is no CUDA GPU"
    elif not quantizer:
        why = f"{'torchao' if fast_gpu else 'bitsandbytes'} is not installed"
    else:
        free = hardware.cuda_free_bytes / GIB
        why = f"{hardware.cuda_name} has {free:.1f} GiB free, under the {needed / GIB:.1f} needed"
    return AutoPick(AUTO_FALLBACK, f"{why} for {AUTO_GPU_MODEL} in int8")


def build_engine(
    settings: Settings, hardware: Hardware | None = None, on_choice: Callable[[str], None] | None = None
) -> Engine:
    """The one engine of this process (build it once, at start-up). `on_choice` hears the model's name as
    soon as it is chosen, before the weights are read."""
    if settings.openai_base_url:
        return _openai_engine(settings)
    hardware = hardware or detect()
    model = settings.model
    if model == "auto":
        pick = pick_auto(hardware, settings.fast_gpu)
        log.info("ARXIVGPT_MODEL=auto: using %s because %s", pick.model, pick.reason)
        model = pick.model
    device = choose_device(settings.device, hardware)
    choice = choose(model, settings.precision, device, hardware, settings)
    if on_choice is not None:
        on_choice(choice.name)
    engine: Engine = load(choice, settings)
    return engine


def _openai_engine(settings: Settings) -> Engine:
    from arxivgpt.engine.openai_compat import OpenAICompatibleEngine

    preset = PRESETS.get(settings.model)
    served = settings.openai_model or (
        settings.model if preset is None and settings.model != "auto" else None
    )
    if served is None:
        served = preset.model if preset else "default"
    prompt_format = FIXED_FORMATS.get(preset.prompt_format) if preset else None
    return OpenAICompatibleEngine(
        settings.openai_base_url or "",
        served,
        api_key=settings.openai_api_key,
        api=settings.openai_api,
        prompt_format=prompt_format,
        context_length=preset.context_length if preset else 4096,
        timeout=settings.openai_timeout,
    )
