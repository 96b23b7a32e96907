"""`POST /v1/summaries`: one JSON SummaryResult, or Server-Sent Events as the model writes."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from arxivgpt.api.deps import SummarizerDep
from arxivgpt.api.papers import check_remote_paper
from arxivgpt.api.sse import EventStreamResponse, final_result
from arxivgpt.summary.models import SummaryRequest, SummaryResult
from arxivgpt.summary.pipeline import Done

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
    result = await final_result(request, summarizer.events(body), _result_of)
    if result is None:
        return Response(status_code=499)  # nobody is listening; nginx's "client closed request"
    return Response(result.model_dump_json(), media_type="application/json")


def _result_of(event: object) -> SummaryResult | None:
    return event.result if isinstance(event, Done) else None
