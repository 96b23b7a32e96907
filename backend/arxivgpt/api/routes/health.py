"""`GET /healthz`: up, and whether its model is loaded (open without a token, for probes).

The server answers as soon as it starts; the model loads behind it (engine/background.py). `status` is `ok`
once it can summarise, `loading` until then (a summary asked meanwhile waits for it), and `failed` with the
reason when the model could not be loaded (summaries then get that reason as a 503).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from arxivgpt.api.deps import LoadingEngineDep
from arxivgpt.engine.background import BackgroundEngine

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "loading", "failed"] = "ok"
    model: str
    """The running engine's name; while loading, the model asked for."""
    message: str | None = None
    """While loading, what is happening; when failed, why and what to change."""
    loading_s: float | None = None
    """Seconds the model has been loading (and warming up), while it does."""


@router.get("/healthz", response_model_exclude_none=True)
async def health(engine: LoadingEngineDep) -> Health:
    """The server is up; `status` says whether its model is ready."""
    if not isinstance(engine, BackgroundEngine):
        return Health(model=engine.name)
    if engine.state == "ready":
        return Health(model=engine.display_name)
    if engine.state == "failed":
        return Health(status="failed", model=engine.label, message=engine.problem)
    return Health(
        status="loading",
        model=engine.label,
        message=f"loading and warming up the model ({engine.seconds:.0f} s so far)",
        loading_s=round(engine.seconds, 1),
    )
