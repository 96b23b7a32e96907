"""`extract_pdf` on two real arXiv PDFs (read from ../shared, never committed), on broken input, and
`full_text_from_pages` on synthetic pages."""

from __future__ import annotations

import io
import logging
import re
import time

import pytest
from pypdf import PdfReader, PdfWriter

from arxivgpt.errors import PdfExtractionError
from arxivgpt.papers.models import FullText
from arxivgpt.papers.pdf import extract_pdf, full_text_from_pages
from tests.conftest import shared_file

APS_PAPER = "pdf/1111.2011v2.pdf"  # two-column APS/PRB, roman-numbered headings, unheaded reference list
ACM_PAPER = "pdf/2304.02623v1.pdf"  # ACM format, running headers, footnotes, "REFERENCES" with [n] entries


def _bytes(relative: str) -> bytes:
    return shared_file(relative).read_bytes()


@pytest.fixture(scope="module")
def aps() -> FullText:
    return extract_pdf(_bytes(APS_PAPER))


@pytest.fixture(scope="module")
def acm() -> FullText:
    return extract_pdf(_bytes(ACM_PAPER))


def _everything(paper: FullText) -> str:
    parts = [paper.title, paper.abstract, *paper.authors]
    parts += [f"{section.title}\n{section.text}" for section in paper.sections]
    parts += [reference.text for reference in paper.references]
    return "\n".join(parts)


def _body(paper: FullText) -> str:
    return "\n".join(section.text for section in paper.sections)


# ---------------------------------------------------------------------------------- 1111.2011v2


def test_aps_identity(aps: FullText) -> None:
    assert aps.arxiv_id == "1111.2011v2"
    assert (
        aps.title
        == "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert aps.authors == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tešanović"]


def test_aps_sections(aps: FullText) -> None:
    assert [section.title for section in aps.sections] == [
        "Introduction",
        "Self-consistent action in the large z limit",
        "Critical point in N → ∞ limit",
        "Corrections at finite N",
        "Discussion",
        "Acknowledgments",
    ]
    second = aps.sections[1].text.split("\n\n")
    assert "A. Ordered Phase" in second
    assert "B. Disordered phase" in second
    assert aps.sections[-1].text.startswith("We would like to thank Predrag Nikolic")
    assert aps.sections[-1].text.endswith("Division of Materials Sciences and Engineering.")


def test_aps_abstract_is_the_block_after_the_dated_line(aps: FullText) -> None:
    assert aps.abstract.startswith("Theoretical description of anisotropic systems, such as layered")
    assert aps.abstract.endswith("to the theory describing a single node.")


def test_aps_references_are_the_trailing_numbered_list(aps: FullText) -> None:
    assert [reference.key for reference in aps.references] == [str(number) for number in range(1, 21)]
    assert aps.references[0].text == "D. C. Johnston, Adv. Phys. 59, 803 (2010)."
    assert aps.references[1].text == "D. Jérome and H. J. Schulz, Adv. Phys. 31, 299 (1982)."
    assert (
        aps.references[4].text
        == "R. J. Baxter, Exactly Solved Models in Statistical Mechanics, Academic Press (1982)."
    )
    assert aps.references[19].text == "A. Del Maestro, J. M. Murray and Z. Tešanović, unpublished."
    assert "Johnston, Adv. Phys." not in _body(aps)


def test_aps_text_is_clean(aps: FullText) -> None:
    text = _everything(aps)
    assert "arXiv:1111.2011v2" not in text
    assert not any(ligature in text for ligature in "ﬀﬁﬂﬃﬄ")
    assert "ˇ" not in aps.references[6].text
    body = _body(aps)
    assert "completely neglecting interactions between such planes" in body  # "interac-\ntions"
    assert "degrees of freedom" in body  # "free-\ndom"
    assert "uniform Perron-Frobenius mode" in body
    assert "self-consistent" in body
    assert "one-dimensional stack" in body  # hyphen across the stamp and the page break
    assert "\n2\n" not in body and not any(paragraph.isdigit() for paragraph in body.split("\n\n"))


