"""A paper as passages: paragraph-sized, section-aligned, each a verbatim slice of the paper with its anchor.

The abstract is passage `p1` (or more, when long); then every section, in document order. A passage is
one paragraph of a section, or several short ones together (a heading, an equation and the paragraph they
introduce), or a stretch of sentences of a paragraph too long to be one. It never spans two sections, and
its text is exactly `section.text[start:end]`, so every quote taken from it is the paper's own words.

Each passage points at its place in the document: the LaTeXML id of the element its first paragraph
starts (arXiv HTML, ar5iv) or the PDF page it starts on (links.py makes the URL). Passages under a
subsection heading of arXiv's HTML name it too ("Awareness of behaviors › 3.1 Finetuning on ...").
"""

from __future__ import annotations

import re
from bisect import bisect_right

from pydantic import BaseModel

from arxivgpt.papers.models import Anchor, Paper, Section
from arxivgpt.summary.faithfulness import sentence_spans

MIN_CHARS = 300
"""A paragraph shorter than this is joined with the next one (the previous, at a section's end)."""
MAX_CHARS = 1200
"""A passage is at most this long, unless it is one sentence that is longer."""
HEADING_CHARS = 150
"""A paragraph this short (a heading) is joined with the next one whatever that one's length."""
ABSTRACT = "Abstract"
_SUBSECTION_ID = re.compile(r"\.(?:S{2,3}|Px)\d+$")
_PARAGRAPH_BREAK = re.compile(r"\n\n")


class Passage(BaseModel):
    """One passage of the paper, as the index keeps it."""

    key: str
    """`p1`, `p2`, ... in document order: what answers cite, as `[p2]`."""
    section: str
    """The section's title (with the subsection's, where known)."""
    text: str
    part: int
    """Which text of the paper it is from: -1 the abstract, else the index in `paper.sections`."""
    start: int
    """Where `text` starts in that text."""
    anchor: str | None = None
    """The LaTeXML id of the element it starts in, for a URL fragment."""
    page: int | None = None
    """The PDF page it starts on."""


def split_passages(paper: Paper) -> list[Passage]:
    """Every passage of `paper`, in document order, keyed p1, p2, ..."""
    pieces: list[tuple[str, int, int, int, Anchor | None]] = []
    if paper.abstract.strip():
        first_page = Anchor(at=0, page=1) if paper.source == "pdf" else None
        pieces += [(ABSTRACT, -1, a, b, first_page) for a, b in _spans(paper.abstract)]
    for index, section in enumerate(paper.sections):
        for start, end in _spans(section.text):
            pieces.append((_label(section, start), index, start, end, _anchor_at(section.anchors, start)))
    passages: list[Passage] = []
    for n, (label, part, start, end, anchor) in enumerate(pieces, start=1):
        text = paper.abstract if part < 0 else paper.sections[part].text
        passages.append(
            Passage(
                key=f"p{n}",
                section=label,
                text=text[start:end],
                part=part,
                start=start,
                anchor=anchor.id if anchor else None,
                page=anchor.page if anchor else None,
            )
        )
    return passages


def passage_source(paper: Paper, passage: Passage) -> str:
    """The text of the paper the passage was cut from (for checking that it is verbatim)."""
    return paper.abstract if passage.part < 0 else paper.sections[passage.part].text


def _spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each passage of one text: short paragraphs joined, long ones cut at sentences."""
    merged: list[list[int]] = []
    for start, end in _paragraphs(text):
        size = merged[-1][1] - merged[-1][0] if merged else MIN_CHARS
        # A heading goes with the paragraph after it, even one long enough to be cut (it is cut after it).
        if size < MIN_CHARS and (end - merged[-1][0] <= MAX_CHARS or size < HEADING_CHARS):
            merged[-1][1] = end
        else:
            merged.append([start, end])
    if len(merged) > 1 and merged[-1][1] - merged[-1][0] < MIN_CHARS:
        tail = merged.pop()
        if tail[1] - merged[-1][0] <= MAX_CHARS:
            merged[-1][1] = tail[1]
        else:
            merged.append(tail)
    spans: list[tuple[int, int]] = []
    for start, end in merged:
        spans.extend(_cut(text, start, end) if end - start > MAX_CHARS else [(start, end)])
    return spans


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph, without the whitespace around it."""
    bounds, start = [], 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        bounds.append((start, match.start()))
        start = match.end()
    bounds.append((start, len(text)))
    spans = []
    for a, b in bounds:
        while a < b and text[a].isspace():
            a += 1
        b = _rstrip(text, a, b)
        if b > a:
            spans.append((a, b))
    return spans


def _cut(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A long stretch cut into pieces of whole sentences, each at most MAX_CHARS (evened out)."""
    sentences = [(start + a, start + b) for a, b in sentence_spans(text[start:end])]
    pieces = -(-(end - start) // MAX_CHARS)
    target = (end - start) / pieces
    spans: list[tuple[int, int]] = []
    first = sentences[0][0] if sentences else start
    for a, b in sentences:
        if a > first and (b - first > MAX_CHARS or a - first >= target):
            spans.append((first, _rstrip(text, first, a)))
            first = a
    spans.append((first, end))
    return spans


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _anchor_at(anchors: list[Anchor], at: int) -> Anchor | None:
    """The last anchor at or before `at`: the paragraph (or page) the passage starts in."""
    i = bisect_right([anchor.at for anchor in anchors], at) - 1
    return anchors[i] if i >= 0 else None


def _label(section: Section, at: int) -> str:
    """The section's title, and the subsection's heading (a paragraph of its own in arXiv's HTML) if any."""
    heading = None
    for anchor in section.anchors:
        if anchor.at > at:
            break
        if anchor.id and _SUBSECTION_ID.search(anchor.id):
            heading = anchor
    if heading is None:
        return section.title
    end = section.text.find("\n\n", heading.at)
    title = section.text[heading.at : end if end >= 0 else len(section.text)]
    return f"{section.title} › {title}" if len(title) <= 120 else section.title
