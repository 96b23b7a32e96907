"""Pure text clean-up for PDF extraction: plain strings in, plain strings out (no pypdf here).

pypdf's plain `extract_text()` gives one string per page, one visual line per text line, in content-stream
order. These helpers repair what that loses or mangles:

- characters: ligatures (ﬁ → fi) and TeX's spacing accents ("Teˇsanovi´c" → "Tešanović");
- arXiv's vertical margin stamp (`arXiv:1111.2011v2  [cond-mat.str-el]  2 Apr 2012`);
- page furniture: page numbers and running headers/footers, found by repetition across pages;
- end-of-line hyphens, decided with the document's own vocabulary (`TextStats`);
- lines → paragraphs, and numbered footnotes set apart.

Headings are found in `pdf_headings`, reference lists split in `pdf_references`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from statistics import median


def word_set(text: str, separator: str | None = None) -> frozenset[str]:
    """The words of a word list written as one string, split on whitespace or on `separator`."""
    return frozenset(text.split(separator))


# -------------------------------------------------------------------------------- characters

_CHARACTERS = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",  # LATIN SMALL LIGATURE LONG S T: NFKC makes it "st"
        "\ufb06": "st",
        "\u00ad": "",  # soft hyphen (one at a line end is turned into "-" first)
        "\u200b": "",
        "\ufeff": "",
        "\u00a0": " ",
    }
)

# Spacing accents as TeX fonts draw them, and the combining mark each stands for.
_ABOVE = {
    "\u00b4": "\u0301",  # ´ acute
    "`": "\u0300",  # grave
    "\u02c7": "\u030c",  # ˇ caron
    "\u00a8": "\u0308",  # ¨ diaeresis
    "\u02c6": "\u0302",  # ˆ circumflex
    "\u02dc": "\u0303",  # ˜ tilde
    "\u02dd": "\u030b",  # ˝ double acute
    "\u02d8": "\u0306",  # ˘ breve
    "\u02d9": "\u0307",  # ˙ dot above
    "\u02da": "\u030a",  # ˚ ring
}
_BELOW = {"\u00b8": "\u0327", "\u02db": "\u0328"}  # ¸ cedilla, ˛ ogonek: drawn after their letter
_ABOVE_MARKS = "".join(_ABOVE)
_MARK_THEN_LETTER = re.compile(f"([{_ABOVE_MARKS}])([A-Za-zı])")
_LETTER_THEN_MARK = re.compile(  # at a word end: "Jose´"; below-marks anywhere: "Franc¸ois"
    f"(?<=[^\\W\\d_])([A-Za-zı])([{_ABOVE_MARKS}])(?![^\\W\\d_])|([A-Za-z])([{''.join(_BELOW)}])"
)


def fix_ligatures(text: str) -> str:
    """Replace the Latin ligature code points (ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ) and drop invisible characters."""
    return text.translate(_CHARACTERS)


def _compose(letter: str, mark: str) -> str | None:
    combining = _ABOVE.get(mark) or _BELOW[mark]
    base = "i" if letter == "ı" else letter
    composed = unicodedata.normalize("NFC", base + combining)
    return composed if len(composed) == 1 else None


def _mark_before(match: re.Match[str]) -> str:
    mark, letter = match.group(1), match.group(2)
    text, start, end = match.string, match.start(), match.end()
    inside_word = start > 0 and text[start - 1].isalpha()
    word_start = (  # "´Ecole"; never a backtick, which opens `quotes'
        mark != "`" and (start == 0 or text[start - 1].isspace()) and end < len(text) and text[end].islower()
    )
    return (_compose(letter, mark) if inside_word or word_start else None) or match.group(0)


def _mark_after(match: re.Match[str]) -> str:
    letter, mark = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    return _compose(letter, mark) or match.group(0)


def fix_accents(text: str) -> str:
    """Fold a spacing accent next to a letter into one accented letter: "Teˇsanovi´c" → "Tešanović".

    Only inside words (or at a word start before lower-case letters), and only where Unicode has the
    accented letter, so maths such as "ˆG" or "˜Σ" stays as it is.
    """
    if not any(mark in text for mark in (*_ABOVE, *_BELOW)):
        return text
    text = _MARK_THEN_LETTER.sub(_mark_before, text)
    return _LETTER_THEN_MARK.sub(_mark_after, text)


def clean_line(line: str) -> str:
    """One extracted line with ligatures and accents fixed and whitespace collapsed."""
    if line.endswith("\u00ad"):
        line = line[:-1] + "-"
    return fix_accents(" ".join(fix_ligatures(line).split()))


# -------------------------------------------------------------------------------- arXiv stamp

_VERSIONED_ID = r"(?:\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})v\d+"
ARXIV_STAMP = re.compile(
    rf"arXiv:\s*(?P<id>{_VERSIONED_ID})\s*\[\s*(?P<category>[a-z][a-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?)\s*\]"
    r"\s*(?P<date>\d{1,2}\s*[A-Z][a-z]{2}\s*\d{4})"
)


def remove_arxiv_stamp(line: str) -> tuple[str | None, str]:
    """(the versioned arXiv ID, the line without the stamp) or (None, line) when it carries no stamp.

    Some PDFs give the rotated stamp back to front, so the reversed line is tried too.
    """
    match = ARXIV_STAMP.search(line)
    if match:
        return match.group("id"), " ".join((line[: match.start()] + line[match.end() :]).split())
    backwards = line[::-1]
    match = ARXIV_STAMP.search(backwards)
    if match:
        return match.group("id"), " ".join(
            (backwards[: match.start()] + backwards[match.end() :])[::-1].split()
        )
    return None, line


# -------------------------------------------------------------------------------- page furniture

_PAGE_NUMBER_KEY = re.compile(r"(?:page )?#(?: (?:of|/) #)?|[-–—] ?# ?[-–—]|#/#")


def _furniture_key(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.lower().split()))


def letter_count(text: str) -> int:
    """How many letters (alphabetic characters) `text` has."""
    return sum(char.isalpha() for char in text)


def strip_page_furniture(pages: list[list[str]], title: str = "", depth: int = 3) -> list[list[str]]:
    """Drop page numbers and running headers/footers from the top and bottom `depth` lines of each page.

    A header/footer is a line (digits ignored) seen at the top or bottom of at least two pages, or, after
    page 1, a top line that repeats the paper's title. Page 1's top lines are the title block: only a page
    number is taken from there.
    """
    seen: Counter[str] = Counter()
    for number, page in enumerate(pages):
        edges = set(page[-depth:]) | (set(page[:depth]) if number else set())
        seen.update({_furniture_key(line) for line in edges})
    repeated = {key for key, count in seen.items() if count >= 2 and letter_count(key) >= 3}
    title_key = _furniture_key(title)

    def is_furniture(line: str, top: bool, page_number: int) -> bool:
        key = _furniture_key(line)
        if _PAGE_NUMBER_KEY.fullmatch(key):
            return True
        if top and page_number == 0:
            return False
        if key in repeated:
            return True
        return (
            top and bool(title_key) and (key == title_key or (len(key) >= 15 and title_key.startswith(key)))
        )

    cleaned = []
    for number, page in enumerate(pages):
        start, end = 0, len(page)
        while start < min(depth, end) and is_furniture(page[start], True, number):
            start += 1
        while end > max(start, len(page) - depth) and is_furniture(page[end - 1], False, number):
            end -= 1
        cleaned.append(page[start:end])
    return cleaned


# -------------------------------------------------------------------------------- vocabulary

_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_ACRONYM = re.compile(r"\b[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*\b")


def upper_ratio(text: str) -> float:
    """Share of the cased letters that are upper case (0 when there are none)."""
    cased = [char for char in text if char.isupper() or char.islower()]
    return sum(char.isupper() for char in cased) / len(cased) if cased else 0.0


def is_upper_dominant(text: str, threshold: float = 0.8) -> bool:
    return letter_count(text) >= 2 and upper_ratio(text) >= threshold


@dataclass
class TextStats:
    """What the whole document says about itself: its words, word pairs, compounds and acronyms."""

    words: set[str] = field(default_factory=set)
    """Lower-cased words, hyphenated compounds included ("self-consistent")."""
    bigrams: set[str] = field(default_factory=set)
    compound_heads: set[str] = field(default_factory=set)
    """First parts of hyphenated compounds ("momentum" from "momentum-dependent")."""
    acronyms: dict[str, str] = field(default_factory=dict)
    """Upper-cased form → form as written, for words with two or more capitals ("LLMS" → "LLMs")."""
    line_length: int = 60
    """Length of a typical full line."""

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> TextStats:
        stats = cls()
        lengths = []
        for line in lines:
            if len(line) >= 20:
                lengths.append(len(line))
            words = [word.lower() for word in _WORD.findall(line)]
            stats.words.update(words)
            stats.bigrams.update(f"{a} {b}" for a, b in pairwise(words))
            stats.compound_heads.update(word.split("-", 1)[0] for word in words if "-" in word)
            if not is_upper_dominant(line, 0.6):
                stats.acronyms.update((word.upper(), word) for word in _ACRONYM.findall(line))
        if lengths:
            stats.line_length = int(median(lengths))
        return stats


# -------------------------------------------------------------------------------- hyphens, lines

# Prefixes that make a hyphenated compound when nothing in the document says otherwise.
COMPOUND_PREFIXES = word_set(
    "self non quasi pseudo well cross half one two three four five zero first second third"
)


def keep_hyphen(left: str, right: str, stats: TextStats) -> bool:
    """Whether "left-" at a line end and "right" on the next line form a real hyphenated compound.

    Evidence from the document wins ("self-consistent" or "decoupling" used elsewhere); then a capital or
    digit after the hyphen ("Perron-Frobenius", "CIFAR-100"), an acronym before it, a known prefix, the
    two words used apart elsewhere ("iron pnictide") or as a compound head ("momentum-dependent"). Otherwise
    the hyphen is a word break and the halves are joined.
    """
    if not left or not right or "-" in left or "-" in right or not left[-1].isalpha():
        return True
    low_left, low_right = left.lower(), right.lower()
    if f"{low_left}-{low_right}" in stats.words:
        return True
    if low_left + low_right in stats.words:
        return False
    if right[0].isupper() or right[0].isdigit() or (len(left) >= 2 and left.isupper()):
        return True
    if low_left in COMPOUND_PREFIXES and len(right) >= 4:
        return True
    if f"{low_left} {low_right}" in stats.bigrams:
        return True
    return len(low_left) >= 4 and low_left in stats.compound_heads


_LEFT_WORD = re.compile(r"[\w'’-]*$")
_RIGHT_WORD = re.compile(r"^[\w'’-]*")


def join_lines(lines: Iterable[str], stats: TextStats) -> str:
    """Join the lines of one paragraph with spaces, mending words broken at a line end."""
    parts: list[str] = []
    for line in lines:
        if not parts:
            parts.append(line)
            continue
        last = parts[-1]
        if len(last) >= 2 and last.endswith("-") and last[-2].isalpha():
            left = _LEFT_WORD.search(last[:-1])
            right = _RIGHT_WORD.match(line)
            if keep_hyphen(left.group(0) if left else "", right.group(0) if right else "", stats):
                parts[-1] = last + line
            else:
                parts[-1] = last[:-1] + line
        elif last.endswith(("—", "–")) or (last.endswith("/") and re.search(r"(?:://|www\.)\S*$", last)):
            parts[-1] = last + line
        else:
            parts.append(line)
    return " ".join(parts)


CAPTION = re.compile(r"^(?:FIG\.?|Fig\.|FIGURE|Figure|TABLE|Table|ALGORITHM|Algorithm)\s*(?:\d+|[IVXL]+)[.:]")
_SENTENCE_END = re.compile(r"[.!?][\"”’)\]]?(?:\d+(?:[,–-]\d+)*)?$")
_RUN_IN_HEADING = re.compile(
    r"^[A-Z][\w’'-]*(?: (?:[A-Z][\w’'-]*|a|an|and|for|in|of|on|the|to|with)){1,7}\. [A-Z]"
)
_NOT_AN_END = re.compile(r"(?:\b(?:e\.g|i\.e|et al|Fig|Eq|Ref|cf|vs)\.)$")


def continues_sentence(line: str) -> bool:
    """A line that stops mid-sentence: it ends with a lower-case letter, a comma, semicolon or hyphen."""
    return bool(line) and (line[-1].islower() or line[-1] in ",;-")


def is_caption_start(line: str, previous: str = "") -> bool:
    """ "FIG. 1.", "Figure 2:", "TABLE I." at a line start; "Figure 2." only if no sentence runs into it."""
    match = CAPTION.match(line)
    if not match:
        return False
    return match.group(0).isupper() or match.group(0).endswith(":") or not continues_sentence(previous)


def _ends_paragraph(previous: str, line: str, stats: TextStats) -> bool:
    return (
        bool(_SENTENCE_END.search(previous))
        and not _NOT_AN_END.search(previous)
        and len(previous) < 0.8 * stats.line_length
        and line[:1].isupper()
    )


def _starts_run_in_heading(previous: str, line: str) -> bool:
    """ "Supporting Information Synthesis. As an …": a paragraph that opens with a title-case phrase."""
    return bool(_RUN_IN_HEADING.match(line)) and bool(_SENTENCE_END.search(previous))


def _ends_caption(previous: str, line: str) -> bool:
    return bool(_SENTENCE_END.search(previous)) and not _NOT_AN_END.search(previous) and line[:1].islower()


def lines_to_paragraphs(
    lines: list[str], stats: TextStats, standalone: frozenset[int] = frozenset()
) -> list[str]:
    """Group lines into paragraphs (best effort) and join each; lines in `standalone` are paragraphs alone.

    A paragraph ends before a caption or a run-in heading ("Results. We …"), after a short line that ends
    a sentence when the next one starts with a capital, and a caption ends where a sentence is followed by
    a lower-case line (the interrupted text).
    """
    paragraphs: list[str] = []
    current: list[str] = []
    in_caption = False

    def flush() -> None:
        if current:
            paragraphs.append(join_lines(current, stats))
            current.clear()

    for index, line in enumerate(lines):
        previous = current[-1] if current else ""
        if index in standalone:
            flush()
            paragraphs.append(line)
            in_caption = False
            continue
        if current and (
            is_caption_start(line, previous)
            or _ends_paragraph(previous, line, stats)
            or _starts_run_in_heading(previous, line)
            or (in_caption and _ends_caption(previous, line))
        ):
            flush()
            in_caption = False
        if not current:
            in_caption = bool(CAPTION.match(line))
        current.append(line)
    flush()
    return paragraphs


_FOOTNOTE = re.compile(r"^(?P<number>\d{1,2})(?=[A-Z][a-z]|https?://|www\.)")


def _note_complete(note: list[str]) -> bool:
    last = note[-1]
    return bool(_SENTENCE_END.search(last)) or "://" in last.rsplit(" ", 1)[-1] or len(note) >= 4


def split_footnotes(lines: list[str], number: int = 1) -> tuple[list[str], list[list[str]], int]:
    """Take numbered footnotes ("1In the remainder …", "2https://…") out of the running text.

    pypdf puts a footnote where it sits on the page, often mid-sentence; its marker is glued to its first
    word. Footnotes count up through the document, `number` being the next one expected. A footnote runs
    on until a line ends a sentence or a URL (4 lines at most). Returns the other lines, the footnotes'
    lines and the next number.
    """
    kept: list[str] = []
    notes: list[list[str]] = []
    note: list[str] | None = None
    for line in lines:
        match = _FOOTNOTE.match(line)
        if match and int(match["number"]) == number:
            note = [line]
            notes.append(note)
            number += 1
        elif note is not None and not _note_complete(note):
            note.append(line)
        else:
            note = None
            kept.append(line)
    return kept, notes, number
