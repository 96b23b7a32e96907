"""One fetch per paper: concurrent resolutions of one ID and version share one arXiv fetch and one write."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from arxivgpt.errors import PaperNotFound, SourceUnavailable
from arxivgpt.papers.ids import ArxivId, parse_arxiv_id
from arxivgpt.papers.models import FullText, Metadata, Paper, Source
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.single_flight import SingleFlight
from arxivgpt.papers.source import Document, FakeArxiv
from arxivgpt.store import MemoryStore
from tests.support.latexml import latexml

CLIENTS = 8


class GatedArxiv(FakeArxiv):
    """A FakeArxiv whose every answer waits until the test opens the gate, so that requests overlap."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.arrived = threading.Semaphore(0)

    def metadata(self, arxiv_id: ArxivId) -> Metadata:
        self.arrived.release()
        assert self.gate.wait(timeout=10), "the test never opened the gate"
        return super().metadata(arxiv_id)

    def document(self, kind: Document, arxiv_id: ArxivId) -> bytes | None:
        assert self.gate.wait(timeout=10)
        return super().document(kind, arxiv_id)


class CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def put_metadata(self, metadata: Metadata, latest: bool = False) -> None:
        self.writes.append(f"metadata {metadata.id}v{metadata.version}")
        super().put_metadata(metadata, latest)

    def put_fulltext(self, paper_id: str, version: int, source: Source, fulltext: FullText) -> None:
        self.writes.append(f"fulltext {paper_id}v{version}")
        super().put_fulltext(paper_id, version, source, fulltext)


def _arxiv() -> GatedArxiv:
    arxiv = GatedArxiv()
    for version in (1, 2):
        meta = Metadata(
            id="2104.12255", version=version, title=f"Paper v{version}", authors=["A. Author"], abstract="A."
        )
        arxiv.add(meta, html=latexml(f"Paper v{version}", ["A. B. A reference. 2020."], ("Introduction",)))
    return arxiv


def _resolve_together(resolver: PaperResolver, arxiv: GatedArxiv, texts: list[str]) -> list[Paper]:
    with ThreadPoolExecutor(len(texts)) as pool:
        futures = [pool.submit(resolver.resolve, text) for text in texts]
        assert arxiv.arrived.acquire(timeout=10)  # the first request is at arXiv...
        _wait_until(lambda: resolver._metadata_flights.running >= 1)
        threading.Event().wait(0.2)  # ...and the others have had time to join it
        arxiv.gate.set()
        return [future.result(timeout=10) for future in futures]


def _wait_until(condition: Callable[[], bool], limit: float = 5.0) -> None:
    for _ in range(int(limit / 0.01)):
        if condition():
            return
        threading.Event().wait(0.01)
    raise AssertionError("condition never held")


@pytest.mark.parametrize(
    "texts",
    [
        ["2104.12255"] * CLIENTS,
        ["2104.12255v2"] * CLIENTS,
        # spellings of the same question share it too: they parse to the same ID
        ["2104.12255", "arXiv:2104.12255", "https://arxiv.org/abs/2104.12255", "２１０４.１２２５５"] * 2,
    ],
)
def test_concurrent_requests_share_one_fetch_and_one_write(texts: list[str]) -> None:
    arxiv, store = _arxiv(), CountingStore()
    papers = _resolve_together(PaperResolver(arxiv, store), arxiv, texts)
    assert {paper.title for paper in papers} == {"Paper v2"}
    assert sorted(arxiv.requests) == ["html 2104.12255v2", f"metadata {parse_arxiv_id(texts[0])}"]
    assert store.writes == ["metadata 2104.12255v2", "fulltext 2104.12255v2"]


def test_different_versions_are_different_fetches() -> None:
    arxiv, store = _arxiv(), CountingStore()
    papers = _resolve_together(PaperResolver(arxiv, store), arxiv, ["2104.12255v1", "2104.12255v2"] * 4)
    assert sorted(paper.title for paper in papers) == ["Paper v1"] * 4 + ["Paper v2"] * 4
    assert sorted(arxiv.requests) == [
        "html 2104.12255v1",
        "html 2104.12255v2",
        "metadata 2104.12255v1",
        "metadata 2104.12255v2",
    ]


def test_an_error_reaches_every_waiter_and_is_not_remembered() -> None:
    arxiv, store = _arxiv(), CountingStore()
    arxiv.failures["metadata"] = SourceUnavailable("arXiv is down")
    resolver = PaperResolver(arxiv, store)
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(resolver.resolve, "2104.12255") for _ in range(CLIENTS)]
        assert arxiv.arrived.acquire(timeout=10)
        threading.Event().wait(0.2)
        arxiv.gate.set()
        errors = [future.exception(timeout=10) for future in futures]
    assert all(isinstance(error, SourceUnavailable) for error in errors)
    assert arxiv.requests.count("metadata 2104.12255") < CLIENTS
    del arxiv.failures["metadata"]
    assert resolver.resolve("2104.12255").title == "Paper v2"  # the failure was not kept
    assert resolver._metadata_flights.running == resolver._fulltext_flights.running == 0


def test_single_flight_runs_again_once_finished() -> None:
    flights: SingleFlight[int] = SingleFlight()
    calls: list[int] = []
    assert flights.do("k", lambda: calls.append(1) or len(calls)) == 1
    assert flights.do("k", lambda: calls.append(1) or len(calls)) == 2
    with pytest.raises(PaperNotFound):
        flights.do("k", _not_found)
    assert flights.running == 0


def _not_found() -> int:
    raise PaperNotFound("no such paper")
