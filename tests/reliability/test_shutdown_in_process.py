"""The shutdown path inside the app (no signals): requests after it begins are refused, summaries are aborted
with `shutting_down`, and the lifespan's end does the same for servers started without signal handlers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from arxivgpt.api import create_app
from arxivgpt.engine.fake import FakeEngine
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import FakeArxiv
from arxivgpt.settings import Settings
from arxivgpt.store import MemoryStore
from tests.api.conftest import BASE_URL, BIBLIOGRAPHY, SECTIONS, async_client, metadata, parse_sse
from tests.support.latexml import latexml

pytestmark = pytest.mark.reliability


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def app(tmp_path: Path, store: MemoryStore) -> FastAPI:
    arxiv = FakeArxiv()
    arxiv.add(metadata("2401.00001", "A paper"), html=latexml("A paper", BIBLIOGRAPHY, SECTIONS))
    engine = FakeEngine(piece_delay=0.02)
    engine.replies.extend([" ".join(["word"] * 300)] * 20)
    return create_app(Settings(data_dir=tmp_path), engine=engine, resolver=PaperResolver(arxiv, store))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client


def test_requests_after_shutdown_began_are_refused_clearly(client: TestClient, app: FastAPI) -> None:
    assert client.get("/healthz").status_code == 200
    app.state.shutdown.begin_threadsafe()
    for method, path in [("GET", "/healthz"), ("GET", "/v1/papers/2401.00001"), ("POST", "/v1/summaries")]:
        response = client.request(method, path, json={"paper": "2401.00001"} if method == "POST" else None)
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "shutting_down"
        assert response.json()["error"]["message"] == "the server is shutting down; try again when it is back"
        assert response.headers["Retry-After"] == "10"
        assert response.headers["Connection"] == "close"


def test_a_running_summary_is_aborted_with_an_error_event(app: FastAPI, store: MemoryStore) -> None:
    async def run() -> str:
        async with async_client(app) as http:
            stream = asyncio.ensure_future(
                http.post("/v1/summaries", json={"paper": "2401.00001", "stream": True}, timeout=30)
            )
            await asyncio.sleep(0.5)
            app.state.shutdown.begin()
            return (await asyncio.wait_for(stream, 5)).text

    events = parse_sse(asyncio.run(run()))
    assert events[-1] == (
        "error",
        {"code": "shutting_down", "message": "the server is shutting down; try again when it is back"},
    )
    assert "done" not in [name for name, _ in events]
    assert store.summaries == {}
