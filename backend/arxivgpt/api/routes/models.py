"""`GET /v1/models`: the model this server runs, and the presets it could run instead (or why it cannot)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from arxivgpt.api.deps import EngineDep, SettingsDep
from arxivgpt.engine.availability import Availability
from arxivgpt.engine.presets import PRESETS

router = APIRouter(prefix="/v1/models", tags=["models"])


class PresetInfo(BaseModel):
    name: str
    model: str
    context_length: int
    precision: str
    description: str
    running: bool = False
    """This server runs it now."""
    loadable: bool = True
    """This machine could load it (restarting the backend with `--model <name>`)."""
    reason: str = Field(default="", description="why it cannot be loaded here, in words")
    note: str = Field(default="", description="what loading it would take (a first download)")


class ModelsInfo(BaseModel):
    model: str
    """The running engine's name (model, device, precision)."""
    configured: str
    """ARXIVGPT_MODEL as set (`auto`, a preset, a model ID or path)."""
    context_length: int
    presets: list[PresetInfo]


@router.get("")
async def list_models(engine: EngineDep, settings: SettingsDep, request: Request) -> ModelsInfo:
    """The loaded model and every preset, each marked running, loadable, or not with the reason (checked
    once, when the server started; switching models means restarting with ARXIVGPT_MODEL)."""
    found = getattr(request.app.state, "model_availability", None)  # the lifespan's survey, once it is done
    survey: dict[str, Availability] = (await found if isinstance(found, asyncio.Future) else found) or {}
    presets = []
    for p in PRESETS.values():
        running = engine.name == p.name or engine.name.startswith(f"{p.name} ")
        found = Availability(p.name, True) if running else survey.get(p.name, Availability(p.name, True))
        presets.append(
            PresetInfo(
                name=p.name,
                model=p.model,
                context_length=p.context_length,
                precision=p.precision,
                description=p.description,
                running=running,
                loadable=found.loadable,
                reason=found.reason,
                note=found.note,
            )
        )
    return ModelsInfo(
        model=engine.name, configured=settings.model, context_length=engine.context_length, presets=presets
    )
