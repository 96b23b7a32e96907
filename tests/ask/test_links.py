"""Where each passage points: the document its text was read from, at its anchor."""

from __future__ import annotations

from pathlib import Path

import pytest

from arxivgpt.ask.links import passage_url
from arxivgpt.ask.passages import Passage
from arxivgpt.papers.models import Paper, Source
from arxivgpt.settings import Settings

SETTINGS = Settings(arxiv_url="https://arxiv.org", ar5iv_url="https://ar5iv.labs.arxiv.org")
ABSTRACT = Passage(key="p1", section="Abstract", text="A.", part=-1, start=0)
IN_HTML = Passage(key="p9", section="Method", text="B.", part=2, start=0, anchor="S3.SS2.p1")
ON_PAGE = Passage(key="p9", section="Method", text="B.", part=2, start=0, page=3)


def paper(source: Source, arxiv_id: str | None = "2501.11120", local: str | None = None) -> Paper:
    return Paper(id=arxiv_id, version=1 if arxiv_id else None, title="T", source=source, local_path=local)


@pytest.mark.parametrize(
    ("source", "passage", "url"),
    [
        ("html", IN_HTML, "https://arxiv.org/html/2501.11120v1#S3.SS2.p1"),
        ("ar5iv", IN_HTML, "https://ar5iv.labs.arxiv.org/html/2501.11120v1#S3.SS2.p1"),
        ("pdf", ON_PAGE, "https://arxiv.org/pdf/2501.11120v1#page=3"),
        ("html", ABSTRACT, "https://arxiv.org/abs/2501.11120v1"),
        ("pdf", ABSTRACT, "https://arxiv.org/abs/2501.11120v1"),
        ("abstract", ABSTRACT, "https://arxiv.org/abs/2501.11120v1"),
        (
            "html",
            Passage(key="p2", section="M", text="C.", part=0, start=0),
            "https://arxiv.org/html/2501.11120v1",
        ),
    ],
)
def test_an_arxiv_paper_links_to_arxiv_at_the_anchor(source: Source, passage: Passage, url: str) -> None:
    assert passage_url(paper(source), passage, SETTINGS) == url


def test_old_style_ids_keep_their_archive() -> None:
    assert passage_url(paper("pdf", "hep-th/9901001"), ON_PAGE, SETTINGS) == (
        "https://arxiv.org/pdf/hep-th/9901001v1#page=3"
    )


def test_a_local_file_that_names_its_arxiv_id_links_to_that_paper_on_arxiv(tmp_path: Path) -> None:
    local = str(tmp_path / "paper.pdf")
    assert (
        passage_url(paper("pdf", local=local), ON_PAGE, SETTINGS)
        == "https://arxiv.org/pdf/2501.11120v1#page=3"
    )
    # its abstract was read from the PDF, so it points at the PDF's first page, not arXiv's abstract page
    abstract = ABSTRACT.model_copy(update={"page": 1})
    assert (
        passage_url(paper("pdf", local=local), abstract, SETTINGS)
        == "https://arxiv.org/pdf/2501.11120v1#page=1"
    )


def test_a_local_file_of_unknown_origin_links_to_itself(tmp_path: Path) -> None:
    local = tmp_path / "my paper.pdf"
    url = passage_url(paper("pdf", None, str(local)), ON_PAGE, SETTINGS)
    assert url == local.as_uri() + "#page=3" and url.startswith("file:///") and "my%20paper.pdf" in url


def test_links_follow_the_configured_arxiv() -> None:
    mirror = Settings(arxiv_url="http://127.0.0.1:9999")
    assert passage_url(paper("html"), IN_HTML, mirror) == "http://127.0.0.1:9999/html/2501.11120v1#S3.SS2.p1"
