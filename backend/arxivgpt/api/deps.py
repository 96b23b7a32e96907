"""Tiny accessors for what the lifespan keeps on `app.state`; routes take them as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from arxivgpt.ask.pipeline import Asker
from arxivgpt.engine.background import ready
from arxivgpt.engine.base import Engine
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.settings import Settings
from arxivgpt.summary.pipeline import Summarizer


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_loading_engine(request: Request) -> Engine:
    """The engine as it is, perhaps still loading (engine/background.py): for /healthz."""
    engine: Engine = request.app.state.engine
    return engine


async def get_engine(request: Request) -> Engine:
    """The engine once its model is loaded (waits for it; a failed load raises ModelLoadError)."""
    engine: Engine = request.app.state.engine
    await ready(engine)
    return engine


def get_resolver(request: Request) -> PaperResolver:
    resolver: PaperResolver = request.app.state.resolver
    return resolver


def get_summarizer(request: Request) -> Summarizer:
    summarizer: Summarizer = request.app.state.summarizer
    return summarizer


def get_asker(request: Request) -> Asker:
    asker: Asker = request.app.state.asker
    return asker


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
LoadingEngineDep = Annotated[Engine, Depends(get_loading_engine)]
ResolverDep = Annotated[PaperResolver, Depends(get_resolver)]
SummarizerDep = Annotated[Summarizer, Depends(get_summarizer)]
AskerDep = Annotated[Asker, Depends(get_asker)]
