"""Stopping cleanly: what happens between SIGTERM/SIGINT (or the lifespan's end) and the process exiting.

    begin()             every running and queued summary is aborted: its clients get an `error` event
                        (`shutting_down`), the model stops at its next token and nothing is cached
    new requests        503 shutting_down with Retry-After
    a request that      (a paper fetch from arXiv, a template render) gets 503 shutting_down after
    has not answered    `grace` seconds; its thread ends on its own (renders are bounded, fetches time out)

`server.py` calls `begin()` from the signal handler, before uvicorn waits for connections to close, so that
they close at once; `app.py` calls it again when the lifespan ends (for servers started without signals).
"""

from __future__ import annotations

import asyncio
import logging

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arxivgpt.api.errors import describe
from arxivgpt.errors import ShuttingDown
from arxivgpt.summary.flight import abort_all

log = logging.getLogger(__name__)

MESSAGE = "the server is shutting down; try again when it is back"
GRACE_SECONDS = 1.0


class Shutdown:
    """One per app: whether it is stopping, and the event requests wait on."""

    def __init__(self, grace: float = GRACE_SECONDS) -> None:
        self.grace = grace
        self.stopping = False  # new requests are refused
        self._begun = False  # summaries have been aborted
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def attach(self) -> None:
        """Call on the server's event loop when it starts (the lifespan does)."""
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()
        self.stopping = self._begun = False

    def begin(self) -> None:
        """On the event loop: stop every summary and wake the requests that wait."""
        self.stopping = True
        if not self._begun:
            self._begun = True
            aborted = abort_all(ShuttingDown(MESSAGE))
            log.info("shutting down: %d summaries stopped", aborted)
        if self._event is not None:
            self._event.set()

    def begin_threadsafe(self) -> None:
        """From a signal handler or another thread."""
        self.stopping = True  # new requests are refused from now on
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self.begin)

    async def wait(self) -> None:
        """Until `begin()` (forever, for an app whose lifespan never ran)."""
        if self._event is None:
            self._event = asyncio.Event()
        await self._event.wait()


class ShutdownMiddleware:
    """Refuses requests once stopping; answers those still waiting after the grace period with a 503."""

    def __init__(self, app: ASGIApp, shutdown: Shutdown) -> None:
        self.app = app
        self.shutdown = shutdown

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.shutdown.stopping:
            await describe(ShuttingDown(MESSAGE)).response()(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        cut_short = False
        async with anyio.create_task_group() as group:

            async def run() -> None:
                await self.app(scope, receive, tracked)
                group.cancel_scope.cancel()

            group.start_soon(run)
            await self.shutdown.wait()
            await anyio.sleep(self.shutdown.grace)
            cut_short = True
            group.cancel_scope.cancel()
        if cut_short and not started:
            await describe(ShuttingDown(MESSAGE)).response()(scope, receive, send)
