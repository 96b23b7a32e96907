"""References that matter and exist: every in-text citation of a paper, mapped to its own bibliography.

Three citation styles are read from the abstract and the sections:

- numeric: `[4]`, `[4, 27, 32]`, `[3–5]` (a bracket whose numbers are not all entries, that starts at 0,
  that follows `=`, `∈` and the like, or whose range spans more than `MAX_RANGE` numbers is not a citation);
- author–year: parenthetical "(Evans et al., 2021; Chen et al., 2017)", "[Adams et al. 2021]" and
  narrative "Berglund et al. (2023a)", "Allen-Zhu & Li (2023)". A citation counts only when its first
  author's surname (case and diacritics aside) and year match an entry, so a "(trained in 2023)" never does.
  A letter suffix picks the entry whose year carries it, or else the k-th same-author same-year entry;
- superscript: "chains.2", "possible.5,6", "superconductors1," as PDF text flattens them. Only when the
  paper has no citation of the other styles, and only numbers that appear in order of first citation
  (within a few), after a lowercase word of 3+ letters: math such as "k2" or "ω2" never qualifies.

Author–year citations always count (they name an entry too precisely to be anything else); numeric ones
only where they are at least as many, since an author–year paper's brackets are more likely math. An entry
is counted once per citing sentence (a sentence that cites it twice, in two styles, counts once).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from arxivgpt.papers.models import Paper, Reference
from arxivgpt.summary.faithfulness import sentence_spans
from arxivgpt.summary.grounding import MAX_RANGE

SUPERSCRIPT_SLACK = 5
"""A superscript number may run at most this far ahead of the highest one cited before it."""
MIN_SUPERSCRIPT_ENTRIES = 3
MIN_SUPERSCRIPT_SHARE = 0.3
"""Superscripts that name fewer distinct entries than these (a count, a share of the bibliography) are taken
as footnote marks or powers: a paper cited by superscripts cites most of its bibliography that way."""
READABLE_WORDS = (6, 60)
"""A citing sentence reads well as a reason with this many words, its citations left aside."""


@dataclass(frozen=True)
class CitedReference:
    """One bibliography entry and how the paper uses it."""

    n: int
    """1-based place in `paper.references`."""
    text: str
    """The entry, verbatim."""
    count: int
    """How many sentences of the paper cite it."""
    sentence: str
    """The first citing sentence that reads well on its own (else the first), verbatim with whitespace
    normalised; "" when the entry is never cited."""
    section: str
    """The title of the section that sentence is in ("Abstract" for the abstract); "" when never cited."""


def rank_references(paper: Paper) -> list[CitedReference]:
    """All bibliography entries: the most cited first, ties by first citation, the uncited last in order."""
    if not paper.references:
        return []
    blocks = _blocks(paper)
    usage = _usage(blocks, _citations(blocks, paper.references))
    ranked = [_cited(i + 1, ref.text, blocks, usage.get(i + 1)) for i, ref in enumerate(paper.references)]
    return sorted(ranked, key=lambda ref: _rank_key(ref, usage))


# The paper's text, block by block


class _Block:
    """A section (or the abstract) and its sentences."""

    def __init__(self, title: str, text: str) -> None:
        self.title, self.text = title, text
        self.spans = sentence_spans(text)
        self._starts = [start for start, _ in self.spans]

    def sentence_at(self, position: int) -> int | None:
        i = bisect_right(self._starts, position) - 1
        return i if i >= 0 and position < self.spans[i][1] else None

    def sentence(self, index: int) -> str:
        start, end = self.spans[index]
        return " ".join(self.text[start:end].split())


_BIBLIOGRAPHY_TITLE = re.compile(r"^(?:\d+\.?\s*)?(?:references?|bibliography|works cited)$", re.I)


def _blocks(paper: Paper) -> list[_Block]:
    blocks = [_Block("Abstract", paper.abstract)] if paper.abstract.strip() else []
    for section in paper.sections:
        if section.text.strip() and not _BIBLIOGRAPHY_TITLE.match(section.title.strip()):
            blocks.append(_Block(section.title, section.text))
    return blocks


@dataclass(frozen=True)
class _Hit:
    """One citation: where it is and the entries (1-based) it names."""

    block: int
    position: int
    entries: tuple[int, ...]


@dataclass
class _Usage:
    sentences: list[tuple[int, int]]
    """(block, sentence) of each citing sentence, in text order, once each."""
    first: tuple[int, int]
    """(block, position) of the first citation."""


def _citations(blocks: Sequence[_Block], references: Sequence[Reference]) -> list[_Hit]:
    numbers = _NumberMap(references)
    entries = _AuthorYearIndex(references)
    numeric = [hit for i, b in enumerate(blocks) for hit in _numeric_hits(i, b.text, numbers)]
    author_year = [hit for i, b in enumerate(blocks) for hit in _author_year_hits(i, b.text, entries)]
    if numeric and len(numeric) >= len(author_year):
        return numeric + author_year
    return author_year or _superscript_hits(blocks, numbers)


def _usage(blocks: Sequence[_Block], hits: Sequence[_Hit]) -> dict[int, _Usage]:
    usage: dict[int, _Usage] = {}
    for hit in sorted(hits, key=lambda h: (h.block, h.position)):
        sentence = blocks[hit.block].sentence_at(hit.position)
        if sentence is None:
            continue
        for n in dict.fromkeys(hit.entries):
            seen = usage.setdefault(n, _Usage([], (hit.block, hit.position)))
            if (hit.block, sentence) not in seen.sentences:
                seen.sentences.append((hit.block, sentence))
    return usage


def _readable_first(blocks: Sequence[_Block], sentences: list[tuple[int, int]]) -> tuple[int, int]:
    low, high = READABLE_WORDS
    for block, index in sentences:
        words = len(_CITATION_NOISE.sub(" ", blocks[block].sentence(index)).split())
        if low <= words <= high:
            return block, index
    return sentences[0]


def _cited(n: int, text: str, blocks: Sequence[_Block], usage: _Usage | None) -> CitedReference:
    if usage is None:
        return CitedReference(n=n, text=text, count=0, sentence="", section="")
    block, index = _readable_first(blocks, usage.sentences)
    return CitedReference(
        n=n,
        text=text,
        count=len(usage.sentences),
        sentence=blocks[block].sentence(index),
        section=blocks[block].title,
    )


_NEVER = (sys.maxsize, 0)


def _rank_key(ref: CitedReference, usage: dict[int, _Usage]) -> tuple[int, tuple[int, int], int]:
    seen = usage.get(ref.n)
    return (-ref.count, seen.first if seen else _NEVER, ref.n)


# Numeric citations: [4], [4, 27, 32], [3–5]

_ITEM = r"\d{1,4}(?:\s*[-–—]\s*\d{1,4})?"
_NUMERIC = re.compile(rf"(?<!\\)\[\s*(?P<list>{_ITEM}(?:\s*[,;]\s*{_ITEM})*)\s*\]")
_MATH_BEFORE = set("=∈∉⊂⊆⊃⊇≤≥<>×·^_+−*/|≈∼~")
_MATH_AFTER = set("^_=×")
_CITATION_NOISE = re.compile(rf"\[\s*{_ITEM}(?:\s*[,;]\s*{_ITEM})*\s*\]|\([^()]*?(?:19|20)\d\d[a-z]?\)")


class _NumberMap:
    """Citation number → entry: by the entries' own numeric keys when they all have one, else by place."""

    def __init__(self, references: Sequence[Reference]) -> None:
        keys = [ref.key.strip().strip("[]().") for ref in references]
        if all(key.isdigit() for key in keys) and len(set(keys)) == len(keys):
            self._by_number = {int(key): i + 1 for i, key in enumerate(keys)}
        else:
            self._by_number = {i + 1: i + 1 for i in range(len(references))}

    def get(self, number: int) -> int | None:
        return self._by_number.get(number)

    def __len__(self) -> int:
        return len(self._by_number)


