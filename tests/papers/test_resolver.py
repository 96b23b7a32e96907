"""The resolver end to end: real arXiv client and SQLite cache against the local mirror of saved responses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from arxivgpt.errors import InvalidPaperId, PaperNotFound, SourceUnavailable
from arxivgpt.papers.arxiv_http import ArxivHttp
from arxivgpt.papers.models import Metadata
from arxivgpt.papers.polite import PoliteGate
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import ArxivClient, FakeArxiv
from arxivgpt.settings import Settings
from arxivgpt.store import MemoryStore, SqliteStore
from tests.conftest import shared_file
from tests.support.arxiv_mirror import ArxivMirror, Reply, api_index
from tests.support.latexml import latexml

MINIMAL_LATEXML = latexml("A paper without references", sections=["Introduction"], abstract="Short abstract.")


@pytest.fixture
def resolver(mirror_settings: Settings) -> Iterator[PaperResolver]:
    client = ArxivClient(mirror_settings, ArxivHttp(mirror_settings, PoliteGate(0.0, sleep=lambda _: None)))
    store = SqliteStore(mirror_settings.cache_path)
    yield PaperResolver(client, store)
    store.close()


@pytest.fixture(autouse=True)
def _needs_shared_fixtures() -> None:
    shared_file("html/arxivhtml_2501.11120v1.html")
    shared_file("pdf/1111.2011v2.pdf")


def test_html_first_then_the_cache(resolver: PaperResolver, arxiv_mirror: ArxivMirror) -> None:
    paper = resolver.resolve("https://arxiv.org/html/2501.11120v1#S2")
    assert (paper.id, paper.version, paper.source, paper.cached) == ("2501.11120", 1, "html", False)
    assert paper.title == "Tell me about yourself: LLMs are aware of their learned behaviors"
    assert paper.sections[0].title == "Introduction"
    assert len(paper.references) == 48
    assert paper.notes == []
    requests_before = len(arxiv_mirror.log)
    again = resolver.resolve("2501.11120v1")
    assert again.cached and len(arxiv_mirror.log) == requests_before
    assert again.model_dump(exclude={"cached"}) == paper.model_dump(exclude={"cached"})


def test_unversioned_resolves_to_the_latest_and_remembers_it(
    resolver: PaperResolver, arxiv_mirror: ArxivMirror
) -> None:
    paper = resolver.resolve("arXiv:1111.2011", source="abstract")
    assert (paper.version, paper.source) == (2, "abstract")
    requests_before = len(arxiv_mirror.log)
    assert resolver.resolve("1111.2011", source="abstract").cached
    assert len(arxiv_mirror.log) == requests_before


def test_pdf_only_paper_falls_back_through_ar5iv(resolver: PaperResolver, arxiv_mirror: ArxivMirror) -> None:
    paper = resolver.resolve("https://arxiv.org/pdf/1111.2011v2.pdf")
    assert paper.source == "pdf"
    assert [path for _, path in arxiv_mirror.log][1:] == [
        "/html/1111.2011v2",
        "/ar5iv/html/1111.2011v2",
        "/pdf/1111.2011v2",
    ]
    assert paper.notes == [
        "arXiv's HTML is not available for 1111.2011v2",
        "ar5iv's HTML is not available for 1111.2011v2",
    ]
    assert len(paper.references) == 20
    assert paper.doi == "10.1103/PhysRevB.85.115117"


def test_ar5iv_when_arxiv_has_no_html(resolver: PaperResolver, arxiv_mirror: ArxivMirror) -> None:
    arxiv_mirror.documents["/ar5iv/html/2501.11120v1"] = arxiv_mirror.documents.pop("/html/2501.11120v1")
    paper = resolver.resolve("2501.11120v1")
    assert paper.source == "ar5iv"
    assert len(paper.references) == 48


def test_broken_html_falls_back_to_the_pdf(resolver: PaperResolver, arxiv_mirror: ArxivMirror) -> None:
    arxiv_mirror.script("/html/", Reply(200, b"<html><body><p>Conversion failed</p></body></html>"))
    paper = resolver.resolve("2304.02623v1")
    assert paper.source == "pdf"
    assert paper.notes[0].startswith("arXiv's HTML failed:")
    assert len(paper.references) == 35


def test_html_unavailable_falls_back_to_the_pdf(resolver: PaperResolver, arxiv_mirror: ArxivMirror) -> None:
    arxiv_mirror.script("/html/", *[Reply(503) for _ in range(3)])
    paper = resolver.resolve("2304.02623v1")
    assert paper.source == "pdf"
    assert "HTTP 503" in paper.notes[0]


@pytest.mark.parametrize(
    "bad_pdf",
    [b"<html>not a pdf</html>", b"%PDF-1.5\n1 0 obj\n<<", b""],
    ids=["html-instead", "truncated", "empty"],
)
def test_when_every_full_text_fails_the_abstract_is_used_and_nothing_is_cached(
    resolver: PaperResolver, arxiv_mirror: ArxivMirror, bad_pdf: bytes
) -> None:
    arxiv_mirror.documents["/pdf/1111.2011v2"] = bad_pdf
    paper = resolver.resolve("1111.2011v2")
    assert paper.source == "abstract"
    assert paper.abstract.startswith("Theoretical description of anisotropic systems")
    assert paper.sections == [] and paper.references == []
    assert paper.notes[-1] == "no full text could be had, so this is the abstract only"
    assert resolver.store.get_fulltext("1111.2011", 2) is None
    resolver.resolve("1111.2011v2")
    assert arxiv_mirror.requests_to("/pdf/") == ["/pdf/1111.2011v2", "/pdf/1111.2011v2"]


def test_the_abstract_source_asks_only_the_api(resolver: PaperResolver, arxiv_mirror: ArxivMirror) -> None:
    paper = resolver.resolve("2304.02623", source="abstract")
    assert paper.source == "abstract" and paper.sections == []
    assert [path.split("?")[0] for _, path in arxiv_mirror.log] == ["/api/query"]


@pytest.mark.parametrize("paper", ["2412.99999", "2401.00001v3"])
def test_unknown_papers_are_not_found_and_not_cached(
    resolver: PaperResolver, arxiv_mirror: ArxivMirror, paper: str
) -> None:
    with pytest.raises(PaperNotFound, match="arXiv has no paper"):
        resolver.resolve(paper)
    with pytest.raises(PaperNotFound):
        resolver.resolve(paper)
    assert len(arxiv_mirror.requests_to("/api/")) == 2


def test_api_failure_is_unavailable_and_not_cached(
    resolver: PaperResolver, arxiv_mirror: ArxivMirror
) -> None:
    arxiv_mirror.script("/api/", *[Reply(503) for _ in range(3)])
    with pytest.raises(SourceUnavailable):
        resolver.resolve("1605.08386")
    assert resolver.resolve("1605.08386", source="abstract").cached is False


@pytest.mark.parametrize("text", ["https://evil.example/abs/2303.17580", "not an id", "2303.1758"])
def test_bad_input_never_reaches_arxiv(resolver: PaperResolver, arxiv_mirror: ArxivMirror, text: str) -> None:
    with pytest.raises(InvalidPaperId):
        resolver.resolve(text)
    assert arxiv_mirror.log == []


def _metadata(**changes: object) -> Metadata:
    base = Metadata(id="2401.00001", version=1, title="T", authors=["A"], abstract="Short abstract.")
    return base.model_copy(update=changes)


def test_a_paper_with_no_references_section() -> None:
    arxiv = FakeArxiv()
    arxiv.add(_metadata(), html=MINIMAL_LATEXML)
    paper = PaperResolver(arxiv, MemoryStore()).resolve("2401.00001")
    assert paper.source == "html"
    assert paper.references == []
    assert paper.sections[0].text == "Introduction text that matters."


def test_a_withdrawn_paper_says_so() -> None:
    arxiv = FakeArxiv()
    arxiv.add(_metadata(withdrawn=True, comment="This paper has been withdrawn by the author"))
    paper = PaperResolver(arxiv, MemoryStore()).resolve("2401.00001")
    assert paper.withdrawn
    assert "arXiv marks 2401.00001v1 as withdrawn: This paper has been withdrawn by the author" in paper.notes


def test_versions_are_cached_apart() -> None:
    arxiv = FakeArxiv()
    arxiv.add(_metadata(), html=MINIMAL_LATEXML)
    arxiv.add(
        _metadata(version=2, title="T2"), html=MINIMAL_LATEXML.replace(b"that matters", b"that changed")
    )
    resolver = PaperResolver(arxiv, MemoryStore())
    assert resolver.resolve("2401.00001").version == 2
    assert resolver.resolve("2401.00001v1").sections[0].text == "Introduction text that matters."
    assert resolver.resolve("2401.00001v2").sections[0].text == "Introduction text that changed."
    assert resolver.resolve("2401.00001v2").cached
    assert arxiv.requests == [
        "metadata 2401.00001",
        "html 2401.00001v2",
        "metadata 2401.00001v1",
        "html 2401.00001v1",
    ]


SAVED_PAPERS = sorted(
    key for key, path in api_index().items() if "v" not in key.split("/")[-1] and "_empty" not in path.name
)


@pytest.mark.parametrize("paper_id", SAVED_PAPERS)
def test_every_saved_paper_resolves(resolver: PaperResolver, paper_id: str) -> None:
    paper = resolver.resolve(paper_id)
    assert paper.id == paper_id
    assert paper.title and paper.authors and paper.abstract
    full_text = {"2501.11120": "html", "1111.2011": "pdf", "2304.02623": "pdf"}
    assert paper.source == full_text.get(paper_id, "abstract")
