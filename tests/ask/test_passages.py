"""A paper as passages: verbatim slices of one section each, paragraph-sized, anchored, in document order."""

from __future__ import annotations

import re

import pytest
from lxml import html

from arxivgpt.ask.passages import HEADING_CHARS, MAX_CHARS, MIN_CHARS, _spans, passage_source, split_passages
from arxivgpt.papers.models import Paper, Section
from tests.ask.conftest import FIXTURES, fixture_paper
from tests.conftest import shared_file


@pytest.mark.parametrize("relative", FIXTURES)
def test_every_passage_is_a_verbatim_slice_of_one_section_in_document_order(relative: str) -> None:
    paper = fixture_paper(relative)
    passages = split_passages(paper)
    assert [p.key for p in passages] == [f"p{n}" for n in range(1, len(passages) + 1)]
    assert passages[0].section == "Abstract" and passages[0].part == -1
    assert [(p.part, p.start) for p in passages] == sorted((p.part, p.start) for p in passages)
    for passage in passages:
        assert (
            passage_source(paper, passage)[passage.start : passage.start + len(passage.text)] == passage.text
        )
        assert passage.text == passage.text.strip() and passage.text
    covered = {
        part: "".join(p.text for p in passages if p.part == part) for part in range(len(paper.sections))
    }
    for part, section in enumerate(paper.sections):  # nothing of the text is lost, only whitespace between
        assert re.sub(r"\s", "", covered[part]) == re.sub(r"\s", "", section.text), section.title


@pytest.mark.parametrize("relative", FIXTURES)
def test_passages_are_paragraph_sized(relative: str) -> None:
    passages = split_passages(fixture_paper(relative))
    sizes = [len(p.text) for p in passages]
    assert max(sizes) <= MAX_CHARS + HEADING_CHARS
    assert sum(size < HEADING_CHARS for size in sizes) <= 1  # a heading never stands alone
    assert 250 <= sorted(sizes)[len(sizes) // 2] <= MAX_CHARS


def test_html_passages_link_to_element_ids_of_the_page_and_name_their_subsection() -> None:
    paper = fixture_paper(FIXTURES[0])
    ids = {el.get("id") for el in html.document_fromstring(shared_file(FIXTURES[0]).read_bytes()).iter()}
    body = [p for p in split_passages(paper) if p.part >= 0]
    assert all(p.anchor in ids for p in body)
    lora = next(p for p in body if "with rank 4" in p.text)
    assert (lora.anchor, lora.section) == ("S3.SS1.SSS1.p2", "Awareness of behaviors › 3.1.1 Design")


def test_pdf_passages_name_the_page_they_start_on() -> None:
    passages = split_passages(fixture_paper(FIXTURES[1]))
    assert passages[0].page == 1
    assert next(p for p in passages if "Since its introduction in 1935" in p.text).page == 1
    assert next(p for p in passages if "Johns Hopkins-Princeton" in p.text).page == 8


SENTENCE = "The lattice has a critical point at low temperature. "


@pytest.mark.parametrize(
    ("paragraphs", "expected"),
    [
        (["A short heading", "x" * 400], [2]),  # a heading goes with its paragraph
        (["y" * 400, "z" * 400], [1, 1]),  # two paragraphs of a good size stay apart
        (["short one.", "short two.", "w" * 400], [3]),
        (["v" * 400, "a short tail."], [2]),  # a short last paragraph joins the one before
        (["A heading", SENTENCE * 40], [2, 1]),  # a long paragraph is cut at sentences, the heading first
    ],
)
def test_short_paragraphs_join_and_long_ones_are_cut_at_sentences(
    paragraphs: list[str], expected: list[int]
) -> None:
    text = "\n\n".join(paragraphs)
    spans = _spans(text)
    assert [text[a:b].count("\n\n") + 1 for a, b in spans] == expected
    for a, b in spans:
        assert text[a:b] == text[a:b].strip()
        assert b - a <= MAX_CHARS + HEADING_CHARS or "\n\n" not in text[a:b]
    if len(paragraphs[-1]) > MAX_CHARS:
        pieces = [text[a:b] for a, b in spans]
        assert all(piece.rstrip().endswith(".") for piece in pieces)
        assert all(MIN_CHARS <= len(piece) <= MAX_CHARS + HEADING_CHARS for piece in pieces)


def test_a_paper_with_only_an_abstract_is_its_abstract() -> None:
    paper = Paper(
        id="2401.00001", version=1, title="T", abstract="One sentence. Another one.", source="abstract"
    )
    passages = split_passages(paper)
    assert [(p.key, p.section, p.text) for p in passages] == [
        ("p1", "Abstract", "One sentence. Another one.")
    ]


def test_an_empty_section_gives_no_passage() -> None:
    paper = Paper(
        id=None, version=None, title="T", source="pdf", sections=[Section(title="Empty", text="  ")]
    )
    assert split_passages(paper) == []