def _numeric_hits(block: int, text: str, numbers: _NumberMap) -> Iterator[_Hit]:
    for match in _NUMERIC.finditer(text):
        if _in_math(text, match.start(), match.end()):
            continue
        cited = _expand(match.group("list"), numbers)
        if cited:
            yield _Hit(block, match.start(), cited)


def _in_math(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 20) : start].rstrip()[-1:]
    after = text[end : end + 20].lstrip()[:1]
    return before in _MATH_BEFORE or after in _MATH_AFTER


def _expand(listing: str, numbers: _NumberMap) -> tuple[int, ...]:
    """The entries a listing names; () when any part is not a citation ([0, 1], [5, 99], [1-40], [5-3])."""
    cited: list[int] = []
    for item in re.split(r"\s*[,;]\s*", listing.strip()):
        bounds = [int(x) for x in re.findall(r"\d+", item)]
        low, high = bounds[0], bounds[-1]
        if low == 0 or high < low or high - low >= MAX_RANGE:
            return ()
        for number in range(low, high + 1):
            entry = numbers.get(number)
            if entry is None:
                return ()
            cited.append(entry)
    return tuple(cited)


# Author–year citations

_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_PARTICLES = ("van", "von", "de", "der", "den", "del", "della", "di", "da", "du", "dos", "das", "le", "la")
_NAME = rf"(?:(?i:{'|'.join(_PARTICLES)})\s+)*[^\W\d_][\w'’.@-]*"
_OTHERS = rf"(?:\s+et\s+al\.?|\s*,?\s+(?:and|&)\s+{_NAME})?"
_YEAR = r"(?:19|20)\d\d[a-z]?(?![\w-])"
_YEARS = rf"(?P<years>{_YEAR}(?:\s*[,;]\s*(?:{_YEAR}|[a-z](?![\w-])))*)"
_PARENTHETICAL = re.compile(rf"(?<![\w@.'’-])(?P<name>{_NAME}){_OTHERS}(?:\s*,\s*|\s+){_YEARS}")
_NARRATIVE = re.compile(rf"(?<![\w@.'’-])(?P<name>{_NAME}){_OTHERS}\s*[(\[]\s*{_YEARS}\s*[)\];,]")
_YEAR_PARTS = re.compile(r"((?:19|20)\d\d)?([a-z]?)")

