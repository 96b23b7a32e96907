"""Structured text from an arXiv PDF: `extract_pdf(data) -> FullText`.

pypdf's plain `extract_text()` (content-stream order, which for pdfLaTeX is column order; layout mode
would keep two columns side by side) gives the raw lines; `pdf_text` cleans them. This module reads the
PDF, turning every way it can fail into a `PdfExtractionError` that says what to do, and assembles the
paper: title and authors from the metadata or page 1 (`pdf_front`), the abstract, the sections
(`pdf_headings`), the bibliography (`pdf_references`) and the page each paragraph starts on (`pdf_pages`).
"""

from __future__ import annotations

import io
import logging
import re
import threading
from dataclasses import dataclass, field
from types import TracebackType

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from arxivgpt.errors import PdfExtractionError
from arxivgpt.papers.models import FullText, Reference, Section
from arxivgpt.papers.pdf_front import (
    find_abstract_lines,
    guess_title_and_authors,
    meaningful_title,
    parse_authors,
)
from arxivgpt.papers.pdf_headings import Heading, find_headings, sentence_case
from arxivgpt.papers.pdf_pages import with_page_anchors
from arxivgpt.papers.pdf_references import find_reference_list, split_references
from arxivgpt.papers.pdf_text import (
    TextStats,
    clean_line,
    join_lines,
    letter_count,
    lines_to_paragraphs,
    remove_arxiv_stamp,
    split_footnotes,
    strip_page_furniture,
)

