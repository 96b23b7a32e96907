from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from arxivgpt.errors import SourceUnavailable
from arxivgpt.papers.arxiv_http import ArxivHttp, retry_after_seconds
from arxivgpt.papers.polite import PoliteGate
from arxivgpt.settings import Settings
from tests.papers.conftest import FakeTime
from tests.support.arxiv_mirror import ArxivMirror, Reply

PDF = Reply(200, b"%PDF-1.5\n" + b"0" * 2000, {"Content-Type": "application/pdf"})
"""A PDF's bytes as arXiv sends them (the tests here are about the transport, not the document)."""


def test_requests_are_spaced_by_the_delay(
    arxiv_mirror: ArxivMirror, mirror_settings: Settings, gate: PoliteGate, fake_time: FakeTime
) -> None:
    arxiv_mirror.script("/page", *[Reply(200, b"ok") for _ in range(3)])
    http = ArxivHttp(mirror_settings, gate)
    for _ in range(3):
        assert http.get(f"{mirror_settings.arxiv_url}/page", "a page") is not None
    assert fake_time.sleeps == [pytest.approx(3.0), pytest.approx(3.0)]


def test_one_connection_at_a_time_across_threads(
    arxiv_mirror: ArxivMirror, mirror_settings: Settings
) -> None:
    arxiv_mirror.script("/slow", *[Reply(200, b"ok", delay=0.05) for _ in range(6)])
    http = ArxivHttp(mirror_settings, PoliteGate(delay=0.0))
    threads = [
        threading.Thread(target=http.get, args=(f"{mirror_settings.arxiv_url}/slow", "slow page"))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(arxiv_mirror.requests_to("/slow")) == 6
    assert arxiv_mirror.peak_in_flight == 1


@pytest.mark.parametrize(
    ("replies", "expected_waits"),
    [
        ([Reply(429, headers={"Retry-After": "7"})], [7.0]),
        ([Reply(503, headers={"Retry-After": "4"}), Reply(503, headers={"Retry-After": "5"})], [4.0, 5.0]),
        ([Reply(503, headers={"Retry-After": "1"})], [3.0]),  # never sooner than the 3 s pacing
        ([Reply(429)], [3.0]),  # no Retry-After: back off by the delay
        ([Reply(503), Reply(503)], [3.0, 6.0]),  # doubling
        ([Reply(503, headers={"Retry-After": "3600"})], [60.0]),  # capped at arxiv_max_backoff
    ],
)
def test_retries_honour_retry_after(
    arxiv_mirror: ArxivMirror,
    mirror_settings: Settings,
    gate: PoliteGate,
    fake_time: FakeTime,
    replies: list[Reply],
    expected_waits: list[float],
) -> None:
    arxiv_mirror.script("/pdf/", *replies, PDF)
    response = ArxivHttp(mirror_settings, gate).get(f"{mirror_settings.arxiv_url}/pdf/1111.2011v2", "the PDF")
    assert response is not None and response.content.startswith(b"%PDF")
    assert fake_time.sleeps == [pytest.approx(wait, abs=0.01) for wait in expected_waits]
    assert len(arxiv_mirror.requests_to("/pdf/")) == len(replies) + 1


@pytest.mark.parametrize("status", [429, 503])
def test_gives_up_after_the_retries_with_a_clear_error(
    arxiv_mirror: ArxivMirror, mirror_settings: Settings, gate: PoliteGate, status: int
) -> None:
    arxiv_mirror.script("/pdf/", *[Reply(status) for _ in range(3)])
    with pytest.raises(SourceUnavailable, match=f"HTTP {status} for the PDF after 2 retries"):
        ArxivHttp(mirror_settings, gate).get(f"{mirror_settings.arxiv_url}/pdf/1111.2011v2", "the PDF")
    assert len(arxiv_mirror.requests_to("/pdf/")) == 3


def test_timeouts_are_retried_then_reported(arxiv_mirror: ArxivMirror, mirror_settings: Settings) -> None:
    settings = mirror_settings.model_copy(update={"arxiv_timeout": 0.2, "arxiv_retries": 1})
    arxiv_mirror.script("/pdf/", Reply(200, b"late", delay=0.6), Reply(200, b"late", delay=0.6))
    http = ArxivHttp(settings, PoliteGate(delay=0.0, sleep=lambda _: None))
    with pytest.raises(SourceUnavailable, match="could not be reached for the PDF after 1 retries"):
        http.get(f"{settings.arxiv_url}/pdf/1111.2011v2", "the PDF")
    assert len(arxiv_mirror.requests_to("/pdf/")) == 2


def test_a_timeout_then_success_returns_the_document(
    arxiv_mirror: ArxivMirror, mirror_settings: Settings
) -> None:
    settings = mirror_settings.model_copy(update={"arxiv_timeout": 0.2})
    arxiv_mirror.script("/pdf/", Reply(200, b"late", delay=0.6), PDF)
    http = ArxivHttp(settings, PoliteGate(delay=0.0, sleep=lambda _: None))
    response = http.get(f"{settings.arxiv_url}/pdf/1111.2011v2", "the PDF")
    assert response is not None and response.content.startswith(b"%PDF")


def test_connection_refused_is_unavailable(tmp_path_factory: pytest.TempPathFactory) -> None:
    settings = Settings(
        arxiv_url="http://127.0.0.1:9", arxiv_retries=1, data_dir=tmp_path_factory.mktemp("d")
    )
    http = ArxivHttp(settings, PoliteGate(delay=0.0, sleep=lambda _: None))
    with pytest.raises(SourceUnavailable, match="arXiv could not be reached"):
        http.get("http://127.0.0.1:9/pdf/1111.2011v2", "the PDF")


def test_404_is_none(mirror_settings: Settings, gate: PoliteGate) -> None:
    assert (
        ArxivHttp(mirror_settings, gate).get(f"{mirror_settings.arxiv_url}/html/2303.17580v1", "HTML") is None
    )


@pytest.mark.parametrize(
    "url",
    ["https://evil.example/pdf/2303.17580", "http://localhost:1/pdf/1111.2011v2", "http://10.0.0.1/pdf/x"],
)
def test_only_arxiv_hosts_are_fetched(mirror_settings: Settings, gate: PoliteGate, url: str) -> None:
    with pytest.raises(SourceUnavailable, match="is not a configured arXiv host"):
        ArxivHttp(mirror_settings, gate).get(url, "the PDF")


def test_redirects_off_arxiv_are_refused(
    arxiv_mirror: ArxivMirror, mirror_settings: Settings, gate: PoliteGate
) -> None:
    arxiv_mirror.script("/pdf/", Reply(302, headers={"Location": "https://evil.example/payload.pdf"}))
    with pytest.raises(SourceUnavailable, match=r"'evil\.example' is not a configured arXiv host"):
        ArxivHttp(mirror_settings, gate).get(f"{mirror_settings.arxiv_url}/pdf/1111.2011v2", "the PDF")


def test_oversized_bodies_are_refused(
    arxiv_mirror: ArxivMirror, mirror_settings: Settings, gate: PoliteGate
) -> None:
    arxiv_mirror.script("/pdf/", PDF)
    settings = mirror_settings.model_copy(update={"max_pdf_bytes": 1000})
    with pytest.raises(SourceUnavailable, match="larger than 1,000 bytes"):
        ArxivHttp(settings, gate).get(f"{settings.arxiv_url}/pdf/1111.2011v2", "the PDF")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("120", 120.0),
        (" 5 ", 5.0),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past
    ],
)
def test_retry_after_parsing(header: str | None, expected: object) -> None:
    assert retry_after_seconds(header) == expected


def test_retry_after_as_an_http_date() -> None:
    header = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(header) == pytest.approx(30, abs=2)


def test_a_retry_after_that_arrives_while_another_request_waits_still_holds_it_back() -> None:
    """B already sleeps towards its turn when A's answer (a 429, Retry-After: 5) defers everyone."""
    from arxivgpt.papers.polite import PoliteGate

    now = [0.0]
    deferred: list[bool] = []

    def sleep(seconds: float) -> None:
        if not deferred:  # the defer lands during B's first sleep
            deferred.append(True)
            gate.defer(5.0)
        now[0] += seconds

    gate = PoliteGate(delay=3.0, clock=lambda: now[0], sleep=sleep)
    with gate.turn():  # A
        pass
    with gate.turn():  # B: 3 s of pace, then the rest of A's Retry-After
        assert now[0] >= 5.0
