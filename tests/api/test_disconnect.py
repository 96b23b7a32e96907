"""A client that goes away stops its generation: the model is cancelled and nothing is stored."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncGenerator, Iterator, MutableMapping
from typing import Any, cast

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from arxivgpt.engine.fake import FakeEngine
from arxivgpt.store import MemoryStore
from arxivgpt.summary.models import SummaryRequest
from arxivgpt.summary.pipeline import Event, Summarizer
from tests.api.conftest import AppFactory
from tests.support.templates import FREE_TEMPLATE

LONG_REPLY = " ".join(["word"] * 400)


def wait_cancelled(engine: FakeEngine, within: float = 2.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if engine.generations and engine.generations[-1].finish_reason == "cancelled":
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def slow_engine(engine: FakeEngine) -> FakeEngine:
    engine.piece_delay = 0.02
    engine.enqueue(LONG_REPLY)
    return engine


def http_scope(body: bytes, spec_version: str) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": spec_version},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/summaries",
        "raw_path": b"/v1/summaries",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"localhost:8765"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8765),
        "state": {},
    }


async def leave_once_generating(
    app: FastAPI, body: bytes, engine: FakeEngine, tokens: int, path: str = "/v1/summaries"
) -> list[MutableMapping[str, Any]]:
    """POSTs `body` to `path` (ASGI spec 2.3, where the app must watch for the client itself), disconnects
    once `engine` has generated `tokens` tokens, and returns what the app sent."""
    requested = False
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": body, "more_body": False}
        while not engine.generations or engine.generations[-1].usage.completion_tokens < tokens:
            await asyncio.sleep(0.01)
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = http_scope(body, "2.3") | {"path": path, "raw_path": path.encode()}
    async with app.router.lifespan_context(app):
        await asyncio.wait_for(app(scope, receive, send), 5)
    return sent


async def leave_after_first_delta(app: FastAPI, how: str) -> list[bytes]:
    """Drive the ASGI app by hand: read until a delta, then disconnect (`receive`) or fail (`send`)."""
    body = json.dumps({"paper": "2401.00001", "stream": True, "template": FREE_TEMPLATE}).encode()
    gone = asyncio.Event()
    requested = False
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": body, "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        if gone.is_set() and how == "send fails":
            raise OSError("connection reset by peer")
        if message["type"] == "http.response.body":
            chunks.append(message["body"])
            if b"event: delta" in b"".join(chunks):
                gone.set()

    async with app.router.lifespan_context(app):
        await asyncio.wait_for(
            app(http_scope(body, "2.4" if how == "send fails" else "2.3"), receive, send), 5
        )
    return chunks


@pytest.mark.parametrize("how", ["client disconnects", "send fails"])
def test_leaving_mid_stream_cancels_the_generation(
    make_app: AppFactory, slow_engine: FakeEngine, store: MemoryStore, how: str
) -> None:
    chunks = asyncio.run(leave_after_first_delta(make_app(), how))
    text = b"".join(chunks).decode()
    assert text.startswith("event: meta\n") and "event: delta\n" in text
    assert "event: done" not in text
    assert wait_cancelled(slow_engine)
    assert slow_engine.generations[-1].cancelled
    assert store.summaries == {}


def test_leaving_before_the_first_frame_closes_the_events(
    make_app: AppFactory, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine.enqueue("A short reply.")
    streams: list[AsyncGenerator[Event, None]] = []  # held here, so that only the app can close them
    original = Summarizer.events

    def kept(self: Summarizer, request: SummaryRequest) -> AsyncGenerator[Event, None]:
        stream = original(self, request)
        assert isinstance(stream, AsyncGenerator)
        streams.append(stream)
        return stream

    monkeypatch.setattr(Summarizer, "events", kept)

    async def leave_at_once() -> None:
        app = make_app()
        body = json.dumps({"paper": "2401.00001", "stream": True, "template": FREE_TEMPLATE}).encode()
        messages = iter([{"type": "http.request", "body": body, "more_body": False}])

        async def receive() -> dict[str, Any]:
            return next(messages, {"type": "http.disconnect"})

        async def send(message: MutableMapping[str, Any]) -> None:
            await asyncio.sleep(0)  # a real server's send yields: the disconnect wins before any frame

        async with app.router.lifespan_context(app):
            await app(http_scope(body, "2.3"), receive, send)
            assert len(streams) == 1
            assert cast(Any, streams[0]).ag_frame is None  # closed, not left to the garbage collector

    asyncio.run(leave_at_once())


def test_a_json_client_that_leaves_cancels_too(make_app: AppFactory, slow_engine: FakeEngine) -> None:
    body = json.dumps({"paper": "2401.00001", "template": FREE_TEMPLATE}).encode()
    sent = asyncio.run(leave_once_generating(make_app(), body, slow_engine, tokens=2))
    assert sent[0]["status"] == 499
    assert wait_cancelled(slow_engine)


@pytest.fixture
def live_server(make_app: AppFactory) -> Iterator[str]:
    """The app under real uvicorn on a free port, in a thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(make_app(), log_level="warning", ws="none", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()


def test_under_uvicorn_closing_the_response_cancels(live_server: str, slow_engine: FakeEngine) -> None:
    with (
        httpx.Client(base_url=live_server, timeout=5) as http,
        http.stream(
            "POST", "/v1/summaries", json={"paper": "2401.00001", "stream": True, "template": FREE_TEMPLATE}
        ) as response,
    ):
        assert response.status_code == 200
        lines = response.iter_lines()
        assert next(lines) == "event: meta"
        while next(lines) != "event: delta":
            pass
    assert wait_cancelled(slow_engine)