def test_aps_captions_are_paragraphs(aps: FullText) -> None:
    paragraphs = _body(aps).split("\n\n")
    caption = next(paragraph for paragraph in paragraphs if paragraph.startswith("FIG. 1."))
    assert caption.endswith("described by the effective action (11).")
    assert any(paragraph.startswith("to a single node. Such a procedure") for paragraph in paragraphs)


# ---------------------------------------------------------------------------------- 2304.02623v1


def test_acm_identity(acm: FullText) -> None:
    assert acm.arxiv_id == "2304.02623v1"
    assert acm.title == "Beyond Summarization: Designing AI Support for Real-World Expository Writing Tasks"
    assert acm.authors[:2] == ["Zejiang Shen", "Tal August"]
    assert len(acm.authors) == 9


def test_acm_sections(acm: FullText) -> None:
    assert [section.title for section in acm.sections] == [
        "Introduction",
        "Characterizing expository writing",
        "Designing AI supports for expository writing",
        "Conclusion",
        "Acknowledgments",
    ]


def test_acm_abstract(acm: FullText) -> None:
    assert acm.abstract.startswith("Large language models have introduced exciting new opportunities")
    assert acm.abstract.endswith("discuss considerations for future research.")
    assert "KEYWORDS" not in _everything(acm)


def test_acm_references(acm: FullText) -> None:
    assert [reference.key for reference in acm.references] == [str(number) for number in range(1, 36)]
    assert acm.references[1].text == "Alan Baddeley. 1992. Working memory. Science 255, 5044 (1992), 556–559."
    assert acm.references[0].text.startswith(
        "Griffin Adams, Emily Alsentzer, Mert Ketenci, Jason Zucker, and Noémie Elhadad."
    )
    assert acm.references[34].text.endswith("arXiv preprint arXiv:1909.08593 (2019).")
    assert "Griffin Adams" not in _body(acm)


def test_acm_text_is_clean(acm: FullText) -> None:
    text = _everything(acm)
    assert "Shen, et al." not in text
    assert "arXiv:2304.02623v1" not in text
    assert not any(ligature in text for ligature in "ﬀﬁﬂﬃﬄ")
    introduction = acm.sections[0].text
    assert "For example, this could be researchers collecting and reading multiple papers" in introduction
    assert "Footnote 1: In the remainder of this work" in introduction
    conclusion = acm.sections[3].text
    assert conclusion.startswith(
        "Expository writing is genre of evidence-driven and knowledge-generating writing"
    )


def test_extraction_is_fast_enough() -> None:
    data = _bytes(APS_PAPER)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        extract_pdf(data)
        timings.append(time.perf_counter() - started)
    assert min(timings) < 3.0


# ---------------------------------------------------------------------------------- faults


def _one_page_pdf(
    *, user_password: str | None = None, owner_password: str | None = None, blank: bool = False
) -> bytes:
    writer = PdfWriter()
    if blank:
        writer.add_blank_page(612, 792)
    else:
        writer.add_page(PdfReader(io.BytesIO(_bytes(APS_PAPER))).pages[0])
    if user_password is not None:
        writer.encrypt(user_password, owner_password, algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"<!DOCTYPE html>\n<html><body>Rate exceeded.</body></html>", "HTML page", id="html"),
        pytest.param(b"PK\x03\x04 a zip archive", "not a PDF", id="not-a-pdf"),
    ],
)
def test_not_a_pdf(data: bytes, message: str) -> None:
    with pytest.raises(PdfExtractionError, match=message):
        extract_pdf(data)


