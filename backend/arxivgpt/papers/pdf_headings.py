"""Section headings in the cleaned lines of a PDF: `find_headings`, and `sentence_case` for their titles.

Numbered headings must follow on from the previous one in one numbering style; unnumbered ones must be
known names (Abstract, Acknowledgments, References, ...) on a line of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from arxivgpt.papers.pdf_text import CAPTION, continues_sentence, is_upper_dominant, letter_count, word_set

FRONT_HEADINGS = word_set(
    "abstract|keywords|key words|index terms|ccs concepts|general terms|acm reference format", "|"
)
REFERENCE_HEADINGS = word_set("references|bibliography|literature cited|references and notes", "|")
APPENDIX_HEADINGS = word_set("appendix|appendices|supplementary material|supplementary materials", "|")
BODY_HEADINGS = word_set(
    "introduction|background|preliminaries|method|methods|methodology|approach|experiments|evaluation|results|"
    "discussion|analysis|conclusion|conclusions|limitations|acknowledgments|acknowledgements|acknowledgment|"
    "acknowledgement|related work|related works|prior work|experimental setup|experimental results|"
    "results and discussion|concluding remarks|conclusion and future work|conclusions and future work|"
    "future work|summary and outlook|ethics statement|broader impact|data availability|author contributions",
    "|",
)
_ROMAN_NUMERALS = "I II III IV V VI VII VIII IX X XI XII XIII XIV XV XVI XVII XVIII XIX XX"
_ROMANS = {numeral: value for value, numeral in enumerate(_ROMAN_NUMERALS.split(), start=1)}

_KNOWN_RE = re.compile(
    r"^(?:(?P<label>\d{1,2}|[IVX]{1,5})\.?\s+)?(?P<title>[^\W\d_][^\W\d_ &]*(?: [^\W\d_&]+| &)*)\s*[:.]?$"
)
_ROMAN_RE = re.compile(r"^(?P<label>[IVX]{1,5})\.\s*(?P<title>\S.*)$")
_ARABIC_RE = re.compile(r"^(?P<label>\d{1,2})\.?(?P<space>\s*)(?P<title>[^\W\d_].*)$")
_DECIMAL_RE = re.compile(r"^(?P<label>\d{1,2}(?:\.\d{1,2}){1,3})\.?\s+(?P<title>[^\W\d_].*)$")
_LETTER_RE = re.compile(r"^(?P<label>[A-Z])\.\s+(?P<title>[^\W\d_].*)$")
_APPENDIX_RE = re.compile(
    r"^(?:APPENDIX|Appendix)(?:\s+(?P<label>[A-Z]|\d{1,2})\b)?\s*(?P<sep>[:.\-—–])?\s*(?P<rest>.*)$"
)
_LABEL_START = re.compile(r"^(?:\d|[IVX]+\.|[A-Z]\.\s)")


@dataclass(frozen=True)
class Heading:
    """A heading found at `lines[start:end]` (a wrapped heading spans several lines)."""

    start: int
    end: int
    level: int
    """1: starts a section; 2: a subsection, kept inside its section's text."""
    kind: str
    """"section", "front" (Abstract, Keywords), "references", "appendix" or "subsection"."""
    label: str
    """The numbering as printed: "II", "3", "2.1", "A", or ""."""
    title: str
    """The heading without its numbering, wrapped lines joined, in the case it was printed in."""

    @property
    def key(self) -> str:
        return " ".join(self.title.lower().split())


def known_heading_kind(title: str) -> str | None:
    """ "front", "references", "appendix" or "section" for a heading from the known list, else None."""
    key = " ".join(title.lower().rstrip(":.").split())
    if key in FRONT_HEADINGS:
        return "front"
    if key in REFERENCE_HEADINGS:
        return "references"
    if key in APPENDIX_HEADINGS:
        return "appendix"
    return "section" if key in BODY_HEADINGS else None


def heading_like(title: str, max_words: int = 14) -> bool:
    """Could this be a heading's title: short, capitalised, no final stop, no initials, mostly words."""
    words = title.split()
    wordy = sum(char.isalpha() or char.isspace() or char in "-:'’()&/,?" for char in title)
    return (
        2 <= len(title) <= 90
        and 1 <= len(words) <= max_words
        and title[0].isupper()
        and title[-1] not in ".,;"
        and not re.match(r"[A-Z]\.(?:\s|$)", title)
        and not re.search(r",\s*[A-Z]\.", title)
        and wordy >= 0.75 * len(title)
    )


def _after_break(previous: str) -> bool:
    return not continues_sentence(previous)


