"""`GET /healthz`: up, and which model it runs (open without a token, for probes)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from arxivgpt.api.deps import EngineDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    model: str


@router.get("/healthz")
async def health(engine: EngineDep) -> Health:
    """The server is up and its model is loaded."""
    return Health(model=engine.name)
