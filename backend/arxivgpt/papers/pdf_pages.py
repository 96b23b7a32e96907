"""Which PDF page each paragraph of the extracted text starts on: the anchors of a PDF's sections.

Paragraphs are built from lines joined across pages, with hyphens, ligatures and footnote markers
repaired, so their offsets cannot be carried through. Instead each paragraph is found again in the pages'
text, both reduced to lower-case letters and digits (what every repair leaves alone): its first
characters, else a stretch from its middle (a "Footnote 1:" label is not in the PDF). Paragraphs are
looked for from where the previous one was found, then anywhere; one not found takes the previous
paragraph's page. A long paragraph is also probed every `PROBE_CHARS` characters, so that where it runs
on to the next page a passage cut from its second half still names the right page.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from arxivgpt.papers.models import Anchor, Section

KEY_CHARS = 40
"""How many letters and digits of a paragraph are looked for (shorter paragraphs: all of them)."""
MIN_KEY_CHARS = 12
PROBE_CHARS = 300
_PARAGRAPH_BREAK = re.compile(r"\n\n")
_WORD_START = re.compile(r"(?<=\s)\S")


class PageFinder:
    """The document's pages as one string of letters and digits, and where each page starts in it."""

    def __init__(self, pages: list[list[str]]) -> None:
        texts = [_reduced(" ".join(lines)) for lines in pages]
        self.starts: list[int] = []
        at = 0
        for text in texts:
            self.starts.append(at)
            at += len(text)
        self.text = "".join(texts)
        self.cursor = 0

    def page_of(self, paragraph: str) -> int | None:
        """The 1-based page where `paragraph` starts (None when it cannot be found)."""
        reduced = _reduced(paragraph)
        middle = len(reduced) // 2
        for key, offset in ((reduced[:KEY_CHARS], 0), (reduced[middle : middle + KEY_CHARS], middle)):
            found = self._find(key)
            if found is not None:
                return bisect_right(self.starts, max(found - offset, 0))
        return None

    def _find(self, key: str) -> int | None:
        if len(key) < MIN_KEY_CHARS:
            return None
        found = self.text.find(key, self.cursor)
        if found < 0:
            found = self.text.find(key)
        if found < 0:
            return None
        self.cursor = found + len(key)
        return found


def with_page_anchors(sections: list[Section], pages: list[list[str]]) -> list[Section]:
    """`sections` with an anchor at each paragraph, and where a paragraph runs on to another page."""
    finder = PageFinder(pages)
    anchored: list[Section] = []
    page = 1
    for section in sections:
        anchors: list[Anchor] = []
        for start, end in _paragraphs(section.text):
            page = finder.page_of(section.text[start:end]) or page
            anchors.append(Anchor(at=start, page=page))
            for at in _probes(section.text, start, end):
                found = finder.page_of(section.text[at:end])
                if found is not None and found != page:
                    page = found
                    anchors.append(Anchor(at=at, page=page))
        anchored.append(section.model_copy(update={"anchors": anchors}))
    return anchored


def _paragraphs(text: str) -> list[tuple[int, int]]:
    if not text:
        return []
    starts = [0, *(match.end() for match in _PARAGRAPH_BREAK.finditer(text))]
    ends = [match.start() for match in _PARAGRAPH_BREAK.finditer(text)] + [len(text)]
    return list(zip(starts, ends, strict=True))


def _probes(text: str, start: int, end: int) -> list[int]:
    """Word starts about every `PROBE_CHARS` characters inside a long paragraph."""
    probes: list[int] = []
    at = start + PROBE_CHARS
    while at < end - PROBE_CHARS // 2:
        word = _WORD_START.search(text, at, end)
        if word is None:
            break
        probes.append(word.start())
        at = word.start() + PROBE_CHARS
    return probes


def _reduced(text: str) -> str:
    return "".join(char for char in text.casefold() if char.isalnum())
