"""The disk is full while the cache is written: the request fails clearly, nothing is half-stored, and the
server keeps serving. SQLite's `max_page_count` makes the database really full (SQLITE_FULL), unprivileged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arxivgpt.api import create_app
from arxivgpt.engine.fake import FakeEngine
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import FakeArxiv
from arxivgpt.settings import Settings
from arxivgpt.store import SqliteStore
from tests.api.conftest import BASE_URL, BIBLIOGRAPHY, SECTIONS, metadata, parse_sse
from tests.support.cache_check import check_cache
from tests.support.latexml import latexml

pytestmark = pytest.mark.reliability

LONG_ANSWER = " ".join(f"word{i}" for i in range(3000))  # a summary row larger than a page
PAPERS = ("2401.00001", "2401.00002")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "cache.sqlite3")
    yield opened
    opened.close()


@pytest.fixture
def client(store: SqliteStore, tmp_path: Path) -> Iterator[TestClient]:
    arxiv = FakeArxiv()
    for paper_id, references in zip(
        PAPERS, (BIBLIOGRAPHY, BIBLIOGRAPHY * 100), strict=True
    ):  # the second one is large
        arxiv.add(metadata(paper_id, f"Paper {paper_id}"), html=latexml("T", references, SECTIONS))
    engine = FakeEngine(context_length=32_000)
    engine.replies.extend([LONG_ANSWER] * 50)
    app = create_app(Settings(data_dir=tmp_path), engine=engine, resolver=PaperResolver(arxiv, store))
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client


def fill_up(store: SqliteStore) -> None:
    """No page more than the file has now: the next write that needs one gets SQLITE_FULL."""
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")


def make_room(store: SqliteStore) -> None:
    store._db.execute("PRAGMA max_page_count = 1073741823")


def _is_cache_full(body: dict[str, dict[str, str]]) -> None:
    assert body["error"]["code"] == "cache_full"
    assert "cannot grow: database or disk is full" in body["error"]["message"]
    assert "free some disk space or point ARXIVGPT_DATA_DIR" in body["error"]["message"]


def test_a_summary_that_cannot_be_stored_fails_clearly_and_the_server_keeps_serving(
    client: TestClient, store: SqliteStore, tmp_path: Path
) -> None:
    assert (
        client.get(f"/v1/papers/{PAPERS[0]}").status_code == 200
    )  # the paper is cached before the disk fills
    fill_up(store)
    body = {"paper": PAPERS[0], "max_new_tokens": 4000}
    response = client.post("/v1/summaries", json=body)
    assert response.status_code == 507
    _is_cache_full(response.json())

    events = parse_sse(client.post("/v1/summaries", json={**body, "stream": True}).text)
    assert events[-1][0] == "error"
    _is_cache_full({"error": events[-1][1]})

    assert client.get("/healthz").status_code == 200  # still serving: cached papers, health
    assert client.get(f"/v1/papers/{PAPERS[0]}").json()["cached"] is True
    fresh_paper = client.get(f"/v1/papers/{PAPERS[1]}")  # a paper that needs writing fails the same way
    assert fresh_paper.status_code == 507
    _is_cache_full(fresh_paper.json())

    assert check_cache(tmp_path / "cache.sqlite3").rows["summary"] == 0  # nothing half-stored
    make_room(store)
    assert client.post("/v1/summaries", json=body).json()["cached"] is False
    assert client.post("/v1/summaries", json=body).json()["cached"] is True
    report = check_cache(tmp_path / "cache.sqlite3")
    assert (report.integrity, report.corrupt, report.rows["summary"]) == ("ok", 0, 1)
