"""Which presets this backend could really load, and for the others why not: decided once, at start-up.

The same checks as loading a model (`loading.choose`: the device, the precision's libraries, memory for
the weights, the offline model's package), run for every preset against this machine's hardware, without
reading any weights. A preset that passes but whose weights are not on disk yet is loadable, with a note
that the first start downloads them (unless the Hugging Face hub is switched off: then it is not loadable).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from arxivgpt.engine.hardware import GIB, Hardware, choose_device, detect
from arxivgpt.engine.loading import choose
from arxivgpt.engine.presets import PRESETS, Preset
from arxivgpt.errors import InvalidInput, ModelLoadError
from arxivgpt.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Availability:
    name: str
    loadable: bool
    reason: str = ""
    """Why it cannot be loaded here (empty when it can)."""
    note: str = ""
    """What loading it would take, when it can ("downloads about 6.7 GB on first start")."""


def survey(settings: Settings, hardware: Hardware | None = None) -> dict[str, Availability]:
    """Every preset by name, as this machine and these settings would load it."""
    if settings.openai_base_url:
        reason = (
            f"this backend sends generation to the model server at {settings.openai_base_url}; "
            "unset ARXIVGPT_OPENAI_BASE_URL to load models here"
        )
        return {name: Availability(name, False, reason) for name in PRESETS}
    try:
        hardware = hardware or detect()
    except ImportError as error:  # no torch: nothing loads locally
        reason = f"PyTorch is not installed ({error}); install the backend with its `local` extra"
        return {name: Availability(name, False, reason) for name in PRESETS}
    found = {name: _check(preset, settings, hardware) for name, preset in PRESETS.items()}
    log.info(
        "models this backend can load: %s",
        ", ".join(name for name, a in found.items() if a.loadable) or "none",
    )
    return found


def _check(preset: Preset, settings: Settings, hardware: Hardware) -> Availability:
    try:
        device = choose_device(settings.device, hardware)
        choice = choose(preset.name, settings.precision, device, hardware, settings)
    except (ModelLoadError, InvalidInput) as error:
        return Availability(preset.name, False, str(error))
    if preset.name == "smollm2-135m" or (preset.name == "stackllama-7b" and settings.stackllama_path):
        return Availability(preset.name, True)  # on disk already
    repos = [preset.model, *([preset.adapter] if preset.adapter else [])]
    missing = [repo for repo in repos if not _in_hub_cache(repo)]
    if not missing:
        return Availability(preset.name, True)
    size = preset.weight_bytes("fp16") / GIB  # what the hub holds; quantising happens after the download
    if _hub_offline():
        reason = (
            f"{', '.join(missing)} is not downloaded and the Hugging Face hub is switched off "
            f"(HF_HUB_OFFLINE); download it where the hub is reachable (about {size:.0f} GiB)"
        )
        return Availability(preset.name, False, reason)
    note = (
        f"the first start downloads {', '.join(missing)} (about {size:.0f} GiB) "
        f"to load it in {choice.precision}"
    )
    return Availability(preset.name, True, note=note)


def _in_hub_cache(repo: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    cached = try_to_load_from_cache(repo, "config.json")
    if cached is None or not isinstance(cached, str):
        cached = try_to_load_from_cache(repo, "adapter_config.json")
    return isinstance(cached, str)


def _hub_offline() -> bool:
    try:
        from huggingface_hub import constants
    except ImportError:
        return True
    return bool(constants.HF_HUB_OFFLINE)
