"""Server-Sent Events for summaries (and questions, whose events routes/questions.py frames): framing, and a
response that stops the generation when the client goes.

event: meta      {"paper": {...}, "model": ..., "source": ..., "cached": ...}
event: progress  {"stage": "reading"|"mapping"|"writing", "message": ..., "part"?, "parts"?, "tokens"?}
event: delta     {"text": ...}                                   (one per piece of text)
event: done      the whole SummaryResult
event: error     {"code": ..., "message": ...}                   (a failure after the stream began)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any, TypeVar

import anyio
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from arxivgpt.api.errors import describe
from arxivgpt.summary.models import Progress
from arxivgpt.summary.pipeline import Delta, Done, Event, Meta

R = TypeVar("R")

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def frame(name: str, data: Any) -> str:
    """One SSE event: `json.dumps` escapes newlines, so the data is always a single line."""
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def event_frame(event: Event) -> str:
    if isinstance(event, Meta):
        paper = event.paper.model_dump(mode="json")
        return frame(
            "meta", {"paper": paper, "model": event.model, "source": event.source, "cached": event.cached}
        )
    if isinstance(event, Delta):
        return frame("delta", {"text": event.text})
    if isinstance(event, Progress):
        return frame("progress", event.model_dump(mode="json", exclude_none=True))
    if isinstance(event, Done):
        return frame("done", event.result.model_dump(mode="json"))
    raise TypeError(f"not a summary event: {event!r}")


async def close(events: AsyncIterator[Any]) -> None:
    """Close a summary's event generator: its flight loses this subscriber (and stops if it was the last)."""
    aclose = getattr(events, "aclose", None)
    if aclose is not None:
        await aclose()


async def final_result(
    request: Request, events: AsyncIterator[Any], result_of: Callable[[Any], R | None]
) -> R | None:
    """For a JSON reply: the result the events end with (`result_of` finds it in an event), or None if the
    client went away first, in which case the events are closed and the generation behind them stops."""
    result = asyncio.ensure_future(_first_result(events, result_of))
    watcher = asyncio.ensure_future(_disconnect(request))
    try:
        await asyncio.wait({result, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        if not result.done():
            result.cancel()
            await asyncio.gather(result, return_exceptions=True)
    return None if result.cancelled() else result.result()


async def _first_result(events: AsyncIterator[Any], result_of: Callable[[Any], R | None]) -> R:
    try:
        async for event in events:
            found = result_of(event)
            if found is not None:
                return found
    finally:
        await close(events)
    raise AssertionError("an event stream ended without its result")


async def _disconnect(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def summary_frames(
    first: Any, events: AsyncIterator[Any], to_frame: Callable[[Any], str] = event_frame
) -> AsyncGenerator[str, None]:
    """`first` (already pulled, so that early errors were HTTP errors) and the rest, as SSE frames."""
    try:
        yield to_frame(first)
        async for event in events:
            yield to_frame(event)
    except Exception as error:
        reported = describe(error)
        yield frame("error", {"code": reported.code, "message": reported.message, **reported.extra})
    finally:
        with anyio.CancelScope(shield=True):
            await close(events)


class EventStreamResponse(StreamingResponse):
    """A summary's events as SSE, watching for the client to leave; either way, the events are closed.

    Starlette's own StreamingResponse does not watch on ASGI spec 2.4 servers and leaves the iterator to the
    garbage collector; a summary must stop the model as soon as nobody reads it. The events are closed here
    too, not only by `summary_frames`, in case the client left before the first frame was asked for.
    """

    media_type = "text/event-stream"

    def __init__(
        self, first: Any, events: AsyncIterator[Any], to_frame: Callable[[Any], str] = event_frame
    ) -> None:
        self.frames = summary_frames(first, events, to_frame)
        self.events = events
        super().__init__(self.frames, headers=SSE_HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with anyio.create_task_group() as group:

                async def stream() -> None:
                    with contextlib.suppress(OSError):  # the server says the client is gone
                        await self.stream_response(send)
                    group.cancel_scope.cancel()

                group.start_soon(stream)
                await self.listen_for_disconnect(receive)
                group.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await self.frames.aclose()
                await close(self.events)