_MIN_LETTERS = 20
"""Fewer letters than this in the whole document means there is no text layer (scanned pages)."""
_HTML_START = (b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")
_ABSTRACT_LIMIT = 3000
"""arXiv caps abstracts at 1,920 characters: past this the "abstract" has run on into the body."""
_ADVICE = "Download it again, or use the paper's HTML version instead."


def extract_pdf(data: bytes) -> FullText:
    """The paper in `data` (a PDF file's bytes) as title, authors, abstract, sections and references.

    Raises `PdfExtractionError` when `data` is not a PDF, is truncated or damaged, needs a password, or
    has no text layer.
    """
    pages, meta_title, meta_author = _read(data)
    return full_text_from_pages(pages, meta_title, meta_author)


# -------------------------------------------------------------------------------- reading


class _QuietPypdf:
    """Silence the `pypdf` logger (it logs each repair it makes to a broken file) while any read runs."""

    def __init__(self) -> None:
        self._logger = logging.getLogger("pypdf")
        self._lock = threading.Lock()
        self._depth = 0
        self._saved_level = logging.NOTSET

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._saved_level = self._logger.level
                self._logger.setLevel(logging.CRITICAL + 1)
            self._depth += 1

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                self._logger.setLevel(self._saved_level)


_QUIET_PYPDF = _QuietPypdf()


def _read(data: bytes) -> tuple[list[str], str, str]:
    """Each page's text, the metadata title and the metadata author."""
    _check_bytes(data)
    with _QUIET_PYPDF:
        reader = _open(data)
        pages = _page_texts(reader)
        title, author = _metadata(reader)
    if sum(map(letter_count, pages)) < _MIN_LETTERS:
        raise PdfExtractionError(
            "The PDF has no extractable text: its pages are probably scanned images, which would need OCR. "
            "Use the paper's HTML version or another copy of the paper."
        )
    return pages, title, author


def _check_bytes(data: bytes) -> None:
    if not data:
        raise PdfExtractionError(f"The PDF file is empty (0 bytes): the download probably failed. {_ADVICE}")
    head = data[:1024]
    if b"%PDF-" not in head:
        if head.lstrip().lower().startswith(_HTML_START):
            raise PdfExtractionError(
                "This is an HTML page, not a PDF: the server sent a web page (an error, a rate-limit or "
                "CAPTCHA page) instead of the paper. Wait a moment and try again, or use the paper's HTML "
                "version."
            )
        raise PdfExtractionError(
            "This file is not a PDF (it does not start with '%PDF-'). Pass the paper's PDF."
        )
    if b"%%EOF" not in data[-4096:]:
        raise PdfExtractionError(
            f"The PDF is truncated: it ends without the '%%EOF' marker, so the download was cut off. "
            f"{_ADVICE}"
        )


def _open(data: bytes) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise PdfExtractionError(
                "The PDF is password-protected and cannot be opened without its password. Use an unprotected "
                "copy (arXiv's own PDFs have none) or the paper's HTML version."
            )
    except PdfExtractionError:
        raise
    except DependencyError as error:
        raise PdfExtractionError(
            f"The PDF is encrypted, and decrypting it needs a package that is missing ({error}). "
            "Install it with: pip install 'pypdf[crypto]'."
        ) from error
    except Exception as error:  # pypdf raises many kinds of error on damaged files
        raise PdfExtractionError(
            f"The PDF is damaged and cannot be read ({_describe(error)}). {_ADVICE}"
        ) from error
    return reader


def _page_texts(reader: PdfReader) -> list[str]:
    try:
        pages = list(reader.pages)
    except Exception as error:
        raise PdfExtractionError(f"The PDF's pages cannot be read ({_describe(error)}). {_ADVICE}") from error
    texts: list[str] = []
    failures: list[Exception] = []
    for page in pages:
        try:
            texts.append(page.extract_text() or "")
        except Exception as error:  # one bad page should not cost the whole paper
            failures.append(error)
            texts.append("")
    if pages and len(failures) == len(pages):
        raise PdfExtractionError(f"No page of the PDF can be read ({_describe(failures[0])}). {_ADVICE}")
    return texts


def _metadata(reader: PdfReader) -> tuple[str, str]:
    try:
        info = reader.metadata
        return (str(info.title or ""), str(info.author or "")) if info else ("", "")
    except Exception:  # broken metadata is no reason to give up on the text
        return "", ""


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


# -------------------------------------------------------------------------------- assembling


def full_text_from_pages(pages: list[str], meta_title: str = "", meta_author: str = "") -> FullText:
    """The paper from each page's extracted text and the PDF's /Title and /Author metadata."""
    page_lines = [[line for line in map(clean_line, page.splitlines()) if line] for page in pages]
    arxiv_id = _take_stamp(page_lines)
    first_page = page_lines[0] if page_lines else []
    guessed_title, guessed_authors = guess_title_and_authors(first_page)
    title = _choose_title(meaningful_title(meta_title), guessed_title, first_page)
    pages_kept = strip_page_furniture(page_lines, title)
    lines = [line for page in pages_kept for line in page]
    stats = TextStats.from_lines(lines)
    parts = _split(lines, stats)
    return FullText(
        title=title,
        authors=parse_authors(meta_author) or guessed_authors,
        abstract=parts.abstract,
        sections=with_page_anchors(parts.sections, pages_kept),
        references=parts.references,
        arxiv_id=arxiv_id,
        anchored=True,
    )


def _choose_title(metadata: str, guessed: str, first_page: list[str]) -> str:
    """The metadata title if page 1 prints it (letters and digits compared) or nothing better was found."""
    if not metadata or not guessed:
        return metadata or guessed

    def letters(text: str) -> str:
        return "".join(char for char in text.lower() if char.isalnum())

    return metadata if letters(metadata) in letters(" ".join(first_page[:30])) else guessed


def _take_stamp(page_lines: list[list[str]]) -> str | None:
    """Remove arXiv's margin stamp from page 1 and return the versioned ID it names."""
    first = page_lines[0] if page_lines else []
    for index, line in enumerate(first):
        arxiv_id, rest = remove_arxiv_stamp(line)
        if arxiv_id:
            first[index : index + 1] = [rest] if rest else []
            return arxiv_id
    return None


@dataclass
class _Parts:
    abstract: str = ""
    sections: list[Section] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    next_footnote: int = 1


@dataclass
class _Block:
    heading: Heading | None
    lines: list[str]
    standalone: set[int] = field(default_factory=set)
    """Indexes in `lines` of subsection headings, each kept as a paragraph of its own."""
    footnotes: list[list[str]] = field(default_factory=list)


def _split(lines: list[str], stats: TextStats) -> _Parts:
    headings = find_headings(lines)
    tops = [heading for heading in headings if heading.level == 1]
    subsections = {heading.start: heading for heading in headings if heading.level == 2}
    front = lines[: tops[0].start] if tops else lines
    parts = _Parts()
    blocks: list[_Block] = []
    abstract: list[str] = []
    reference_lines: list[str] | None = None
    for position, heading in enumerate(tops):
        end = tops[position + 1].start if position + 1 < len(tops) else len(lines)
        block = _block(heading, lines, end, subsections, parts)
        if heading.kind == "references":
            reference_lines = (reference_lines or []) + block.lines
        elif heading.kind == "front" and heading.key == "abstract":
            abstract = _paragraphs(block, stats)
        elif heading.kind != "front":
            blocks.append(block)
    after_abstract = len(front)
    if not abstract:
        found, after_abstract = find_abstract_lines(front)
        abstract = lines_to_paragraphs(found, stats)
    abstract, overflow = _cap_abstract(abstract)
    parts.abstract = "\n\n".join(abstract)
    if not blocks and front[after_abstract:]:  # no section headings: keep the text rather than lose it
        blocks.append(_Block(None, front[after_abstract:]))
    if reference_lines is None:
        reference_lines = _cut_trailing_references(blocks[-1]) if blocks else []
    parts.references = [
        Reference(key=key, text=text) for key, text in split_references(reference_lines, stats)
    ]
    if overflow and (not blocks or blocks[0].heading is not None):
        blocks.insert(0, _Block(None, []))  # the body text the abstract ran into
    parts.sections = [
        Section(
            title=_section_title(block.heading, stats),
            text="\n\n".join((overflow if index == 0 else []) + _paragraphs(block, stats)),
        )
        for index, block in enumerate(blocks)
    ]
    return parts


def _cap_abstract(paragraphs: list[str]) -> tuple[list[str], list[str]]:
    """The abstract's paragraphs within `_ABSTRACT_LIMIT` characters, and the body text that ran on."""
    size = 0
    for index, paragraph in enumerate(paragraphs):
        size += len(paragraph)
        if size > _ABSTRACT_LIMIT:
            return paragraphs[:index], paragraphs[index:]
    return paragraphs, []


def _block(
    heading: Heading, lines: list[str], end: int, subsections: dict[int, Heading], parts: _Parts
) -> _Block:
    """The lines under `heading`, subsection headings marked, footnotes set apart (not in references)."""
    block = _Block(heading, [])
    index = heading.end
    while index < end:
        sub = subsections.get(index)
        if sub:
            block.standalone.add(len(block.lines))
            block.lines.append(" ".join(lines[sub.start : sub.end]))
            index = sub.end
            continue
        stop = index + 1
        while stop < end and stop not in subsections:
            stop += 1
        if heading.kind == "references":
            block.lines.extend(lines[index:stop])
        else:
            kept, notes, parts.next_footnote = split_footnotes(lines[index:stop], parts.next_footnote)
            block.lines.extend(kept)
            block.footnotes.extend(notes)
        index = stop
    return block


def _cut_trailing_references(block: _Block) -> list[str]:
    start = find_reference_list(block.lines)
    if start is None:
        return []
    references = block.lines[start:]
    del block.lines[start:]
    return references


def _paragraphs(block: _Block, stats: TextStats) -> list[str]:
    """The block's paragraphs, then its footnotes ("Footnote 1: …")."""
    paragraphs = lines_to_paragraphs(block.lines, stats, frozenset(block.standalone))
    for note in block.footnotes:
        text = join_lines(note, stats)
        number = re.match(r"\d+", text)
        paragraphs.append(f"Footnote {number.group(0)}: {text[number.end() :]}" if number else text)
    return paragraphs


def _section_title(heading: Heading | None, stats: TextStats) -> str:
    if heading is None:
        return "Text"
    return sentence_case(heading.title.rstrip(":. "), stats.acronyms)
