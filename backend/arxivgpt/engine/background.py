"""The engine built on a background thread, so the server answers while the model loads and warms up.

Importing torch takes seconds, a 7B model tens of seconds more, and compiling its decode step about a minute
on a GPU. The API starts listening at once: `/healthz` says `loading` (or `failed`, with the reason), and a
summary that arrives meanwhile waits for the model instead of failing. Async code awaits `ready(engine)`
before it touches the engine; the Engine methods themselves block until the model is there.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Literal

from arxivgpt.engine.base import Engine, Generation, GenerationOptions
from arxivgpt.errors import ArxivGPTError, ModelLoadError

log = logging.getLogger(__name__)
LoadState = Literal["loading", "ready", "failed"]


Build = Callable[[Callable[[str], None]], Engine]
"""Makes the engine; calls its argument with the model's name as soon as it is chosen."""


class BackgroundEngine:
    """An `Engine` whose model `build` makes on its own thread; `state` says how far that is."""

    def __init__(self, build: Build, label: str) -> None:
        self.label = label
        """What is being loaded: what was asked for (ARXIVGPT_MODEL), then the chosen model's name."""
        self._future: Future[Engine] = Future()
        self._started = time.monotonic()
        self._finished: float | None = None
        self._closed = False
        self._lock = threading.Lock()
        threading.Thread(target=self._build, args=(build,), name="load-model", daemon=True).start()

    def _build(self, build: Build) -> None:
        try:
            engine = build(self._chosen)
        except BaseException as error:  # reported through the future, and by /healthz
            log.error("the model could not be loaded: %s", error)
            self._finish(None, _as_load_error(error, self.label))
            return
        log.info("%s is ready after %.1f s", engine.name, time.monotonic() - self._started)
        self._finish(engine, None)

    def _chosen(self, name: str) -> None:
        self.label = name

    def _finish(self, engine: Engine | None, error: ModelLoadError | None) -> None:
        with self._lock:
            self._finished = time.monotonic()
            if engine is not None and self._closed:
                engine.close()  # the server stopped while the model was loading
            if engine is not None:
                self._future.set_result(engine)
            else:
                self._future.set_exception(error or ModelLoadError(f"{self.label} could not be loaded"))

    @property
    def state(self) -> LoadState:
        if not self._future.done():
            return "loading"
        return "failed" if self._future.exception() is not None else "ready"

    @property
    def problem(self) -> str | None:
        """Why loading failed, in words a user can act on; None unless `state` is "failed"."""
        error = self._future.exception() if self._future.done() else None
        return str(error) if error is not None else None

    @property
    def seconds(self) -> float:
        """How long loading has taken (so far, while it runs)."""
        return (self._finished or time.monotonic()) - self._started

    @property
    def display_name(self) -> str:
        """The engine's name once loaded; until then what was asked for."""
        return self.wait().name if self.state == "ready" else self.label

    def wait(self, timeout: float | None = None) -> Engine:
        """The loaded engine; raises ModelLoadError if loading failed."""
        return self._future.result(timeout)

    async def ready(self) -> Engine:
        return await asyncio.wrap_future(self._future)

    # The Engine protocol, each call waiting for the model.
    @property
    def name(self) -> str:
        return self.wait().name

    @property
    def context_length(self) -> int:
        return self.wait().context_length

    def format_prompt(self, message: str) -> str:
        return self.wait().format_prompt(message)

    def count_tokens(self, text: str) -> int:
        return self.wait().count_tokens(text)

    def prompt_tokens(self, prompt: str) -> int:
        return self.wait().prompt_tokens(prompt)

    def generate(self, prompt: str, options: GenerationOptions) -> Generation:
        return self.wait().generate(prompt, options)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            loaded = self._future.done() and self._future.exception() is None
        if loaded:
            self._future.result().close()


async def ready(engine: Engine) -> None:
    """Wait, without blocking the event loop, until `engine` can be used (at once for a loaded one)."""
    if isinstance(engine, BackgroundEngine):
        await engine.ready()


def _as_load_error(error: BaseException, label: str) -> ModelLoadError:
    if isinstance(error, ModelLoadError):
        return error
    if isinstance(error, ArxivGPTError):
        return ModelLoadError(str(error))
    return ModelLoadError(f"{label} could not be loaded: {type(error).__name__}: {error}")