class _HeadingFinder:
    """Walks the lines once, remembering the numbering so far to reject look-alikes out of sequence."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.style: str | None = None  # "roman" or "arabic", fixed by the first numbered heading
        self.number = 0
        self.letter = ""
        self.in_references = False

    def find(self) -> list[Heading]:
        found: list[Heading] = []
        index = 0
        while index < len(self.lines):
            heading = self._match(index)
            if heading:
                found.append(heading)
                index = heading.end
            else:
                index += 1
        return found

    def _match(self, index: int) -> Heading | None:
        line = self.lines[index]
        if len(line) > 100 or letter_count(line) < 2:
            return None
        previous = self.lines[index - 1] if index else ""
        following = self.lines[index + 1] if index + 1 < len(self.lines) else ""
        return (
            self._known(index, line, previous, following)
            or self._appendix(index, line, previous)
            or self._numbered(index, line, previous)
            or self._subsection(index, line, previous)
        )

    def _known(self, index: int, line: str, previous: str, following: str) -> Heading | None:
        match = _KNOWN_RE.match(line)
        kind = known_heading_kind(match["title"]) if match else None
        if not match or not kind:
            return None
        title, label = match["title"], match["label"] or ""
        if not title.isupper():  # not a word that ends a sentence, nor a table's column head
            if not title[0].isupper() or (kind != "front" and not _after_break(previous)):
                return None
            if not label and kind != "references" and len(following) < 25:
                return None
        if label:
            self.style = self.style or ("arabic" if label.isdigit() else "roman")
            self.number = int(label) if label.isdigit() else _ROMANS.get(label, 0)
        self.letter = ""
        self.in_references = self.in_references or kind == "references"
        return Heading(index, index + 1, 1, kind, label, title)

    def _appendix(self, index: int, line: str, previous: str) -> Heading | None:
        match = _APPENDIX_RE.match(line)
        if not match:
            return None
        rest, upper = match["rest"], is_upper_dominant(line)
        if rest and not (heading_like(rest) and (match["sep"] or match["label"] or upper)):
            return None
        if not (upper or (match["label"] and match["sep"])) and not _after_break(previous):
            return None
        self.letter = ""
        return Heading(index, index + 1, 1, "appendix", match["label"] or "", " ".join(line.split()))

    def _numbered(self, index: int, line: str, previous: str) -> Heading | None:
        if self.in_references:
            return None
        match = _ROMAN_RE.match(line)
        if match and self.style in (None, "roman") and match["label"] in _ROMANS:
            title = match["title"]
            if is_upper_dominant(title) and heading_like(title):
                return self._section(index, "roman", match["label"], _ROMANS[match["label"]], title)
        match = _ARABIC_RE.match(line)
        if match and self.style in (None, "arabic"):
            title, upper = match["title"], is_upper_dominant(match["title"])
            plain = bool(match["space"]) and heading_like(title, 10) and _after_break(previous)
            if (upper or plain) and heading_like(title):
                return self._section(index, "arabic", match["label"], int(match["label"]), title)
        return None

    def _section(self, index: int, style: str, label: str, number: int, title: str) -> Heading | None:
        if not self.number < number <= self.number + 2:
            return None
        self.style, self.number, self.letter = style, number, ""
        end = index + 1
        if is_upper_dominant(title):
            while end < len(self.lines) and end <= index + 2 and self._continues_heading(self.lines[end]):
                title = f"{title} {self.lines[end]}"
                end += 1
        return Heading(index, end, 1, "section", label, title)

    @staticmethod
    def _continues_heading(line: str) -> bool:
        return (
            is_upper_dominant(line, 0.75)
            and len(line) <= 60
            and not _LABEL_START.match(line)
            and not CAPTION.match(line)
            and known_heading_kind(line) is None
        )

    def _subsection(self, index: int, line: str, previous: str) -> Heading | None:
        if self.in_references or self.style is None:
            return None
        match = _DECIMAL_RE.match(line)
        if match and self.style == "arabic" and match["label"].split(".")[0] == str(self.number):
            title = match["title"]
            if heading_like(title, 12) and (is_upper_dominant(title) or _after_break(previous)):
                return Heading(index, index + 1, 2, "subsection", match["label"], title)
        match = _LETTER_RE.match(line)
        if match and self.style == "roman":
            letter, title = match["label"], match["title"]
            expected = chr(ord(self.letter) + 1) if self.letter else "A"
            fits = letter in (expected, chr(ord(expected) + 1)) and "," not in title and len(line) <= 60
            if fits and heading_like(title, 8) and _after_break(previous):
                self.letter = letter
                return Heading(index, index + 1, 2, "subsection", letter, title)
        return None


def find_headings(lines: list[str]) -> list[Heading]:
    """Section and subsection headings, in order.

    Recognised: numbered headings ("I. INTRODUCTION", "2 RELATED WORK", "3 Method") whose numbers follow
    on from the previous one, in one numbering style per document; subsections "2.1 Setup" (inside section
    2) and "A. Ordered Phase" (in roman-numbered papers); appendices; and the usual unnumbered names
    (Abstract, Acknowledgments, References, ...) on a line of their own, in capitals or title case.
    Upper-case numbered headings that wrap continue onto upper-case lines below. After References only
    appendices and known names are accepted.
    """
    return _HeadingFinder(lines).find()


def sentence_case(title: str, acronyms: dict[str, str]) -> str:
    """ "SELF-CONSISTENT ACTION IN THE LARGE z LIMIT" → "Self-consistent action in the large z limit".

    Only for titles printed in capitals (others are returned as they are). Words the document writes with
    several capitals elsewhere keep that form ("AI", "LLMs"); single letters stay, except a non-final "A".
    """
    if not is_upper_dominant(title):
        return title
    words = title.split()

    def fix(part: str, last: bool) -> str:
        core = part.strip("()[]:;,.!?\"'’“”")
        if core.upper() in acronyms:
            return part.replace(core, acronyms[core.upper()])
        if (len(core) == 1 and (core != "A" or last or part != core)) or any(
            char.islower() or char.isdigit() for char in core
        ):
            return part
        return part.lower()

    fixed = [
        "-".join(fix(part, position == len(words) - 1) for part in word.split("-"))
        for position, word in enumerate(words)
    ]
    text = " ".join(fixed)
    first = next((position for position, char in enumerate(text) if char.isalpha()), None)
    return text if first is None else text[:first] + text[first].upper() + text[first + 1 :]
