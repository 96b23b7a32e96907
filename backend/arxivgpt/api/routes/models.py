"""`GET /v1/models`: the model this server runs, and the presets it could run instead."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from arxivgpt.api.deps import EngineDep, SettingsDep
from arxivgpt.engine.presets import PRESETS

router = APIRouter(prefix="/v1/models", tags=["models"])


class PresetInfo(BaseModel):
    name: str
    model: str
    context_length: int
    precision: str
    description: str


class ModelsInfo(BaseModel):
    model: str
    """The running engine's name (model, device, precision)."""
    configured: str
    """ARXIVGPT_MODEL as set (`auto`, a preset, a model ID or path)."""
    context_length: int
    presets: list[PresetInfo]


@router.get("")
async def list_models(engine: EngineDep, settings: SettingsDep) -> ModelsInfo:
    """The loaded model and every preset (switching models means restarting with ARXIVGPT_MODEL)."""
    presets = [
        PresetInfo(
            name=p.name,
            model=p.model,
            context_length=p.context_length,
            precision=p.precision,
            description=p.description,
        )
        for p in PRESETS.values()
    ]
    return ModelsInfo(
        model=engine.name, configured=settings.model, context_length=engine.context_length, presets=presets
    )
