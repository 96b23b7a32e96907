"""Single-flight: requests for the same summary at the same time share one generation.

A `Flight` runs the blocking work on a thread and records every piece it produces; each subscriber reads the
record from the start, so a request that joins late still gets the whole text. When the last subscriber goes
away before the end, the flight is cancelled (the model stops within a token).

`abort_all(error)` (server shutdown) cancels every unfinished flight and ends its subscribers' streams at once
with `error`; the work stops at its next token and stores nothing.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any, Generic, TypeVar

from arxivgpt.summary.models import Progress

Result = TypeVar("Result")
Piece = str | Progress
"""Text of the answer, or a note on what the work is doing now."""


class Flight(Generic[Result]):
    def __init__(self, work: Callable[[Flight[Result]], Result]) -> None:
        self._work = work
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self.pieces: list[Piece] = []
        self.result: Result | None = None
        self.error: BaseException | None = None
        self.done = False
        self.cancelled = threading.Event()
        self.subscribers = 0
        self.task = asyncio.ensure_future(asyncio.to_thread(self._run))
        _UNFINISHED.add(self)  # for abort_all

    def _run(self) -> None:
        try:
            result = self._work(self)
            self._loop.call_soon_threadsafe(self._finish, result, None)
        except BaseException as error:  # handed to every subscriber
            self._loop.call_soon_threadsafe(self._finish, None, error)

    def emit(self, piece: Piece) -> None:
        """Called from the worker thread for each piece of text (and each progress note)."""
        self._loop.call_soon_threadsafe(self._append, piece)

    def _append(self, piece: Piece) -> None:
        self.pieces.append(piece)
        self._wake()

    def _finish(self, result: Result | None, error: BaseException | None) -> None:
        if self.done:  # aborted already: the work's own ending comes later and changes nothing
            return
        self.result, self.error, self.done = result, error, True
        _UNFINISHED.discard(self)
        self._wake()

    def abort(self, error: BaseException) -> None:
        """Cancel the work (it stops at its next token) and end every subscriber now with `error`."""
        self.cancelled.set()
        self._finish(None, error)

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def join(self) -> None:
        self.subscribers += 1

    def leave(self) -> None:
        """A subscriber is gone; with none left before the end, the work is cancelled."""
        self.subscribers -= 1
        if self.subscribers == 0 and not self.done:
            self.cancelled.set()

    @property
    def joinable(self) -> bool:
        return not self.done and not self.cancelled.is_set()

    async def follow(self) -> AsyncIterator[Piece]:
        """Every piece, from the first; then returns (the result is in `result`) or raises the flight's error.

        Call `join()` before and `leave()` after: a subscriber counts from the moment it has the flight.
        """
        seen = 0
        while True:
            changed = self._changed
            while seen < len(self.pieces):
                seen += 1
                yield self.pieces[seen - 1]
            if self.done:
                break
            await changed.wait()
        if self.error is not None:
            raise self.error


_UNFINISHED: weakref.WeakSet[Flight[Any]] = weakref.WeakSet()


def abort_all(error: BaseException) -> int:
    """Abort every unfinished flight of the running event loop with `error`; how many there were."""
    loop = asyncio.get_running_loop()
    flights = [flight for flight in list(_UNFINISHED) if flight._loop is loop and not flight.done]
    for flight in flights:
        flight.abort(error)
    return len(flights)
