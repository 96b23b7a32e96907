"""One fetch per paper, end to end: concurrent requests for an uncached paper reach arXiv once."""

from __future__ import annotations

import threading

import httpx
import pytest

from tests.reliability.conftest import HTML_PAPER, ServerFactory, needs_html_paper
from tests.support.arxiv_mirror import ArxivMirror, Reply
from tests.support.cache_check import check_cache

pytestmark = pytest.mark.reliability
CLIENTS = 6


def test_concurrent_requests_for_a_new_paper_share_one_fetch(
    start_server: ServerFactory, mirror: ArxivMirror
) -> None:
    needs_html_paper()
    server = start_server()
    # arXiv is slow to answer, so that every request arrives while the first one is still fetching
    mirror.script("/api/query", Reply(200, mirror.api[HTML_PAPER].read_bytes(), delay=1.0))
    statuses: list[int] = []

    def get() -> None:
        statuses.append(httpx.get(f"{server.url}/v1/papers/{HTML_PAPER}", timeout=30).status_code)

    threads = [threading.Thread(target=get) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [200] * CLIENTS
    assert len(mirror.requests_to("/api/query")) == 1
    assert mirror.requests_to("/html/") == [f"/html/{HTML_PAPER}"]
    report = check_cache(server.data_dir / "cache.sqlite3")
    assert (report.rows["metadata"], report.rows["fulltext"]) == (1, 1)
