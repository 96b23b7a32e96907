"""`kill -9` in the middle of writing a paper and a summary: the cache stays sound, no half-row, the next
request succeeds."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.reliability.conftest import ABSTRACT_PAPERS, HTML_PAPER, ServerFactory, needs_html_paper
from tests.support.cache_check import check_cache

pytestmark = pytest.mark.reliability

REQUESTS = {
    # table the server is killed inside of -> the request that writes to it
    "fulltext": ("GET", f"/v1/papers/{HTML_PAPER}", None),
    "summary": ("POST", "/v1/summaries", {"paper": ABSTRACT_PAPERS[0], "source": "abstract"}),
}


def _send(url: str, table: str) -> httpx.Response:
    method, path, body = REQUESTS[table]
    return httpx.request(method, f"{url}{path}", json=body, timeout=30.0)


def _send_and_lose(url: str, table: str) -> None:
    with pytest.raises(httpx.TransportError):  # the server dies before it answers
        _send(url, table)


def _wait_for(marker: Path, limit: float = 20.0) -> None:
    deadline = time.monotonic() + limit
    while not marker.exists():
        assert time.monotonic() < deadline, f"the server never reached the write ({marker} missing)"
        time.sleep(0.02)


@pytest.mark.parametrize("table", list(REQUESTS))
def test_kill9_mid_write_then_restart(start_server: ServerFactory, tmp_path: Path, table: str) -> None:
    if table == "fulltext":
        needs_html_paper()
    data_dir, marker = tmp_path / "data", tmp_path / "inside-the-write"
    server = start_server(data_dir, FAULT_PAUSE_IN=table, FAULT_MARKER=str(marker))
    client = threading.Thread(target=_send_and_lose, args=(server.url, table), daemon=True)
    client.start()
    _wait_for(marker)
    server.kill9()
    client.join(timeout=10)

    report = check_cache(data_dir / "cache.sqlite3")
    assert report.integrity == "ok"
    assert report.corrupt == 0
    assert report.rows[table] == 0  # the write that was cut short left nothing behind, not half a row

    restarted = start_server(data_dir)
    response = _send(restarted.url, table)
    assert response.status_code == 200, response.text
    assert "moved it to" not in restarted.log()  # the cache was sound: nothing was moved aside
    report = check_cache(data_dir / "cache.sqlite3")
    assert (report.integrity, report.corrupt, report.rows[table]) == ("ok", 0, 1)