# An entry's first author ends at the first comma, "and", "&", "(", a year, or a full stop after a word
# (not after an initial: "D. C. Johnston, ...", "Alan Baddeley. 1992. ...", "Johnston, D. C. ...").
_AUTHOR_END = re.compile(r",|;|\s(?:and|&)\s|\s+et\.?\s+al\b|\(|(?<!\b[^\W\d_])\.(?=\s|$)|\s(?:19|20)\d\d")
_ENTRY_YEAR = re.compile(r"(?<![\w/:.–-])((?:19|20)\d\d)([a-z]?)(?![\w/–-]|\.\d)")
_LABEL = re.compile(r"^(?P<names>\D+?),?\s*[(\[]?(?P<year>(?:19|20)\d\d)(?P<suffix>[a-z]?)[)\]]?$")
_LABEL_FIRST = re.compile(r"\s+et\s+al\b|\s*,|\s+(?:and|&)\s+")


@dataclass(frozen=True)
class _Entry:
    n: int
    years: frozenset[str]
    """"2023" or "2023a" for each year the entry shows."""


class _AuthorYearIndex:
    """The entries by first-author surname, to look author–year citations up."""

    def __init__(self, references: Sequence[Reference]) -> None:
        self._by_surname: dict[str, list[_Entry]] = {}
        for i, ref in enumerate(references):
            label = _LABEL.match(ref.key.strip())
            surnames = _entry_surnames(ref.text)
            if label:
                years = frozenset({label.group("year") + label.group("suffix")})
                first = _LABEL_FIRST.split(label.group("names"), maxsplit=1)[0]
                surnames |= _surname_keys(first.split())
            else:
                years = frozenset(y + s for y, s in _ENTRY_YEAR.findall(ref.text))
            entry = _Entry(i + 1, years)
            for surname in surnames:
                self._by_surname.setdefault(surname, []).append(entry)

    def resolve(self, name: str, year: str, suffix: str) -> int | None:
        """The entry a citation names, or None when none or several fit."""
        tokens = name.split()
        for key in dict.fromkeys([_normal("".join(tokens)), _normal(tokens[-1])]):
            found = self._resolve(self._by_surname.get(key, []), year, suffix)
            if found is not None:
                return found
        return None

    @staticmethod
    def _resolve(entries: list[_Entry], year: str, suffix: str) -> int | None:
        same_year = [e for e in entries if any(y[:4] == year for y in e.years)]
        plain = [e for e in same_year if year in e.years]
        if suffix:
            exact = [e for e in same_year if year + suffix in e.years]
            if exact:
                return exact[0].n
            place = ord(suffix) - ord("a")  # natbib letters same-author same-year entries in list order
            if len(plain) > 1 and place < len(plain):
                return plain[place].n
            return plain[0].n if len(plain) == 1 else None
        if len(plain) == 1:
            return plain[0].n
        return same_year[0].n if not plain and len(same_year) == 1 else None


