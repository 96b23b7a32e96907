"""`POST /v1/summaries`: one JSON SummaryResult, or Server-Sent Events as the model writes."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from arxivgpt.api.deps import SummarizerDep
from arxivgpt.api.papers import check_remote_paper
from arxivgpt.api.sse import EventStreamResponse, close
from arxivgpt.summary.models import SummaryRequest, SummaryResult
from arxivgpt.summary.pipeline import Done, Summarizer

router = APIRouter(prefix="/v1/summaries", tags=["summaries"])

STREAM_DOC = {
    "description": "With `stream: true` or `Accept: text/event-stream`: events `meta`, `delta`..., `done` "
    "(the SummaryResult), or `error` if something fails after the stream began.",
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


def wants_stream(body: SummaryRequest, request: Request) -> bool:
    return body.stream or "text/event-stream" in request.headers.get("accept", "").lower()


@router.post("", response_model=SummaryResult, responses={200: STREAM_DOC})
async def create_summary(body: SummaryRequest, request: Request, summarizer: SummarizerDep) -> Response:
    """Summarise a paper. Errors found before the first event (bad input, unknown paper, arXiv down,
    full queue, template errors) are ordinary HTTP errors; closing the connection stops the model."""
    check_remote_paper(body.paper)
    if wants_stream(body, request):
        events = summarizer.events(body)
        first = await anext(events)
        return EventStreamResponse(first, events)
    result = await _unless_disconnected(request, summarizer, body)
    if result is None:
        return Response(status_code=499)  # nobody is listening; nginx's "client closed request"
    return Response(result.model_dump_json(), media_type="application/json")


async def _unless_disconnected(
    request: Request, summarizer: Summarizer, body: SummaryRequest
) -> SummaryResult | None:
    """The summary, or None if the client went away first (its generation is then cancelled)."""
    summary = asyncio.ensure_future(_result(summarizer, body))
    watcher = asyncio.ensure_future(_disconnect(request))
    try:
        await asyncio.wait({summary, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        if not summary.done():
            summary.cancel()
            await asyncio.gather(summary, return_exceptions=True)
    return summary.result() if not summary.cancelled() else None


async def _result(summarizer: Summarizer, body: SummaryRequest) -> SummaryResult:
    events = summarizer.events(body)
    try:
        async for event in events:
            if isinstance(event, Done):
                return event.result
    finally:
        await close(events)
    raise AssertionError("a summary stream ended without Done")


async def _disconnect(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass
