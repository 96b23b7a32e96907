"""Anchors: where each paragraph of a section is in the document read, so that answers can link to it.

Checked against the documents themselves: every HTML anchor is an element id of the page whose text is the
paragraph's, and every PDF anchor names a page whose text (read by pypdf here, independently) holds the
paragraph's opening words.
"""

from __future__ import annotations

import io
import re

import pytest
from lxml import html
from pypdf import PdfReader

from arxivgpt.papers.html import extract_html
from arxivgpt.papers.models import Anchor, FullText, Metadata, Section
from arxivgpt.papers.pdf import extract_pdf
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import FakeArxiv
from arxivgpt.store import MemoryStore
from tests.conftest import shared_file
from tests.support.latexml import latexml

HTML_PAPER = "html/arxivhtml_2501.11120v1.html"
PDF_PAPERS = ["pdf/1111.2011v2.pdf", "pdf/2304.02623v1.pdf"]


def _letters(text: str) -> str:
    return "".join(char for char in text.casefold() if char.isalnum())


def _plain_opening(text: str, words: int = 4) -> str | None:
    """The first words of a paragraph, if they hold no math (LaTeX here, MathML in the page)."""
    opening = " ".join(text.split()[:words])
    return None if "$" in opening else opening


def test_every_html_anchor_is_an_element_of_the_page_holding_its_paragraph() -> None:
    page = shared_file(HTML_PAPER).read_bytes()
    paper = extract_html(page)
    root = html.document_fromstring(page)
    checked = 0
    for section in paper.sections:
        assert section.anchors, section.title
        assert [a.at for a in section.anchors] == sorted({a.at for a in section.anchors})
        for anchor in section.anchors:
            element = root.get_element_by_id(anchor.id)
            opening = _plain_opening(section.text[anchor.at :])
            if opening is None:
                continue
            element_text, start = _letters(element.text_content()), _letters(opening)
            assert start in element_text or start.startswith(element_text), (anchor, opening)
            checked += 1
    assert checked > 300
    paragraphs = sum(s.text.count("\n\n") + 1 for s in paper.sections)
    anchored = sum(len(s.anchors) for s in paper.sections)
    assert anchored >= 0.95 * paragraphs  # nearly every paragraph starts an element with an id


def test_an_html_paragraph_takes_the_outermost_id_that_starts_it() -> None:
    page = (
        '<html><body><article class="ltx_document"><h1 class="ltx_title_document">T</h1>'
        '<div class="ltx_abstract"><p class="ltx_p">Abstract.</p></div>'
        '<section class="ltx_section" id="S1"><h2 class="ltx_title">1 Intro</h2>'
        '<div class="ltx_para" id="S1.p1"><p class="ltx_p" id="S1.p1.1">First paragraph.</p></div>'
        '<section class="ltx_subsection" id="S1.SS1"><h3 class="ltx_title">1.1 Sub</h3>'
        '<div class="ltx_para" id="S1.SS1.p1"><p class="ltx_p" id="S1.SS1.p1.1">Second one.</p></div>'
        '<ul class="ltx_itemize" id="S1.I1"><li class="ltx_item" id="S1.I1.i1">An item.</li></ul>'
        "</section></section></article></body></html>"
    )
    section = extract_html(page).sections[0]
    assert section.text == "First paragraph.\n\n1.1 Sub\n\nSecond one.\n\nAn item."
    assert section.anchors == [
        Anchor(at=0, id="S1.p1"),
        Anchor(at=18, id="S1.SS1"),
        Anchor(at=27, id="S1.SS1.p1"),
        Anchor(at=40, id="S1.I1"),
    ]


@pytest.mark.parametrize("relative", PDF_PAPERS)
def test_every_pdf_anchor_names_the_page_its_text_is_on(relative: str) -> None:
    data = shared_file(relative).read_bytes()
    pages = [_letters(page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages]
    paper = extract_pdf(data)
    checked = 0
    for section in paper.sections:
        assert section.anchors and section.anchors[0].at == 0, section.title
        for anchor in section.anchors:
            assert anchor.page is not None and 1 <= anchor.page <= len(pages)
            opening = _letters(re.sub(r"^Footnote \d+: ", "", section.text[anchor.at :]))[:30]
            assert opening in pages[anchor.page - 1], (section.title, anchor, opening)
            checked += 1
    assert checked >= 15


def test_a_long_pdf_paragraph_that_runs_on_to_the_next_page_is_anchored_there_too() -> None:
    paper = extract_pdf(shared_file("pdf/1111.2011v2.pdf").read_bytes())
    introduction = paper.sections[0]
    pages = [anchor.page for anchor in introduction.anchors]
    assert pages[0] == 1 and pages[-1] == 2  # it starts on page 1, and its second half is on page 2


def test_a_cached_text_from_before_anchors_is_read_again_once() -> None:
    arxiv = FakeArxiv()
    meta = Metadata(id="2401.00001", version=1, title="A paper", authors=[], abstract="The abstract.")
    arxiv.add(meta, html=latexml())
    store = MemoryStore()
    old = FullText(title="A paper", sections=[Section(title="Introduction", text="Old text.")])
    store.put_fulltext("2401.00001", 1, "html", old)
    resolver = PaperResolver(arxiv, store)
    paper = resolver.resolve("2401.00001v1")
    assert paper.sections[0].text == "Introduction text that matters."
    kept = store.get_fulltext("2401.00001", 1)
    assert kept is not None and kept[1].anchored
    asked = len(arxiv.requests)
    assert resolver.resolve("2401.00001v1").sections[0].text == paper.sections[0].text
    assert len(arxiv.requests) == asked


def test_a_cached_text_from_before_anchors_still_serves_when_arxiv_has_nothing_now() -> None:
    arxiv = FakeArxiv()
    arxiv.add(Metadata(id="2401.00001", version=1, title="A paper", authors=[], abstract="Abstract."))
    store = MemoryStore()
    old = FullText(title="A paper", sections=[Section(title="Introduction", text="Old text.")])
    store.put_fulltext("2401.00001", 1, "pdf", old)
    paper = PaperResolver(arxiv, store).resolve("2401.00001v1")
    assert (paper.source, paper.sections[0].text) == ("pdf", "Old text.")