def _entry_surnames(text: str) -> set[str]:
    end = _AUTHOR_END.search(text)
    first = text[: end.start()] if end else text
    return _surname_keys(first.split())


def _surname_keys(tokens: list[str]) -> set[str]:
    """The lookup keys of one author's name tokens: "Zeyuan Allen-Zhu" → {allenzhu}, "Smith J" → {smith},
    "Chris van Merwijk" → {merwijk, vanmerwijk}."""
    names = [t for t in tokens if not _is_initial(t) and _normal(t) not in _NAME_SUFFIXES] or tokens
    if not names:
        return set()
    keys = {_normal(names[-1])}
    i = len(names) - 2  # "van der Maaten": every particle chain before the surname is a key too
    while i >= 0 and names[i].casefold() in _PARTICLES:
        keys.add(_normal("".join(names[i:])))
        i -= 1
    return {key for key in keys if key}


def _is_initial(token: str) -> bool:
    letters = re.sub(r"[.\-‐]", "", token)
    return len(letters) <= 1 or (len(letters) <= 3 and letters.isupper() and letters.isalpha())


def _normal(name: str) -> str:
    """Lower-case letters and digits only, diacritics dropped: "Tramèr" → "tramer", "AI@Meta" → "aimeta"."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c)).casefold()


def _author_year_hits(block: int, text: str, entries: _AuthorYearIndex) -> Iterator[_Hit]:
    for match in _NARRATIVE.finditer(text):
        yield from _name_year_hit(block, match, entries)
    for match in _PARENTHETICAL.finditer(text):
        if _inside_brackets(text, match.start()):
            yield from _name_year_hit(block, match, entries)


def _name_year_hit(block: int, match: re.Match[str], entries: _AuthorYearIndex) -> Iterator[_Hit]:
    name = match.group("name").rstrip(".")
    if not name.split()[-1][:1].isupper():
        return
    cited: list[int] = []
    year = ""
    for part in re.split(r"\s*[,;]\s*", match.group("years")):
        parts = _YEAR_PARTS.fullmatch(part)
        if parts is None:
            continue
        year = parts.group(1) or year
        entry = entries.resolve(name, year, parts.group(2))
        if entry is not None:
            cited.append(entry)
    if cited:
        yield _Hit(block, match.start(), tuple(cited))


def _inside_brackets(text: str, position: int) -> bool:
    """Whether `position` is inside (...) or [...] opened within the same paragraph."""
    window = text[max(0, position - 400) : position]
    window = window[window.rfind("\n\n") + 1 :]
    opened = max(window.rfind("("), window.rfind("["))
    closed = max(window.rfind(")"), window.rfind("]"))
    return opened > closed


# Superscript citations, as PDF text flattens them: "chains.2 While", "superconductors1, such"

_SUPERSCRIPT = re.compile(
    r"(?<![\w.])(?P<word>[^\W\d_]{3,})[.,;:)]?(?P<numbers>\d{1,3}(?:[,–-]\d{1,3})*)(?=[,;:)]?(?:\s|$)|\.(?:\s|$))"
)


def _superscript_hits(blocks: Sequence[_Block], numbers: _NumberMap) -> list[_Hit]:
    hits: list[_Hit] = []
    highest = 0
    for i, block in enumerate(blocks):
        for match in _SUPERSCRIPT.finditer(block.text):
            if not match.group("word")[-1].islower():
                continue  # "CO2", "H2O": a formula, not a citation
            cited = _expand(match.group("numbers"), numbers)
            if not cited or max(cited) > highest + SUPERSCRIPT_SLACK:
                continue
            highest = max(highest, *cited)
            hits.append(_Hit(i, match.start("numbers"), cited))
    distinct = {n for hit in hits for n in hit.entries}
    enough = max(MIN_SUPERSCRIPT_ENTRIES, MIN_SUPERSCRIPT_SHARE * len(numbers))
    return hits if len(distinct) >= enough else []