def test_truncated_pdf() -> None:
    data = _bytes(APS_PAPER)
    with pytest.raises(PdfExtractionError, match="truncated"):
        extract_pdf(data[: len(data) * 3 // 10])


def test_damaged_pdf() -> None:
    data = _bytes(APS_PAPER)
    with pytest.raises(PdfExtractionError, match="damaged"):
        extract_pdf(data[: len(data) * 3 // 10] + b"\n%%EOF\n")


def test_a_pdf_pypdf_repairs_extracts_without_log_noise(caplog: pytest.LogCaptureFixture) -> None:
    data = _bytes(APS_PAPER)
    offset = re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", data)
    assert offset
    broken = data[: offset.start(1)] + str(int(offset.group(1)) - 100).encode() + data[offset.end(1) :]
    caplog.set_level(logging.DEBUG)
    paper = extract_pdf(broken)  # pypdf logs "incorrect startxref pointer" and rebuilds the index
    assert paper.title.startswith("Quantum Criticality")  # (the stamp is lost: pypdf reads older objects)
    assert len(paper.references) == 20
    assert not [record for record in caplog.records if record.name.startswith("pypdf")]
    assert logging.getLogger("pypdf").level == logging.NOTSET  # the logger's level is restored


def test_password_protected_pdf() -> None:
    with pytest.raises(PdfExtractionError, match="password-protected"):
        extract_pdf(_one_page_pdf(user_password="secret"))


def test_pdf_with_only_an_owner_password_still_extracts() -> None:
    paper = extract_pdf(_one_page_pdf(user_password="", owner_password="owner"))
    assert paper.arxiv_id == "1111.2011v2"
    assert paper.title.startswith("Quantum Criticality for Extended Nodes")
    assert paper.sections[0].title == "Introduction"


def test_pdf_without_text() -> None:
    with pytest.raises(PdfExtractionError, match="no extractable text"):
        extract_pdf(_one_page_pdf(blank=True))


# ---------------------------------------------------------------------------------- synthetic pages

SENTENCE = "This sentence is here to make a full line of text in a column. "


def test_a_paper_without_section_headings_keeps_its_text() -> None:
    body = "\n".join(f"{SENTENCE}{number}." for number in range(80))
    abstract = "We study things in a short abstract."
    page = (
        f"A Short Note\nJane Doe1 and John Roe2\n1Some University\n(Dated: May 1, 2020)\n{abstract}\n{body}"
    )
    paper = full_text_from_pages([page])
    assert paper.title == "A Short Note"
    assert paper.authors == ["Jane Doe", "John Roe"]
    assert paper.abstract == abstract  # the body after it is one 5,000-character paragraph: too long
    assert [section.title for section in paper.sections] == ["Text"]
    assert paper.sections[0].text == body.replace("\n", " ")
    assert paper.references == []


def test_no_pages_give_an_empty_paper() -> None:
    assert full_text_from_pages([]) == FullText(anchored=True)
    assert full_text_from_pages(["", "  \n "]) == FullText(anchored=True)


@pytest.mark.parametrize(
    ("meta_title", "title"),
    [
        ("On  Things", "On Things"),  # printed on page 1: the metadata wins (normalised)
        ("ON THINGS", "ON THINGS"),
        ("A Template for Papers", "On Things"),  # a stale title page 1 does not print
        ("paper.pdf", "On Things"),
        ("", "On Things"),
    ],
)
def test_title_from_metadata_or_page_one(meta_title: str, title: str) -> None:
    page = "On Things\nAda Lovelace* and Charles Babbage†\n*Some University\nABSTRACT\nWe study things."
    assert full_text_from_pages([page], meta_title=meta_title).title == title


def test_synthetic_pages_with_headings_furniture_and_references() -> None:
    pages = [
        "On Things\nAda Lovelace* and Charles Babbage†\n*Some University\nABSTRACT\nWe study things.\n"
        f"1 INTRODUCTION\n{SENTENCE}decou-\npling.\nFooter of the Conference 2024\n"
        "arXiv:2401.00001v3  [cs.LG]  1 Jan 2024",
        f"Lovelace and Babbage\n{SENTENCE}\n2 METHOD\nWe do it.\nFooter of the Conference 2024",
        "Lovelace and Babbage\nREFERENCES\n[1] A. Lovelace. 1843. Notes.\n[2] C. Babbage. 1864. Passages.",
    ]
    paper = full_text_from_pages(pages, meta_title="main.tex")
    assert paper.arxiv_id == "2401.00001v3"
    assert paper.title == "On Things"
    assert paper.authors == ["Ada Lovelace", "Charles Babbage"]
    assert paper.abstract == "We study things."
    assert [section.title for section in paper.sections] == ["Introduction", "Method"]
    assert paper.sections[0].text == f"{SENTENCE}decoupling.\n\n{SENTENCE.strip()}"
    assert paper.sections[1].text == "We do it."
    assert [(reference.key, reference.text) for reference in paper.references] == [
        ("1", "A. Lovelace. 1843. Notes."),
        ("2", "C. Babbage. 1864. Passages."),
    ]
