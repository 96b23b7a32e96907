"""SIGTERM and SIGINT stop the server within seconds in every state, and leave no half-written summary."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.reliability.conftest import ABSTRACT_PAPERS, ServerFactory, needs_html_paper
from tests.reliability.streams import StreamResult, stream_in_thread
from tests.support.arxiv_mirror import ArxivMirror, Reply
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.reliability

STOP_WITHIN = 6.0  # seconds from the signal to the process being gone
NESTED = "{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}"
NESTED += "{% endfor %}{% endfor %}{% endfor %}"
EXIT_CODES = {signal.SIGTERM: {0, -signal.SIGTERM}, signal.SIGINT: {130}}
SLOW_MODEL = {"FAULT_PIECE_DELAY": "0.05", "FAULT_REPLY_WORDS": "400"}  # 20 s per answer


def _stop(server: ServerProcess, sig: signal.Signals) -> float:
    code, seconds = server.signal_and_wait(sig, limit=STOP_WITHIN + 10)
    assert code in EXIT_CODES[sig], server.log()[-3000:]
    assert seconds < STOP_WITHIN, f"{sig.name} took {seconds:.1f} s\n{server.log()[-3000:]}"
    return seconds


def _summary_rows(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "cache.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return int(db.execute("SELECT count(*) FROM summary").fetchone()[0])


def _post_in_thread(url: str, path: str, body: dict[str, object]) -> tuple[threading.Thread, list[object]]:
    answer: list[object] = []

    def post() -> None:
        try:
            answer.append(httpx.post(f"{url}{path}", json=body, timeout=30.0))
        except httpx.HTTPError as error:
            answer.append(error)

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    return thread, answer


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_idle(start_server: ServerFactory, sig: signal.Signals) -> None:
    _stop(start_server(), sig)


def test_mid_render_of_a_template_that_never_ends(start_server: ServerFactory) -> None:
    paper = needs_html_paper()
    server = start_server()
    httpx.get(f"{server.url}/v1/papers/{paper}", timeout=30).raise_for_status()  # cached, so the render waits
    thread, answer = _post_in_thread(server.url, "/v1/prompts/render", {"template": NESTED, "paper": paper})
    time.sleep(0.3)
    _stop(server, signal.SIGTERM)
    thread.join(timeout=10)
    (response,) = answer
    if isinstance(response, httpx.Response):  # the render's own limit, or the shutdown, whichever came first
        assert response.json()["error"]["code"] in ("template_error", "shutting_down")


def test_mid_fetch_from_arxiv(start_server: ServerFactory, mirror: ArxivMirror) -> None:
    mirror.script("/api/query", Reply(delay=25.0, status=503))  # arXiv hangs: the read waits 30 s for bytes
    server = start_server()
    thread, answer = _post_in_thread(server.url, "/v1/summaries", {"paper": ABSTRACT_PAPERS[0]})
    for _ in range(200):
        if mirror.requests_to("/api/query"):
            break
        time.sleep(0.02)
    assert mirror.requests_to("/api/query"), "the fetch never started"
    _stop(server, signal.SIGTERM)
    thread.join(timeout=10)
    (response,) = answer
    assert isinstance(response, httpx.Response), response
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "shutting_down"
    assert response.headers["Retry-After"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_mid_generation_the_client_gets_an_error_event(
    start_server: ServerFactory, sig: signal.Signals
) -> None:
    server = start_server(**SLOW_MODEL)
    thread, result = stream_in_thread(server.url, {"paper": ABSTRACT_PAPERS[1], "source": "abstract"})
    assert result.first_delta.wait(timeout=20), result
    _stop(server, sig)
    thread.join(timeout=10)
    _assert_told(result)
    assert _summary_rows(server.data_dir) == 0


def test_with_several_queued(start_server: ServerFactory) -> None:
    server = start_server(**SLOW_MODEL, ARXIVGPT_MAX_QUEUE="4")
    streams = [
        stream_in_thread(server.url, {"paper": ABSTRACT_PAPERS[2], "source": "abstract", "language": f"L{i}"})
        for i in range(4)
    ]
    for _, result in streams:
        assert result.first_delta.wait(timeout=20), result
    _stop(server, signal.SIGTERM)
    for thread, result in streams:
        thread.join(timeout=10)
        _assert_told(result)
    assert _summary_rows(server.data_dir) == 0


def _assert_told(result: StreamResult) -> None:
    assert result.status == 200
    assert "delta" in result.names
    assert "done" not in result.names
    assert result.error_codes == ["shutting_down"], (result.names[-5:], result.error)
    assert result.names[-1] == "error"
