"""The FastAPI application: heavy objects built once in the lifespan, routers, error mapping and security.

`create_app(settings)` builds the resolver when the server starts, and the engine behind it on a thread of its
own (engine/background.py: the API answers while the model loads); tests inject fakes instead:
`create_app(settings, engine=FakeEngine(...), resolver=PaperResolver(FakeArxiv(...), MemoryStore()))`.
`app.state.shutdown` stops it cleanly (api/shutdown.py): the server calls it on SIGTERM/SIGINT, the lifespan
when it ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from arxivgpt import __version__
from arxivgpt.api.errors import install_error_handlers
from arxivgpt.api.routes import conversations, health, models, papers, prompts, questions, summaries
from arxivgpt.api.security import SecurityMiddleware, check_exposure
from arxivgpt.api.shutdown import Shutdown, ShutdownMiddleware
from arxivgpt.ask.pipeline import Asker
from arxivgpt.engine.availability import survey as survey_models
from arxivgpt.engine.background import BackgroundEngine
from arxivgpt.engine.base import Engine
from arxivgpt.engine.factory import build_engine
from arxivgpt.papers.resolver import PaperResolver, build_resolver
from arxivgpt.papers.source import ArxivClient
from arxivgpt.settings import Settings
from arxivgpt.store.base import PaperStore
from arxivgpt.summary.pipeline import Summarizer

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    resolver: PaperResolver | None = None,
    store: PaperStore | None = None,
) -> FastAPI:
    """The API for `settings`; what is injected is used as is (and not closed), the rest is built at start-up.

    Raises `InvalidInput` when `settings.host` is beyond loopback and no API token is set.
    """
    check_exposure(settings)
    shutdown = Shutdown()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        cleanups: list[Callable[[], None]] = []
        shutdown.attach()
        try:
            # Which presets this machine could load (GET /v1/models), judged once, on a thread: not in the way
            # of the server answering, and started before the model so that its memory is mostly still free.
            app.state.model_availability = asyncio.ensure_future(asyncio.to_thread(survey_models, settings))
            built_engine = engine
            if built_engine is None:  # loads behind the server, which answers meanwhile
                built_engine = BackgroundEngine(
                    lambda chosen: build_engine(settings, on_choice=chosen), settings.model
                )
                cleanups.append(built_engine.close)
            built_resolver = resolver or _build_resolver(settings, store, cleanups)
            summaries_store = store or built_resolver.store
            app.state.settings = settings
            app.state.engine = built_engine
            app.state.resolver = built_resolver
            app.state.store = summaries_store
            app.state.summarizer = Summarizer(built_resolver, built_engine, summaries_store, settings)
            app.state.asker = asker = Asker(built_resolver, built_engine, summaries_store, settings)
            asker.others_waiting = app.state.summarizer.waiting  # questions and summaries share one queue
            app.state.summarizer.others_waiting = asker.waiting
            log.info("serving on %s:%d", settings.host, settings.port)
            yield
        finally:
            shutdown.begin()  # no summary outlives the app, and none is half-stored
            for cleanup in reversed(cleanups):
                cleanup()

    app = FastAPI(
        title="arxivgpt",
        version=__version__,
        summary="Summaries of arXiv papers from a language model on this machine.",
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.shutdown = shutdown
    for module in (
        summaries,
        questions,
        conversations,
        papers,
        prompts,
        models,
        health,
    ):  # papers' {id:path} last
        app.include_router(module.router)
    app.add_middleware(ShutdownMiddleware, shutdown=shutdown)
    app.add_middleware(SecurityMiddleware, settings=settings)
    install_error_handlers(app)
    return app


def _build_resolver(
    settings: Settings, store: PaperStore | None, cleanups: list[Callable[[], None]]
) -> PaperResolver:
    if store is None:
        resolver = build_resolver(settings)
        cleanups.append(resolver.store.close)
    else:
        resolver = PaperResolver(ArxivClient(settings), store, settings.latest_version_ttl)
    if isinstance(resolver.arxiv, ArxivClient):
        cleanups.append(resolver.arxiv.close)
    return resolver
