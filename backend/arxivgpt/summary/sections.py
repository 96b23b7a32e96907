"""The paper as `budget` sees it: sections in value tiers, each paragraph and sentence counted once.

Internal to `budget`, which re-exports the public names (`tier`, `render_body`, the tiers, `SEP`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from arxivgpt.papers.models import Paper, Section

CountTokens = Callable[[str], int]

SEP = "\n\n"

# Value tiers, most valuable first.
ABSTRACT, CORE, METHOD, OTHER, SECONDARY, APPENDIX, SKIP = range(7)

_SKIP_TITLE = re.compile(
    r"acknowledg|author(?:s'?|'s)? contributions?|contributions? of (?:the )?authors|^references?$|"
    r"bibliograph|^funding|competing interests?|conflicts? of interests?|^declarations?$"
)
_APPENDIX_TITLE = re.compile(r"^appendi(?:x|ces)\b|supplementa(?:ry|l)")
_INTRO_TITLE = re.compile(r"\bintroduction\b")
_CONCLUSION_TITLE = re.compile(
    r"\bconclu(?:sion|sions|ding)\b|\bsummary\b|\bclosing remarks\b|\bfuture work\b|\boutlook\b"
)
_DISCUSSION_TITLE = re.compile(r"\bdiscussions?\b")
_SECONDARY_TITLE = re.compile(
    r"\brelated work|\bprior work|\bprevious work|\bliterature\b|\bbackground\b|\bpreliminar|\bnotation\b|"
    r"\blimitations?\b|\bethic|\bbroader impacts?\b|\bsocietal impacts?\b|\bimpact statement\b|"
    r"\breproducibility\b"
)
_METHOD_TITLE = re.compile(
    r"\bmethod|\bapproach|\bmodel|\bexperiment|\bresult|\bevaluation|\bframework\b|\barchitecture|"
    r"\balgorithm|\banalys[ie]s\b|\bfindings?\b|\bablation|\bsetup\b|\bset-up\b|\btraining\b"
)
_NUMBERING = re.compile(r"^(?:(?:\d+|[A-Z]|[IVXLC]+)(?:\.\d+)*[.:)]?\s+)")
_PART_SUFFIX = re.compile(r"\s*\((?:part \d+|opening|trimmed)\)$")
_CAPTION = re.compile(r"^(?:Figure|Fig\.|Table|Algorithm|Listing)\s*[A-Z]?\.?\d+(?:\.\d+)*\s*[:.|]")
_SUBHEADING = re.compile(r"^(?:\d+|[A-Z])(?:\.\d+)+\.?\s+\S")
_PARAGRAPHS = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)\]]*\s+(?=[A-Z0-9\"“‘(\[])")


def render_body(sections: Iterable[Section]) -> str:
    """Sections as "## Title\\n\\ntext" blocks separated by blank lines."""
    blocks = []
    for section in sections:
        text = section.text.strip()
        blocks.append(f"## {section.title}{SEP}{text}" if text else f"## {section.title}")
    return SEP.join(blocks)


def tier(title: str) -> int:
    """The value tier a heading alone suggests (no position in the paper): ABSTRACT ... SKIP."""
    raw = _PART_SUFFIX.sub("", title.strip())
    plain = _NUMBERING.sub("", raw).lower()
    if _APPENDIX_TITLE.search(raw.lower()) or _APPENDIX_TITLE.search(plain):
        return APPENDIX
    if plain == "abstract":
        return ABSTRACT
    if _SKIP_TITLE.search(plain):
        return SKIP
    if _INTRO_TITLE.search(plain) or _CONCLUSION_TITLE.search(plain):
        return CORE
    if _SECONDARY_TITLE.search(plain):
        return SECONDARY
    if _METHOD_TITLE.search(plain):
        return METHOD
    if _DISCUSSION_TITLE.search(plain):  # "Discussion" alone is core; "Results and discussion" is not
        return CORE
    return OTHER


def without_suffix(title: str) -> str:
    """`title` less a " (part k)", " (opening)" or " (trimmed)" suffix."""
    return _PART_SUFFIX.sub("", title)


def is_closing(title: str) -> bool:
    plain = title.lower()
    return bool(_CONCLUSION_TITLE.search(plain) or _DISCUSSION_TITLE.search(plain))


def is_subheading(text: str) -> bool:
    """A paragraph that only announces what follows: "3.1 Design", a run-in "Situational Awareness.",
    "... is the following:". An opening never ends with one."""
    words = len(text.split())
    numbered = bool(_SUBHEADING.match(text)) and words <= 15 and not text.endswith(".")
    return numbered or words <= 8 or text.endswith(":")


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in _PARAGRAPHS.split(text) if p.strip()]


def _classify(sections: Sequence[Section]) -> list[int]:
    """Tiers by title, plus position: what follows acknowledgments/references/an appendix is appendix, and
    when no section is called Introduction the first main section takes its place."""
    tiers = [tier(s.title) for s in sections]
    back_matter = False
    for i, value in enumerate(tiers):
        if value in (SKIP, APPENDIX):
            back_matter = True
        elif back_matter and value != CORE:
            tiers[i] = APPENDIX
    if not any(_INTRO_TITLE.search(s.title.lower()) for s in sections):
        first = next((i for i, value in enumerate(tiers) if value < APPENDIX), None)
        if first is not None:
            tiers[first] = CORE
    return tiers


class TokenCounter:
    """`count_tokens` behind a cache, so that no text is counted twice."""

    def __init__(self, count_tokens: CountTokens) -> None:
        self._count = count_tokens
        self._cache: dict[str, int] = {}
        self.sep = self(SEP)

    def __call__(self, text: str) -> int:
        tokens = self._cache.get(text)
        if tokens is None:
            tokens = self._cache[text] = self._count(text)
        return tokens


@dataclass
class Para:
    text: str
    tokens: int
    caption: bool
    subheading: bool


@dataclass
class Sec:
    """A section (or the abstract, index -1) with each paragraph counted once."""

    index: int
    title: str
    tier: int
    paras: list[Para]
    heading_tokens: int
    opening_heading_tokens: int
    """Of "## Title (opening)", the heading of a cut section."""
    sep: int

    @cached_property
    def full_tokens(self) -> int:
        return self.heading_tokens + sum(p.tokens + self.sep for p in self.paras) + self.sep

    @property
    def text(self) -> str:
        return SEP.join(p.text for p in self.paras)


def _make_sec(index: int, title: str, text: str, value: int, count: TokenCounter) -> Sec:
    paras = [Para(p, count(p), bool(_CAPTION.match(p)), is_subheading(p)) for p in _paragraphs(text)]
    return Sec(index, title, value, paras, count(f"## {title}"), count(f"## {title} (opening)"), count.sep)


class CountedPaper:
    """The abstract and the non-empty sections of a paper, classified and counted."""

    def __init__(self, paper: Paper, count: TokenCounter) -> None:
        self.count = count
        tiers = _classify(paper.sections)
        self.abstract = (
            _make_sec(-1, "Abstract", paper.abstract, ABSTRACT, count) if paper.abstract.strip() else None
        )
        self.sections = [
            _make_sec(i, s.title, s.text, tiers[i], count)
            for i, s in enumerate(paper.sections)
            if s.text.strip()
        ]
        self._sentence_cache: dict[str, list[tuple[str, int]]] = {}

    @property
    def all(self) -> list[Sec]:
        return ([self.abstract] if self.abstract else []) + self.sections

    def full_tokens(self) -> int:
        return sum(s.full_tokens for s in self.all)

    def sentences(self, text: str) -> list[tuple[str, int]]:
        """`text`'s sentences, each with its cost."""
        found = self._sentence_cache.get(text)
        if found is None:
            found = self._sentence_cache[text] = [(s, self.count(s)) for s in sentences(text)]
        return found

    def words(self, text: str, tokens: int, limit: int) -> list[tuple[str, int]]:
        """Last resort for one sentence longer than a whole chunk: runs of words that fit."""
        words = text.split()
        out: list[tuple[str, int]] = []
        while words:
            take = max(1, min(len(words), len(words) * limit // max(tokens, 1)))
            piece = " ".join(words[:take])
            while take > 1 and self.count(piece) > limit:
                take = max(1, take * 9 // 10)
                piece = " ".join(words[:take])
            out.append((piece, self.count(piece)))
            words = words[take:]
            tokens = self.count(" ".join(words)) if words else 0
        return out
