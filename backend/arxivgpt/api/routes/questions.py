"""`POST /v1/questions`: a question about a paper, answered from its passages; JSON, or SSE as it is written.

event: meta   {"paper", "model", "source", "conversation_id", "turn", "passages": [...], "history"}
event: delta  {"text"}        (sentence by sentence: each one checked before it is sent)
event: done   the whole AnswerResult
event: error  {"code", "message"}   (a failure after the stream began)
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from arxivgpt.api.deps import AskerDep
from arxivgpt.api.papers import check_remote_paper
from arxivgpt.api.sse import EventStreamResponse, final_result, frame
from arxivgpt.ask.models import AnswerResult, QuestionRequest
from arxivgpt.ask.pipeline import Delta, Done, Event, Meta

router = APIRouter(prefix="/v1/questions", tags=["questions"])

STREAM_DOC = {
    "description": "With `stream: true` or `Accept: text/event-stream`: events `meta`, `delta`..., `done` "
    "(the AnswerResult), or `error` if something fails after the stream began.",
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


def question_frame(event: Event) -> str:
    if isinstance(event, Meta):
        return frame(
            "meta",
            {
                "paper": event.paper.model_dump(mode="json"),
                "model": event.model,
                "source": event.source,
                "conversation_id": event.conversation_id,
                "turn": event.turn,
                "passages": [p.model_dump(mode="json") for p in event.passages],
                "history": event.history.model_dump(mode="json"),
            },
        )
    if isinstance(event, Delta):
        return frame("delta", {"text": event.text})
    if isinstance(event, Done):
        return frame("done", event.result.model_dump(mode="json"))
    raise TypeError(f"not a question event: {event!r}")


@router.post("", response_model=AnswerResult, responses={200: STREAM_DOC})
async def ask_question(body: QuestionRequest, request: Request, asker: AskerDep) -> Response:
    """Ask about a paper, in a new conversation or (with `conversation_id`) a going one. Errors found before
    the first event (bad input, unknown paper or conversation, a full queue) are ordinary HTTP errors;
    closing the connection stops the model and stores nothing."""
    check_remote_paper(body.paper)
    if body.stream or "text/event-stream" in request.headers.get("accept", "").lower():
        events = asker.events(body)
        first = await anext(events)
        return EventStreamResponse(first, events, question_frame)
    result = await final_result(request, asker.events(body), _result_of)
    if result is None:
        return Response(status_code=499)  # nobody is listening; nginx's "client closed request"
    return Response(result.model_dump_json(), media_type="application/json")


def _result_of(event: object) -> AnswerResult | None:
    return event.result if isinstance(event, Done) else None
