"""Local files: the same Paper as from arXiv, with no network."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from arxivgpt.errors import InvalidInput, InvalidPaperId
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import FakeArxiv
from arxivgpt.store import MemoryStore
from tests.conftest import shared_file


@pytest.fixture
def offline() -> tuple[PaperResolver, FakeArxiv]:
    arxiv = FakeArxiv()
    return PaperResolver(arxiv, MemoryStore()), arxiv


@pytest.mark.parametrize(
    ("fixture", "paper_id", "version", "source", "title"),
    [
        (
            "pdf/2304.02623v1.pdf",
            "2304.02623",
            1,
            "pdf",
            "Beyond Summarization: Designing AI Support for Real-World Expository Writing Tasks",
        ),
        (
            "pdf/1111.2011v2.pdf",
            "1111.2011",
            2,
            "pdf",
            "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit",
        ),
        (
            "html/arxivhtml_2501.11120v1.html",
            "2501.11120",
            1,
            "html",
            "Tell me about yourself: LLMs are aware of their learned behaviors",
        ),
    ],
)
def test_local_files_resolve_offline(
    offline: tuple[PaperResolver, FakeArxiv],
    tmp_path: Path,
    fixture: str,
    paper_id: str,
    version: int,
    source: str,
    title: str,
) -> None:
    resolver, arxiv = offline
    # A user's download rarely keeps arXiv's name: the ID must come from the document itself.
    path = tmp_path / f"download{Path(fixture).suffix}"
    shutil.copy(shared_file(fixture), path)
    paper = resolver.resolve(str(path))
    assert (paper.id, paper.version, paper.source, paper.title) == (paper_id, version, source, title)
    assert paper.local_path == str(path.resolve())
    assert paper.sections and paper.references
    assert paper.notes == [
        f"read from {path} with no network; arXiv ID {paper_id}v{version} taken from the document"
    ]
    assert arxiv.requests == []


def test_a_file_that_is_not_a_pdf(offline: tuple[PaperResolver, FakeArxiv], tmp_path: Path) -> None:
    fake = tmp_path / "paper.pdf"
    fake.write_text("<html><body>Sign in to continue</body></html>")
    with pytest.raises(InvalidInput, match=r"paper\.pdf is not a PDF \(it does not start with %PDF-\)"):
        offline[0].resolve(str(fake))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just some notes", "not an arXiv LaTeXML paper"),
        (b"%PDF-1.4\n%garbage that stops here", "PDF"),
    ],
)
def test_unreadable_files_name_the_file(
    offline: tuple[PaperResolver, FakeArxiv], tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "notes.html"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message) as error:
        offline[0].resolve(str(path))
    assert str(error.value).startswith(f"{path}: ")


@pytest.mark.parametrize("name", ["missing.pdf", "~/nowhere/paper.html", "./saved.htm"])
def test_a_missing_file_says_so(offline: tuple[PaperResolver, FakeArxiv], name: str) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        offline[0].resolve(name)


def test_a_directory_is_not_a_paper(offline: tuple[PaperResolver, FakeArxiv], tmp_path: Path) -> None:
    with pytest.raises(InvalidPaperId, match="is not an arXiv ID"):
        offline[0].resolve(str(tmp_path))
