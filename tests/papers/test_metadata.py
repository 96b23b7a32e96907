from __future__ import annotations

from datetime import datetime, timezone

import pytest

from arxivgpt.errors import InvalidPaperId, PaperNotFound, SourceUnavailable
from arxivgpt.papers.arxiv_http import ArxivHttp
from arxivgpt.papers.ids import ArxivId
from arxivgpt.papers.metadata import MetadataClient, is_withdrawn
from arxivgpt.papers.polite import PoliteGate
from arxivgpt.settings import Settings
from tests.support.arxiv_mirror import API_DIR, ArxivMirror, Reply


@pytest.fixture
def client(mirror_settings: Settings, gate: PoliteGate) -> MetadataClient:
    return MetadataClient(ArxivHttp(mirror_settings, gate))


@pytest.mark.parametrize(
    ("requested", "version", "title_start", "first_author"),
    [
        (ArxivId("1605.08386"), 1, "Heat-bath random walks with Markov bases", "Caprice Stanley"),
        (ArxivId("2104.12255", 1), 1, "0", "Quan Thoi Minh Nguyen"),  # a title that is just "0"
        (ArxivId("astro-ph/0601001"), 1, "Frequency of Hot Jupiters", "Andrew Gould"),
        (
            ArxivId("quant-ph/0201082", 1),
            1,
            "Quantum Computers and Quantum Computer Languages",
            "Stephen Blaha",
        ),
        (
            ArxivId("1111.2011", 2),
            2,
            "Quantum Criticality for Extended Nodes",
            "James M. Murray",
        ),  # legacy format
        (ArxivId("math/0211159"), 1, "The entropy formula for the Ricci flow", "Grisha Perelman"),
    ],
)
def test_reads_real_api_responses(
    client: MetadataClient, requested: ArxivId, version: int, title_start: str, first_author: str
) -> None:
    metadata = client.fetch(requested)
    assert metadata.id == requested.id
    assert metadata.version == version
    assert metadata.title.startswith(title_start)
    assert metadata.authors[0] == first_author
    assert metadata.abstract and "\n" not in metadata.abstract
    assert metadata.categories and metadata.published is not None and not metadata.withdrawn


def test_reads_every_field(client: MetadataClient) -> None:
    metadata = client.fetch(ArxivId("1605.08386"))
    assert metadata.categories == ["math.CO", "math.ST"]
    assert metadata.primary_category == "math.CO"
    assert metadata.published == datetime(2016, 5, 26, 17, 59, 46, tzinfo=timezone.utc)
    assert metadata.comment == "20 pages, 3 figures"
    assert len(client.fetch(ArxivId("1707.08567")).authors) > 10


def test_doi_and_journal_ref(client: MetadataClient) -> None:
    metadata = client.fetch(ArxivId("1111.2011", 2))
    assert metadata.doi == "10.1103/PhysRevB.85.115117"
    assert metadata.journal_ref == "Phys. Rev. B 85, 115117 (2012)"


@pytest.mark.parametrize("paper", [ArxivId("0808.05394"), ArxivId("2303.99999", 3)])
def test_unknown_id_is_not_found(client: MetadataClient, paper: ArxivId) -> None:
    with pytest.raises(PaperNotFound, match=f"arXiv has no paper {paper}"):
        client.fetch(paper)


def test_the_apis_400_error_entry_is_reported_with_its_message(
    arxiv_mirror: ArxivMirror, client: MetadataClient
) -> None:
    arxiv_mirror.script("/api/", Reply(400, (API_DIR / "api2026_id_abc_error.xml").read_bytes()))
    with pytest.raises(InvalidPaperId, match="incorrect id format for abc"):
        client.fetch(ArxivId("2303.17580"))


def test_the_legacy_error_entry_with_http_200_is_reported(
    arxiv_mirror: ArxivMirror, client: MetadataClient
) -> None:
    arxiv_mirror.script("/api/", Reply(200, (API_DIR / "pubs_legacy_id_INVALIDID.xml").read_bytes()))
    with pytest.raises(InvalidPaperId, match="incorrect id format for INVALIDID"):
        client.fetch(ArxivId("2303.17580"))


@pytest.mark.parametrize(
    "reply",
    [Reply(200, b"<html><body>Service temporarily unavailable</body></html>"), Reply(200, b"")],
)
def test_a_body_that_is_not_a_feed_is_unavailable(
    arxiv_mirror: ArxivMirror, client: MetadataClient, reply: Reply
) -> None:
    arxiv_mirror.script("/api/", reply)
    with pytest.raises(SourceUnavailable, match="not an Atom feed"):
        client.fetch(ArxivId("1605.08386"))


def test_rate_limits_are_retried_then_succeed(arxiv_mirror: ArxivMirror, client: MetadataClient) -> None:
    arxiv_mirror.script("/api/", Reply(429, headers={"Retry-After": "1"}), Reply(503))
    assert client.fetch(ArxivId("1605.08386")).version == 1
    assert len(arxiv_mirror.requests_to("/api/")) == 3


def test_persistent_503_is_unavailable(arxiv_mirror: ArxivMirror, client: MetadataClient) -> None:
    arxiv_mirror.script("/api/", *[Reply(503) for _ in range(3)])
    with pytest.raises(SourceUnavailable, match="HTTP 503"):
        client.fetch(ArxivId("1605.08386"))


def test_api_timeouts_are_unavailable(arxiv_mirror: ArxivMirror, mirror_settings: Settings) -> None:
    settings = mirror_settings.model_copy(update={"arxiv_timeout": 0.2, "arxiv_retries": 1})
    client = MetadataClient(ArxivHttp(settings, PoliteGate(0.0, sleep=lambda _: None)))
    arxiv_mirror.script("/api/", Reply(200, b"", delay=0.6), Reply(200, b"", delay=0.6))
    with pytest.raises(SourceUnavailable, match="could not be reached"):
        client.fetch(ArxivId("1605.08386"))


@pytest.mark.parametrize(
    ("comment", "abstract", "expected"),
    [
        ("This paper has been withdrawn by the author due to a crucial error", "x", True),
        ("withdrawn", "", True),
        (None, "This paper has been withdrawn.", True),
        ("20 pages, 3 figures", "We study withdrawn deposits in banks.", False),
        (None, "", False),
    ],
)
def test_withdrawn_detection(comment: str | None, abstract: str, expected: bool) -> None:
    assert is_withdrawn(comment, abstract) is expected


def test_a_withdrawn_paper_says_so(arxiv_mirror: ArxivMirror, client: MetadataClient) -> None:
    saved = (API_DIR / "api2026_id_1605.08386.xml").read_text(encoding="utf-8")
    withdrawn = saved.replace("20 pages, 3 figures", "This paper has been withdrawn by the authors")
    arxiv_mirror.script("/api/", Reply(200, withdrawn.encode()))
    assert client.fetch(ArxivId("1605.08386")).withdrawn
