"""POST /v1/questions and the conversation routes: JSON and SSE, the same errors, security, queue and
cancellation as summaries, and conversations that outlive the app."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from arxivgpt.api import create_app
from arxivgpt.engine.background import BackgroundEngine
from arxivgpt.engine.base import Engine
from arxivgpt.engine.fake import FakeEngine
from arxivgpt.errors import ModelLoadError
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import FakeArxiv
from arxivgpt.settings import UNPACKED_EXTENSION_ID, Settings
from arxivgpt.store import MemoryStore, SqliteStore
from tests.api.conftest import BASE_URL, AppFactory, async_client, parse_sse
from tests.api.test_disconnect import leave_once_generating, wait_cancelled

QUESTION = {"paper": "2401.00001", "question": "What does the introduction say?"}
ANSWER = "Introduction text matters [p2]."


def test_a_streamed_answer_is_meta_then_deltas_then_done(client: TestClient, engine: FakeEngine) -> None:
    engine.enqueue(ANSWER + " Conclusion text matters [p3].")
    question = "What do the introduction and the conclusion say?"
    response = client.post("/v1/questions", json={**QUESTION, "question": question, "stream": True})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    events = parse_sse(response.text)
    assert [name for name, _ in events] == ["meta", "delta", "delta", "done"]
    meta, done = events[0][1], events[-1][1]
    assert meta["paper"] == {
        "id": "2401.00001",
        "version": 1,
        "title": "A paper",
        "source": "html",
        "authors": ["A. Author"],
        "notes": [],
    }
    assert meta["turn"] == 1 and meta["conversation_id"] == done["conversation_id"]
    assert [p["passage"] for p in meta["passages"]] == ["p2", "p3"]  # the abstract shares no word
    assert "".join(data["text"] for name, data in events if name == "delta") == done["answer"]
    assert done["answer"] == "Introduction text matters [p2]. Conclusion text matters [p3]."
    assert {"answer", "html", "citations", "conversation_id", "turns", "usage", "timings"} <= set(done)
    assert [(c["passage"], c["quote"]) for c in done["citations"]] == [
        ("p2", "Introduction text that matters."),
        ("p3", "Conclusion text that matters."),
    ]


def test_json_mode_returns_the_same_object(client: TestClient, engine: FakeEngine) -> None:
    engine.enqueue(ANSWER)
    response = client.post("/v1/questions", json=QUESTION)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    result = response.json()
    assert result["answer"] == ANSWER and result["turns"] == 1 and result["answered"] is True
    assert result["citations"][0]["url"] == "https://arxiv.org/html/2401.00001v1"


def test_a_conversation_goes_on_is_read_back_listed_and_deleted(
    client: TestClient, engine: FakeEngine
) -> None:
    engine.enqueue(ANSWER, "Conclusion text matters [p3].")
    first = client.post("/v1/questions", json=QUESTION).json()
    conversation = first["conversation_id"]
    second = client.post(
        "/v1/questions", json={**QUESTION, "question": "And the conclusion?", "conversation_id": conversation}
    ).json()
    assert second["turn"] == 2 and second["conversation_id"] == conversation
    read = client.get(f"/v1/conversations/{conversation}")
    assert read.status_code == 200
    body = read.json()
    assert [t["question"] for t in body["turns"]] == [
        "What does the introduction say?",
        "And the conclusion?",
    ]
    assert body["turns"][1]["citations"] == second["citations"] and body["turn_count"] == 2
    listed = client.get("/v1/papers/2401.00001/conversations").json()
    assert [(c["id"], c["turn_count"]) for c in listed] == [(conversation, 2)]
    assert client.get("/v1/papers/2401.00001v1/conversations").json() == listed
    assert client.get("/v1/papers/2401.00002/conversations").json() == []
    assert client.delete(f"/v1/conversations/{conversation}").status_code == 204
    gone = client.get(f"/v1/conversations/{conversation}")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    assert client.delete(f"/v1/conversations/{conversation}").status_code == 404


def test_old_style_ids_list_their_conversations(client: TestClient, engine: FakeEngine) -> None:
    engine.enqueue(ANSWER)
    made = client.post("/v1/questions", json={**QUESTION, "paper": "hep-th/9901001"}).json()
    listed = client.get("/v1/papers/hep-th/9901001/conversations")
    assert listed.status_code == 200 and [c["id"] for c in listed.json()] == [made["conversation_id"]]
    assert client.get("/v1/papers/hep-th/9901001").json()["title"] == "An old paper"  # still the paper


@pytest.mark.parametrize("stream_flag", [False, True])
@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        ({"question": ""}, 422, "invalid_input", "the question is empty"),
        ({"question": "x" * 2001}, 422, "invalid_input", "the question is 2,001 characters long"),
        ({"conversation_id": "0123456789abcdef"}, 404, "not_found", "there is no conversation"),
        ({"paper": "2401.99999"}, 404, "not_found", "arXiv has no paper 2401.99999"),
        ({"paper": "/etc/passwd.pdf"}, 422, "invalid_input", "the API does not read local files"),
        (
            {"summary": "S", "conversation_id": "x"},
            422,
            "invalid_input",
            "a summary starts a new conversation",
        ),
        ({"model": "vicuna-13b"}, 422, "invalid_input", "this server runs fake"),
        ({"surprise": 1}, 422, "invalid_input", "body.surprise: Extra inputs are not permitted"),
    ],
)
def test_errors_before_the_first_event_are_http_errors_and_store_nothing(
    client: TestClient,
    engine: FakeEngine,
    store: MemoryStore,
    body: dict[str, Any],
    status: int,
    code: str,
    message: str,
    stream_flag: bool,
) -> None:
    response = client.post("/v1/questions", json={**QUESTION, **body, "stream": stream_flag})
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code and message in response.json()["error"]["message"]
    assert engine.prompts == [] and store.conversations == {}


def test_the_conversation_of_another_paper_is_refused(client: TestClient, engine: FakeEngine) -> None:
    engine.enqueue(ANSWER)
    made = client.post("/v1/questions", json=QUESTION).json()
    other = {**QUESTION, "paper": "2401.00002", "conversation_id": made["conversation_id"]}
    refused = client.post("/v1/questions", json=other)
    assert refused.status_code == 422
    assert (
        f"conversation {made['conversation_id']} is about 2401.00001v1" in refused.json()["error"]["message"]
    )


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Host": "evil.example"}, 403),
        ({"Origin": "https://evil.example"}, 403),
        ({"Content-Type": "text/plain"}, 415),
        ({"Origin": "chrome-extension://abcdefghijklmnop"}, 403),  # another extension
        ({"Origin": f"chrome-extension://{UNPACKED_EXTENSION_ID}"}, 200),
    ],
)
def test_the_security_rules_hold_for_questions(
    client: TestClient, engine: FakeEngine, headers: dict[str, str], status: int
) -> None:
    engine.enqueue(ANSWER)
    response = client.post(
        "/v1/questions", content=json.dumps(QUESTION), headers={"Content-Type": "application/json", **headers}
    )
    assert response.status_code == status, response.text


def test_a_token_guards_the_conversations_too(make_app: AppFactory) -> None:
    with TestClient(make_app(api_token="s3cret"), base_url=BASE_URL) as client:
        assert client.get("/v1/conversations/abc").status_code == 401
        assert client.get("/v1/papers/2401.00001/conversations").status_code == 401
        authorised = client.get("/v1/conversations/abc", headers={"Authorization": "Bearer s3cret"})
        assert authorised.status_code == 404


def test_questions_wait_in_the_same_queue_as_summaries(make_app: AppFactory, engine: FakeEngine) -> None:
    engine.piece_delay = 0.02
    engine.enqueue(" ".join(["word"] * 40))

    async def crowd() -> tuple[Any, Any]:
        async with async_client(make_app(max_queue=0)) as http:
            summary = asyncio.ensure_future(http.post("/v1/summaries", json={"paper": "2401.00001"}))
            for _ in range(200):
                if engine.prompts:
                    break
                await asyncio.sleep(0.01)
            refused = await http.post("/v1/questions", json=QUESTION)
            return refused, await summary

    refused, finished = asyncio.run(crowd())
    assert refused.status_code == 429 and refused.headers["retry-after"] == "30"
    assert refused.json()["error"]["code"] == "queue_full" and finished.status_code == 200


@pytest.mark.parametrize("stream_flag", [True, False])
def test_a_client_that_leaves_stops_the_model_and_nothing_is_stored(
    make_app: AppFactory, engine: FakeEngine, store: MemoryStore, stream_flag: bool
) -> None:
    engine.piece_delay = 0.02
    engine.enqueue("Introduction text matters. " * 200)
    body = json.dumps({**QUESTION, "stream": stream_flag}).encode()

    sent = asyncio.run(leave_once_generating(make_app(), body, engine, tokens=3, path="/v1/questions"))
    assert sent[0]["status"] == (200 if stream_flag else 499)
    assert wait_cancelled(engine)
    assert store.conversations == {} and store.turns == {}


def test_conversations_survive_a_restart(tmp_path: Path, arxiv: FakeArxiv) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    engine = FakeEngine(ANSWER)

    def app_client() -> TestClient:
        store = SqliteStore(settings.cache_path)
        return TestClient(
            create_app(settings, engine=engine, resolver=PaperResolver(arxiv, store)), base_url=BASE_URL
        )

    with app_client() as client:
        made = client.post("/v1/questions", json=QUESTION).json()
    with app_client() as client:  # a new app, a new store on the same file
        read = client.get(f"/v1/conversations/{made['conversation_id']}").json()
    assert read["turns"][0]["answer"] == ANSWER and read["turns"][0]["model"] == "fake"


def test_a_question_asked_while_the_model_loads_waits_for_it(
    settings: Settings, arxiv: FakeArxiv, store: MemoryStore
) -> None:
    release = threading.Event()

    def build(chosen: Callable[[str], None]) -> Engine:
        assert release.wait(10)
        return FakeEngine(ANSWER)

    app = create_app(
        settings, engine=BackgroundEngine(build, "smollm2-135m"), resolver=PaperResolver(arxiv, store)
    )
    with TestClient(app, base_url=BASE_URL) as client:
        responses: list[httpx.Response] = []
        asking = threading.Thread(
            target=lambda: responses.append(client.post("/v1/questions", json=QUESTION))
        )
        asking.start()
        asking.join(0.3)
        assert asking.is_alive(), "the question waits for the model"
        empty = client.post("/v1/questions", json={**QUESTION, "question": " "})
        assert empty.status_code == 422  # a question that cannot be asked is refused without waiting
        release.set()
        asking.join(30)
        assert responses[0].status_code == 200 and responses[0].json()["answer"] == ANSWER


def test_a_model_that_cannot_load_is_503_for_questions_too(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", model=str(tmp_path / "missing.gguf"))
    with TestClient(create_app(settings), base_url=BASE_URL) as client:
        engine = client.app.state.engine
        assert isinstance(engine, BackgroundEngine)
        with pytest.raises(ModelLoadError):
            engine.wait(timeout=60)
        response = client.post("/v1/questions", json=QUESTION)
        assert response.status_code == 503 and response.json()["error"]["code"] == "model_unavailable"


def test_shutdown_ends_a_running_answer_with_an_error_event_and_stores_nothing(
    make_app: AppFactory, engine: FakeEngine, store: MemoryStore
) -> None:
    engine.piece_delay = 0.02
    engine.enqueue("Introduction text matters. " * 200)
    app = make_app()

    async def run() -> str:
        async with async_client(app) as http:
            answer = asyncio.ensure_future(
                http.post("/v1/questions", json={**QUESTION, "stream": True}, timeout=30)
            )
            for _ in range(300):
                if engine.generations and engine.generations[-1].usage.completion_tokens > 3:
                    break
                await asyncio.sleep(0.01)
            app.state.shutdown.begin()
            return (await asyncio.wait_for(answer, 5)).text

    events = parse_sse(asyncio.run(run()))
    assert events[-1] == (
        "error",
        {"code": "shutting_down", "message": "the server is shutting down; try again when it is back"},
    )
    assert wait_cancelled(engine) and store.conversations == {}
