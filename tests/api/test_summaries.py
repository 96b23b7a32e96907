"""POST /v1/summaries: JSON and SSE, the cache, single flight, the queue, and errors before and after 200."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from arxivgpt.engine.base import Generation, GenerationOptions
from arxivgpt.engine.fake import FakeEngine
from arxivgpt.errors import ModelError, SourceUnavailable
from arxivgpt.papers.source import FakeArxiv
from arxivgpt.store import MemoryStore
from tests.api.conftest import BIBLIOGRAPHY, PREFIX, REPLY, AppFactory, async_client, parse_sse
from tests.support.templates import FREE_TEMPLATE

PAPER = {"paper": "2401.00001", "template": FREE_TEMPLATE}  # the single-prompt path; parts: test_parts.py


def stream(client: TestClient, **body: Any) -> list[tuple[str, Any]]:
    response = client.post("/v1/summaries", json={**PAPER, "stream": True, **body})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    return parse_sse(response.text)


def test_stream_is_meta_then_deltas_then_done(client: TestClient, engine: FakeEngine) -> None:
    engine.enqueue(REPLY)
    events = stream(client)
    names = [name for name, _ in events]
    assert names[0] == "meta" and names[-1] == "done"
    assert names[1] == "progress" and set(names[2:-1]) == {"delta"} and len(names) > 10
    assert events[1][1] == {"stage": "reading", "message": "reading 16 tokens of the paper", "tokens": 16}
    meta = events[0][1]
    assert meta == {
        "paper": {
            "id": "2401.00001",
            "version": 1,
            "title": "A paper",
            "source": "html",
            "authors": ["A. Author"],
            "notes": [],
        },
        "model": "fake",
        "source": "html",
        "cached": False,
    }
    assert "".join(data["text"] for name, data in events if name == "delta") == PREFIX + REPLY
    done = events[-1][1]
    assert {"summary", "html", "references", "usage", "timings", "strategy", "cached", "paper"} <= set(done)
    assert done["cached"] is False and done["model"] == "fake"


def test_json_mode_returns_one_summary_result(client: TestClient, engine: FakeEngine) -> None:
    engine.enqueue(REPLY)
    response = client.post("/v1/summaries", json=PAPER)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    result = response.json()
    assert result["paper"]["id"] == "2401.00001" and result["cached"] is False
    assert "We show things [1]." in result["summary"]
    assert result["usage"]["completion_tokens"] > 0


def test_accept_event_stream_streams_without_the_flag(client: TestClient) -> None:
    response = client.post("/v1/summaries", json=PAPER, headers={"Accept": "text/event-stream"})
    assert response.headers["content-type"].startswith("text/event-stream")
    assert [name for name, _ in parse_sse(response.text)][-1] == "done"


def test_references_are_verbatim_and_unknown_citations_counted(
    client: TestClient, engine: FakeEngine
) -> None:
    engine.enqueue(REPLY)
    result = client.post("/v1/summaries", json=PAPER).json()
    assert [ref["n"] for ref in result["references"]] == [1, 2]
    assert all(ref["text"] in BIBLIOGRAPHY for ref in result["references"])
    assert result["unknown_citations"] == 1
    assert "[99]" not in result["summary"]


def test_html_has_no_script_even_when_the_model_writes_one(client: TestClient, engine: FakeEngine) -> None:
    engine.enqueue(REPLY)
    result = client.post("/v1/summaries", json=PAPER).json()
    assert "<script" not in result["html"].lower()
    assert "<h2" in result["html"]


def test_a_second_request_is_cached_and_refresh_regenerates(client: TestClient, engine: FakeEngine) -> None:
    first = client.post("/v1/summaries", json=PAPER).json()
    events = stream(client)
    assert events[0][1]["cached"] is True and events[-1][1]["cached"] is True
    assert events[-1][1]["summary"] == first["summary"]
    assert len(engine.prompts) == 1
    refreshed = client.post("/v1/summaries", json={**PAPER, "refresh": True}).json()
    assert refreshed["cached"] is False
    assert len(engine.prompts) == 2


def test_identical_requests_at_once_share_one_generation(make_app: AppFactory, engine: FakeEngine) -> None:
    engine.piece_delay = 0.01
    engine.enqueue(REPLY)

    async def both() -> list[Any]:
        async with async_client(make_app()) as http:
            return list(
                await asyncio.gather(
                    http.post("/v1/summaries", json=PAPER),
                    http.post("/v1/summaries", json={**PAPER, "stream": True}),
                )
            )

    as_json, as_events = asyncio.run(both())
    assert len(engine.prompts) == 1
    done = parse_sse(as_events.text)[-1][1]
    assert as_json.json()["summary"] == done["summary"]
    assert as_json.json()["cached"] is False and done["cached"] is False  # joined, not read from the cache


def test_a_full_queue_is_429_with_retry_after(make_app: AppFactory, engine: FakeEngine) -> None:
    engine.piece_delay = 0.02
    engine.enqueue(" ".join(["word"] * 30))

    async def crowd() -> tuple[Any, Any]:
        async with async_client(make_app(max_queue=0)) as http:
            running = asyncio.ensure_future(http.post("/v1/summaries", json=PAPER))
            for _ in range(200):
                if engine.prompts:
                    break
                await asyncio.sleep(0.01)
            refused = await http.post("/v1/summaries", json={"paper": "2401.00002"})
            return refused, await running

    refused, finished = asyncio.run(crowd())
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "30"
    assert refused.json()["error"]["code"] == "queue_full"
    assert "waiting for the model" in refused.json()["error"]["message"]
    assert finished.status_code == 200


@pytest.mark.parametrize("stream_flag", [False, True])
@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        ({"paper": "2401.99999"}, 404, "not_found", "arXiv has no paper 2401.99999"),
        ({"paper": "not an id"}, 422, "invalid_input", "'not an id' is not an arXiv ID"),
        ({"paper": "https://evil.example/abs/2401.00001"}, 422, "invalid_input", "not an arXiv URL"),
        ({**PAPER, "model": "vicuna-13b"}, 422, "invalid_input", "this server runs fake"),
        ({**PAPER, "template": "Hi\n\n{% for %}"}, 422, "template_error", "template line 3"),
        ({**PAPER, "template": "{{ titel }}"}, 422, "template_error", "'titel' is undefined"),
        ({**PAPER, "max_new_tokens": 1}, 422, "invalid_input", "body.max_new_tokens"),
        ({**PAPER, "surprise": 1}, 422, "invalid_input", "body.surprise: Extra inputs are not permitted"),
    ],
)
def test_errors_before_the_first_event_are_http_errors(
    client: TestClient,
    engine: FakeEngine,
    body: dict[str, Any],
    status: int,
    code: str,
    message: str,
    stream_flag: bool,
) -> None:
    response = client.post("/v1/summaries", json={**body, "stream": stream_flag})
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == code
    assert message in error["message"]
    assert engine.prompts == []


def test_a_template_error_names_its_line(client: TestClient) -> None:
    response = client.post("/v1/summaries", json={**PAPER, "template": "ok\n{{ title }}\n{{ nope }}"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["line"]) == ("template_error", 3)
    assert error["message"].startswith("template line 3: 'nope' is undefined")


def test_local_files_are_not_read_over_http(client: TestClient, tmp_path: Path) -> None:
    page = tmp_path / "paper.html"
    page.write_text("<html><body><p>secret</p></body></html>")
    response = client.post("/v1/summaries", json={"paper": str(page)})
    assert response.status_code == 422
    assert "does not read local files" in response.json()["error"]["message"]


def test_arxiv_failing_is_503(client: TestClient, arxiv: FakeArxiv) -> None:
    arxiv.failures["metadata"] = SourceUnavailable("arXiv did not answer after 3 tries; try again later")
    response = client.post("/v1/summaries", json=PAPER)
    assert response.status_code == 503
    assert response.json() == {
        "error": {
            "code": "upstream_unavailable",
            "message": "arXiv did not answer after 3 tries; try again later",
        }
    }


class FailingEngine(FakeEngine):
    """Writes a few words, then fails the way a model can (or with a bug, when `error` is not ours)."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def generate(self, prompt: str, options: GenerationOptions) -> Generation:
        generation = super().generate(prompt, options)
        pieces = generation.pieces

        def then_fail() -> Iterator[str]:
            yield next(pieces)
            yield next(pieces)
            raise self.error

        generation.pieces = then_fail()
        return generation


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (ModelError("CUDA out of memory; try ARXIVGPT_PRECISION=nf4"), "model_error", "CUDA out of memory"),
        (RuntimeError("a bug with /secret/path in it"), "internal_error", "internal error"),
    ],
)
def test_an_error_after_the_stream_began_is_an_error_event(
    arxiv: FakeArxiv, settings: Any, error: Exception, code: str, message: str
) -> None:
    from arxivgpt.api import create_app
    from arxivgpt.papers.resolver import PaperResolver

    app = create_app(settings, engine=FailingEngine(error), resolver=PaperResolver(arxiv, MemoryStore()))
    with TestClient(app, base_url="http://localhost") as client:
        events = stream(client)
        names = [name for name, _ in events]
        # what it is reading, the answer prefix, two pieces, then the error
        assert names == ["meta", "progress", "delta", "delta", "delta", "error"]
        assert events[-1][1]["code"] == code
        assert events[-1][1]["message"].startswith(message)
        assert "secret" not in events[-1][1]["message"]
        as_json = client.post("/v1/summaries", json=PAPER)
        assert as_json.status_code == 500
        assert as_json.json()["error"]["code"] == code
