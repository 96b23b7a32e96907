"""arXiv answers a storm of 429s and 503s with Retry-After: requests wait or fail clearly, and the 3-second
pace (one request at a time, across the whole process) still holds."""

from __future__ import annotations

import itertools
import threading

import httpx
import pytest

from tests.reliability.conftest import ABSTRACT_PAPERS, ServerFactory
from tests.support.arxiv_mirror import ArxivMirror, Reply

pytestmark = pytest.mark.reliability

PACE = 3.0
SLACK = 0.05  # the mirror stamps a request when it has read it, a little after the server sent it


def _busy(status: int, retry_after: str | None = None) -> Reply:
    headers = {"Retry-After": retry_after} if retry_after else {}
    return Reply(status, b"<html>busy</html>", {"Content-Type": "text/html", **headers})


def _gaps(mirror: ArxivMirror) -> list[float]:
    times = [stamp for stamp, _ in mirror.log]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def _get_papers(url: str, papers: list[str]) -> list[httpx.Response]:
    answers: list[httpx.Response] = []

    def get(paper: str) -> None:
        answers.append(httpx.get(f"{url}/v1/papers/{paper}?source=abstract", timeout=60.0))

    threads = [threading.Thread(target=get, args=(paper,)) for paper in papers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_the_storm_is_waited_out_at_the_pace_and_as_asked(
    start_server: ServerFactory, mirror: ArxivMirror
) -> None:
    mirror.script("/api/query", _busy(429, "1"), _busy(503, "4"))
    server = start_server(ARXIVGPT_ARXIV_DELAY=str(PACE), ARXIVGPT_ARXIV_RETRIES="3")
    answers = _get_papers(server.url, ABSTRACT_PAPERS[:2])
    assert [answer.status_code for answer in answers] == [200, 200], [answer.text for answer in answers]
    assert len(mirror.log) == 4  # two refusals, then each paper once
    gaps = _gaps(mirror)
    assert all(gap >= PACE - SLACK for gap in gaps), gaps  # Retry-After: 1 does not shorten the pace
    assert gaps[1] >= 4.0 - SLACK, gaps  # Retry-After: 4 lengthens it, for every request
    assert mirror.peak_in_flight == 1


def test_a_storm_longer_than_the_retries_fails_clearly(
    start_server: ServerFactory, mirror: ArxivMirror
) -> None:
    mirror.script("/api/query", _busy(503, "1"), _busy(429, "1"))
    server = start_server(ARXIVGPT_ARXIV_DELAY=str(PACE), ARXIVGPT_ARXIV_RETRIES="1")
    (answer,) = _get_papers(server.url, ABSTRACT_PAPERS[2:3])
    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["code"] == "upstream_unavailable"
    assert "429" in error["message"] and "try again later" in error["message"]
    assert all(gap >= PACE - SLACK for gap in _gaps(mirror))
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200  # and it still serves
