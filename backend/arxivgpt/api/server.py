"""`serve(settings)`: the API under uvicorn, one process and one worker (the model lives in this process).

SIGTERM and SIGINT stop it within a few seconds whatever it is doing:

1. the signal handler starts the app's shutdown at once (api/shutdown.py): summaries are aborted, clients
   get an `error` event, requests still waiting get a 503 after a second;
2. uvicorn stops listening and waits for connections, at most `GRACEFUL_SECONDS`, then cancels what is left;
3. the lifespan closes the model and the cache;
4. worker threads get `THREAD_SECONDS` to finish; one still blocked (a read from arXiv can wait for
   ARXIVGPT_ARXIV_TIMEOUT) is not waited for: the process exits anyway, as Python cannot stop a thread.
   SQLite commits are atomic, so an unfinished write leaves no half-row.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
import time
from types import FrameType

import uvicorn
from fastapi import FastAPI

from arxivgpt.api.app import create_app
from arxivgpt.settings import Settings

log = logging.getLogger(__name__)

GRACEFUL_SECONDS = 3
THREAD_SECONDS = 2.0


class _Server(uvicorn.Server):
    """uvicorn's server, telling the app about a signal as soon as it arrives."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self.arxivgpt = app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self.arxivgpt.state.shutdown.begin_threadsafe()


def serve(settings: Settings, app: FastAPI | None = None) -> None:
    """Listen on settings.host:settings.port until SIGTERM or SIGINT (with `app`, tests' fakes inside)."""
    if app is None:
        app = create_app(settings)  # raises InvalidInput before binding when the host needs a token
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        workers=1,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )
    server = _Server(config, app)
    earlier = set(threading.enumerate())  # only threads the server started can hold its exit
    loop = asyncio.new_event_loop()
    interrupted = False
    try:
        loop.run_until_complete(server.serve())  # uvicorn re-raises the signal it stopped for, at the end
    except KeyboardInterrupt:
        interrupted = True
    finally:
        stuck = _stop_threads(loop, earlier)
    if stuck:
        log.warning("exiting with %d thread(s) still busy: %s", len(stuck), ", ".join(stuck))
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(128 + signal.SIGINT if interrupted else 0)
    if interrupted:
        raise KeyboardInterrupt


def _stop_threads(loop: asyncio.AbstractEventLoop, earlier: set[threading.Thread]) -> list[str]:
    """Wait up to THREAD_SECONDS for worker threads to end; the names of those that did not."""
    deadline = time.monotonic() + THREAD_SECONDS
    try:
        loop.run_until_complete(asyncio.wait_for(loop.shutdown_default_executor(), THREAD_SECONDS))
    except asyncio.TimeoutError:
        pass
    finally:
        loop.close()
    started = [thread for thread in threading.enumerate() if thread not in earlier]
    for thread in started:
        if _blocks_exit(thread):
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return [thread.name for thread in started if _blocks_exit(thread)]


def _blocks_exit(thread: threading.Thread) -> bool:
    return thread.is_alive() and not thread.daemon and thread is not threading.current_thread()
