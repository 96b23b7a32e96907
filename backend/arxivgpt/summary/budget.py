"""Fit a paper into a model's context window, keeping its beginning (pure functions, no model calls).

FastChat-style servers silently keep only the *last* tokens of an over-long prompt, so a long paper would
lose its abstract and introduction. `plan` decides instead what the prompt holds, within `budget` tokens
(the caller's context length minus the generation length minus the template's own scaffolding):

1. The bibliography gets its share first: every entry when they cost at most `REFERENCE_SHARE` of the
   budget (or when the whole paper fits beside them); otherwise the first entries, in the paper's order, up
   to that share, and at least `MIN_REFERENCES` of them. `strategy.references_given` says how many.
2. "full": the abstract (as "## Abstract") and every section, in order, when they fit.
3. "sections": chosen by value. The abstract and the core sections (Introduction, Conclusion, Discussion,
   Summary, ...) are kept whole; then the openings of Method/Experiments/Results/... sections, each cut to the
   same share (at most `METHOD_SHARE` of what is left while other sections wait), then the openings of the
   other sections, then related work/background/limitations, then appendices. Acknowledgments, author
   contributions and reference lists are never kept. A cut section ends at a paragraph (or, failing that, a
   sentence) boundary, leaves out figure/table captions and is titled "Title (opening)". The output keeps
   document order with the abstract first and the (last) conclusion last.
4. "map-reduce": when abstract + core sections do not fit, or when "sections" would keep less than
   `MIN_HIGH_VALUE_KEPT` of the high-value text (abstract, core and method/results sections), the paper is
   cut into section-aligned chunks of at most `map_budget` tokens (long sections split at paragraph
   boundaries into "Title (part k)"), skipping acknowledgments, contributions, references and, unless
   asked, appendices. The body stays "" until the pipeline has notes; `join_notes` fits them.
5. "abstract": a paper without sections; an abstract that alone is too long is cut at a sentence boundary,
   visibly (in `strategy.dropped` and `Plan.notes`).

Every text is counted once (a cache sits in front of `count_tokens`) and costs are summed; only the final
body and each map chunk are counted whole once more, to be sure a tokenizer that is not additive across
joins never pushes them over their budget.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

from arxivgpt.papers.models import Paper, Section
from arxivgpt.summary.models import NumberedReference, Strategy, StrategyName

CountTokens = Callable[[str], int]

REFERENCE_SHARE = 0.25
"""The bibliography is listed whole when it costs at most this share of the budget."""
MIN_REFERENCES = 5
"""When it is not, at least this many entries (the first ones) are listed ..."""
MAX_REFERENCE_SHARE = 0.5
"""... as long as they take no more than this share of the budget."""
METHOD_SHARE = 0.6
"""Of the budget left after abstract and core sections, the share method/results openings get first."""
MIN_HIGH_VALUE_KEPT = 0.35
""""sections" keeping less than this fraction of the high-value text's tokens turns into map-reduce."""

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


@dataclass(frozen=True)
class Chunk:
    """One map-step input: the sections (or "Title (part k)") it covers and their rendered text."""

    titles: list[str]
    text: str


@dataclass(frozen=True)
class Plan:
    strategy: Strategy
    """name, sections kept, sections dropped, `budget_tokens` (what the body may use: the budget less the
    listed references), `body_tokens` (0 for map-reduce until the notes are joined), `references_given`."""
    body: str
    """The text for the final prompt's {{ body }}; "" for map-reduce (fill it with `join_notes`)."""
    references: list[NumberedReference]
    """The bibliography entries the prompt lists: the paper's first ones, maybe fewer than all."""
    chunks: list[Chunk] = field(default_factory=list)
    """Map-reduce only: the pieces, in document order, each within `map_budget` tokens."""
    notes: list[str] = field(default_factory=list)
    """Human-readable remarks on what had to be cut."""


@dataclass(frozen=True)
class JoinedNotes:
    """The reduce step's body made from map notes, and what had to give way for it to fit."""

    body: str
    tokens: int
    dropped: list[str] = field(default_factory=list)
    """Labels ("Title; Title") of notes left out entirely."""
    trimmed: list[str] = field(default_factory=list)
    """Labels of notes cut at a sentence boundary."""

    def apply(self, strategy: Strategy) -> Strategy:
        """`strategy` with the body's size and any dropped/trimmed notes recorded in `dropped`."""
        lost = [f"notes on {label}" for label in self.dropped]
        lost += [f"notes on {label} (end)" for label in self.trimmed]
        return strategy.model_copy(update={"body_tokens": self.tokens, "dropped": [*strategy.dropped, *lost]})


def render_body(sections: Iterable[Section]) -> str:
    """Sections as "## Title\\n\\ntext" blocks separated by blank lines."""
    blocks = []
    for section in sections:
        text = section.text.strip()
        blocks.append(f"## {section.title}{SEP}{text}" if text else f"## {section.title}")
    return SEP.join(blocks)


def reference_line(reference: NumberedReference) -> str:
    """How an entry is assumed to be listed when its cost is counted: "[n] text"."""
    return f"[{reference.n}] {reference.text}"


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


# ---------------------------------------------------------------------------------------------- internals


class _Finish(Protocol):
    def __call__(
        self,
        name: StrategyName,
        body: str,
        used: list[str],
        dropped: list[str],
        body_tokens: int,
        chunks: list[Chunk] | None = None,
        notes: list[str] | None = None,
    ) -> Plan: ...


class _Counter:
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
class _Para:
    text: str
    tokens: int
    caption: bool
    subheading: bool


@dataclass
class _Sec:
    """A section (or the abstract, index -1) with each paragraph counted once."""

    index: int
    title: str
    tier: int
    paras: list[_Para]
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


@dataclass
class _Kept:
    texts: list[str]
    tokens: int
    whole: bool


_NOTHING = _Kept([], 0, False)


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in _PARAGRAPHS.split(text) if p.strip()]


def _is_subheading(text: str) -> bool:
    """A paragraph that only announces what follows: "3.1 Design", a run-in "Situational Awareness.",
    "... is the following:". An opening never ends with one."""
    words = len(text.split())
    numbered = bool(_SUBHEADING.match(text)) and words <= 15 and not text.endswith(".")
    return numbered or words <= 8 or text.endswith(":")


def _make_sec(index: int, title: str, text: str, value: int, count: _Counter) -> _Sec:
    paras = [_Para(p, count(p), bool(_CAPTION.match(p)), _is_subheading(p)) for p in _paragraphs(text)]
    return _Sec(index, title, value, paras, count(f"## {title}"), count(f"## {title} (opening)"), count.sep)


def _is_closing(title: str) -> bool:
    plain = title.lower()
    return bool(_CONCLUSION_TITLE.search(plain) or _DISCUSSION_TITLE.search(plain))


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


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


class _Planner:
    def __init__(self, paper: Paper, count: _Counter) -> None:
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
    def all(self) -> list[_Sec]:
        return ([self.abstract] if self.abstract else []) + self.sections

    def full_tokens(self) -> int:
        return sum(s.full_tokens for s in self.all)

    def sentences(self, text: str) -> list[tuple[str, int]]:
        found = self._sentence_cache.get(text)
        if found is None:
            found = self._sentence_cache[text] = [(s, self.count(s)) for s in _sentences(text)]
        return found

    # -- "sections" --------------------------------------------------------------------------------------

    def opening(self, sec: _Sec, cap: int) -> _Kept:
        """The most of `sec` that costs at most `cap`: the whole of it, or its first paragraphs without
        captions, or failing that the first sentences of its first paragraph."""
        if sec.full_tokens <= cap:
            return _Kept([p.text for p in sec.paras], sec.full_tokens, True)
        room = cap - sec.opening_heading_tokens - sec.sep
        kept: list[_Para] = []
        used = 0
        for para in sec.paras:
            if para.caption:
                continue
            if used + para.tokens + sec.sep <= room:
                kept.append(para)
                used += para.tokens + sec.sep
                continue
            if all(p.subheading for p in kept):  # nothing but headings yet: take the first sentences
                sentences: list[str] = []
                for sentence, tokens in self.sentences(para.text):
                    if used + tokens + sec.sep > room:
                        break
                    sentences.append(sentence)
                    used += tokens
                if sentences:
                    used += sec.sep
                    text = " ".join(sentences)
                    kept.append(_Para(text, used - sec.sep, False, _is_subheading(text)))
            break
        while kept and kept[-1].subheading:
            used -= kept.pop().tokens + sec.sep
        if not kept:
            return _NOTHING
        return _Kept([p.text for p in kept], sec.opening_heading_tokens + sec.sep + used, False)

    def water_fill(self, group: list[_Sec], kept: dict[int, _Kept], room: int) -> int:
        """Raise every section of `group` to the same cap, the highest whose extra cost fits `room`.
        Returns the tokens spent."""
        if room <= 0 or not group:
            return 0

        def attempt(cap: int) -> tuple[int, dict[int, _Kept]]:
            spent, chosen = 0, {}
            for sec in group:
                now = kept.get(sec.index, _NOTHING)
                if now.whole:
                    continue
                new = self.opening(sec, cap)
                if new.tokens > now.tokens:
                    spent += new.tokens - now.tokens
                    chosen[sec.index] = new
            return spent, chosen

        top = max(s.full_tokens for s in group)
        low, high = 0, top
        if attempt(top)[0] <= room:
            low = top
        while low < high:
            mid = (low + high + 1) // 2
            if attempt(mid)[0] <= room:
                low = mid
            else:
                high = mid - 1
        spent, chosen = attempt(low)
        kept.update(chosen)
        return spent

    def select(self, room: int) -> tuple[dict[int, _Kept], float] | None:
        """The "sections" choice within `room` tokens and the fraction of high-value text it keeps, or None
        when abstract and core sections alone do not fit."""
        kept: dict[int, _Kept] = {}
        must = [s for s in self.all if s.tier <= CORE]
        for sec in must:
            kept[sec.index] = _Kept([p.text for p in sec.paras], sec.full_tokens, True)
            room -= sec.full_tokens
        if room < 0:
            return None
        by_tier = {t: [s for s in self.sections if s.tier == t] for t in (METHOD, OTHER, SECONDARY, APPENDIX)}
        if by_tier[OTHER] or by_tier[SECONDARY] or by_tier[APPENDIX]:
            room -= self.water_fill(by_tier[METHOD], kept, int(room * METHOD_SHARE))
        room -= self.water_fill(by_tier[METHOD], kept, room)
        room -= self.water_fill(by_tier[OTHER], kept, room)
        room -= self.water_fill(by_tier[METHOD] + by_tier[OTHER], kept, room)
        room -= self.water_fill(by_tier[SECONDARY], kept, room)
        # Appendices only once the main text is whole (else their openings would take what is left over).
        main_whole = all(kept.get(s.index, _NOTHING).whole for s in self.sections if s.tier < APPENDIX)
        room -= self.water_fill(by_tier[APPENDIX] if main_whole else [], kept, room)
        last = SKIP if main_whole else APPENDIX
        for sec in sorted(self.sections, key=lambda s: (s.tier, s.index)):  # leftovers, most valuable first
            now = kept.get(sec.index, _NOTHING)
            if sec.tier < last and not now.whole and room > 0:
                new = self.opening(sec, now.tokens + room)
                if new.tokens > now.tokens:
                    room -= new.tokens - now.tokens
                    kept[sec.index] = new
        # High-value text: abstract, core and method/results sections (the unnamed main sections when no
        # section title says method/results).
        last = METHOD if by_tier[METHOD] else OTHER
        high_value = [s for s in self.all if s.tier <= last]
        total = sum(s.full_tokens for s in high_value)
        fraction = sum(kept.get(s.index, _NOTHING).tokens for s in high_value) / total if total else 1.0
        return kept, fraction

    def render_selection(self, kept: dict[int, _Kept]) -> tuple[str, list[str], list[str]]:
        """Body, titles used and titles dropped: abstract first, document order, the last core section that
        closes the paper (a conclusion) moved to the end."""
        chosen = [s for s in self.all if s.index in kept]
        closing = [s for s in chosen if s.tier == CORE and _is_closing(s.title)]
        if closing and closing[-1] is not chosen[-1]:
            chosen.remove(closing[-1])
            chosen.append(closing[-1])
        sections, titles = [], []
        for sec in chosen:
            part = kept[sec.index]
            title = sec.title if part.whole else f"{sec.title} (opening)"
            sections.append(Section(title=title, text=SEP.join(part.texts)))
            titles.append(title)
        dropped = [s.title for s in self.all if s.index not in kept]
        return render_body(sections), titles, dropped

    # -- "map-reduce" ------------------------------------------------------------------------------------

    def pieces(self, text: str, tokens: int, limit: int) -> list[tuple[str, int]]:
        """A paragraph as pieces of at most `limit` tokens: itself, groups of sentences, or word runs."""
        if tokens <= limit:
            return [(text, tokens)]
        out: list[tuple[str, int]] = []
        group: list[str] = []
        used = 0
        for sentence, count in self.sentences(text):
            if count > limit:
                if group:
                    out.append((" ".join(group), used))
                    group, used = [], 0
                out.extend(self.words(sentence, count, limit))
            elif used + count > limit and group:
                out.append((" ".join(group), used))
                group, used = [sentence], count
            else:
                group.append(sentence)
                used += count
        if group:
            out.append((" ".join(group), used))
        return out

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

    def parts(self, sec: _Sec, limit: int) -> list[tuple[str, list[str], int]]:
        """`sec` as one block, or as "Title (part k)" blocks of paragraphs, each within `limit` tokens."""
        if sec.full_tokens <= limit:
            return [(sec.title, [p.text for p in sec.paras], sec.full_tokens)]
        heading = self.count(f"## {sec.title} (part 99)") + 2 * sec.sep
        room = max(limit - heading, 1)
        units: list[tuple[str, int, bool]] = []
        for para in sec.paras:
            for text, tokens in self.pieces(para.text, para.tokens, room - sec.sep):
                units.append((text, tokens + sec.sep, para.subheading))
        total = sum(u[1] for u in units)
        count = math.ceil(total / room)
        target = total / count
        groups: list[list[tuple[str, int, bool]]] = [[]]
        used = 0
        for unit in units:
            over = used + unit[1] - target
            if groups[-1] and (used + unit[1] > room or (over > target - used and len(groups) < count)):
                carry = []
                if groups[-1][-1][2] and len(groups[-1]) > 1 and groups[-1][-1][1] + unit[1] <= room:
                    carry = [groups[-1].pop()]  # a subsection heading opens the next part, not ends this one
                groups.append(carry)
                used = sum(u[1] for u in carry)
            groups[-1].append(unit)
            used += unit[1]
        return [
            (f"{sec.title} (part {k})", [u[0] for u in group], heading + sum(u[1] for u in group))
            for k, group in enumerate(groups, 1)
        ]

    def chunks(self, included: list[_Sec], limit: int) -> list[tuple[list[str], list[Section], int]]:
        blocks = [block for sec in included for block in self.parts(sec, limit)]
        chunks: list[tuple[list[str], list[Section], int]] = []
        for title, texts, tokens in blocks:
            if chunks and chunks[-1][2] + tokens <= limit:
                titles, sections, used = chunks[-1]
                chunks[-1] = (
                    [*titles, title],
                    [*sections, Section(title=title, text=SEP.join(texts))],
                    used + tokens,
                )
            else:
                chunks.append(([title], [Section(title=title, text=SEP.join(texts))], tokens))
        return chunks


def _fit_references(
    references: list[NumberedReference], count: _Counter, budget: int, body_tokens: int
) -> tuple[int, list[int]]:
    """How many references to list first, and each entry's cost (line + newline)."""
    newline = count("\n")
    costs = [count(reference_line(r)) + newline for r in references]
    share = max(int(budget * REFERENCE_SHARE), budget - body_tokens)
    if sum(costs) <= share:
        return len(references), costs
    given, used = 0, 0
    for cost in costs:
        if used + cost > share:
            break
        given, used = given + 1, used + cost
    given = max(given, min(MIN_REFERENCES, len(references)))
    while given and sum(costs[:given]) > budget * MAX_REFERENCE_SHARE:
        given -= 1
    return given, costs


def _sentence_prefix(planner: _Planner, sec: _Sec, room: int) -> tuple[str, bool]:
    """The abstract's first sentences within `room` tokens (its first words if one sentence is too long)."""
    sentences: list[str] = []
    used = 0
    for sentence, tokens in planner.sentences(sec.text):
        if used + tokens > room:
            break
        sentences.append(sentence)
        used += tokens
    if not sentences:
        pieces = planner.words(sec.text, planner.count(sec.text), max(room, 1))
        return pieces[0][0], False
    return " ".join(sentences), True


def plan(
    paper: Paper,
    count_tokens: CountTokens,
    budget: int,
    *,
    map_budget: int,
    references: list[NumberedReference],
    include_appendices: bool = False,
) -> Plan:
    """Decide what of `paper` goes into a prompt with `budget` tokens for its text and bibliography.

    `map_budget` is the tokens one map-step prompt has for a chunk; `include_appendices` lets map-reduce
    read the appendices too (they are skipped by default: on a 37-page paper they are most of the chunks).
    """
    if budget < 1 or map_budget < 1:
        raise ValueError(f"no room for the paper: budget {budget}, map budget {map_budget}")
    count = _Counter(count_tokens)
    planner = _Planner(paper, count)
    full_tokens = planner.full_tokens()
    given, costs = _fit_references(references, count, budget, full_tokens)
    room = budget - sum(costs[:given])

    def finish(
        name: StrategyName,
        body: str,
        used: list[str],
        dropped: list[str],
        body_tokens: int,
        chunks: list[Chunk] | None = None,
        notes: list[str] | None = None,
    ) -> Plan:
        listed = given
        if name != "map-reduce":  # room the body left over goes to more references
            spare = budget - body_tokens - sum(costs[:listed])
            while listed < len(references) and costs[listed] <= spare:
                spare -= costs[listed]
                listed += 1
        strategy = Strategy(
            name=name,
            sections=used,
            dropped=dropped,
            budget_tokens=budget - sum(costs[:listed]),
            body_tokens=body_tokens,
            references_given=listed,
        )
        return Plan(strategy, body, references[:listed], chunks or [], notes or [])

    if not planner.sections:
        return _abstract_plan(planner, room, finish)

    if full_tokens <= room:
        body = render_body(Section(title=s.title, text=s.text) for s in planner.all)
        tokens = count(body)
        if tokens <= room:
            return finish("full", body, [s.title for s in planner.all], [], tokens)

    target = room
    for _ in range(8):
        selected = planner.select(target)
        if selected is None or selected[1] < MIN_HIGH_VALUE_KEPT:
            break
        body, used, dropped = planner.render_selection(selected[0])
        tokens = count(body)
        if tokens <= room:
            return finish("sections", body, used, dropped, tokens)
        target -= max(tokens - room, 1)

    return _map_reduce_plan(planner, map_budget, include_appendices, finish)


def _abstract_plan(planner: _Planner, room: int, finish: _Finish) -> Plan:
    sec = planner.abstract
    if sec is None:
        return finish("abstract", "", [], [], 0, notes=["The paper has neither sections nor an abstract."])
    body = render_body([Section(title="Abstract", text=sec.text)])
    tokens = planner.count(body)
    if tokens <= room:
        return finish("abstract", body, ["Abstract"], [], tokens)
    title = "Abstract (opening)"
    limit = room - planner.count(f"## {title}") - sec.sep
    at_sentence = True
    for _ in range(8):
        text, at_sentence = _sentence_prefix(planner, sec, limit)
        body = render_body([Section(title=title, text=text)])
        tokens = planner.count(body)
        if tokens <= room:
            break
        limit -= max(tokens - room, 1)
    else:
        raise ValueError(f"a budget of {room} tokens cannot hold even the abstract's first words")
    where = "sentence" if at_sentence else "word"
    note = (
        f"The abstract alone exceeds the budget of {room} tokens: "
        f"only its opening is given (cut at a {where})."
    )
    return finish("abstract", body, [title], ["Abstract (rest)"], tokens, notes=[note])


def _map_reduce_plan(planner: _Planner, map_budget: int, include_appendices: bool, finish: _Finish) -> Plan:
    last = SKIP if include_appendices else APPENDIX
    included = [s for s in planner.all if s.tier < last]
    limit = map_budget
    chunks: list[Chunk] = []
    for _ in range(8):
        built = planner.chunks(included, limit)
        chunks = [Chunk(titles=titles, text=render_body(sections)) for titles, sections, _tokens in built]
        over = max((planner.count(c.text) - map_budget for c in chunks), default=0)
        if over <= 0:
            break
        limit -= over
    else:
        raise ValueError(f"a map budget of {map_budget} tokens cannot hold the paper's parts")
    covered: list[str] = []
    for chunk in chunks:
        for title in chunk.titles:
            plain = _PART_SUFFIX.sub("", title)
            if plain not in covered:
                covered.append(plain)
    dropped = [s.title for s in planner.all if s.tier >= last]
    note = f"The paper is read in {len(chunks)} parts whose notes are then summarised."
    return finish("map-reduce", "", covered, dropped, 0, chunks=chunks, notes=[note])


def join_notes(
    notes: Sequence[tuple[Sequence[str], str]], count_tokens: CountTokens, budget: int
) -> JoinedNotes:
    """The reduce step's body: one "## Title; Title" block per map note, in order, within `budget` tokens.

    When they do not fit: first notes that cover only low-value parts (related work, background,
    limitations, appendices, back matter) are dropped, least valuable and latest first; then every note is
    cut to the same share at a sentence boundary. What was dropped or cut is reported, never hidden.
    """
    count = _Counter(count_tokens)
    items = []
    for position, (titles, note) in enumerate(notes):
        label = "; ".join(titles) or f"Part {position + 1}"
        value = min((tier(t) for t in titles), default=OTHER)
        items.append((position, label, value, note.strip()))
    items = [item for item in items if item[3]]
    if not items:
        return JoinedNotes(body="", tokens=0)

    def block_tokens(label: str, text: str) -> int:
        return count(f"## {label}") + count.sep + count(text) + count.sep

    def render(chosen: Sequence[tuple[str, str]]) -> str:
        return render_body(Section(title=label, text=text) for label, text in chosen)

    dropped: list[str] = []
    total = sum(block_tokens(label, text) for _p, label, _v, text in items)
    for item in sorted((i for i in items if i[2] >= SECONDARY), key=lambda i: (-i[2], -i[0])):
        if total <= budget:
            break
        items.remove(item)
        dropped.append(item[1])
        total -= block_tokens(item[1], item[3])

    if total <= budget:
        body = render([(label, text) for _p, label, _v, text in items])
        tokens = count(body)
        if tokens <= budget:
            return JoinedNotes(body=body, tokens=tokens, dropped=dropped)

    # Every note cut to the same cap, at sentence (or line) boundaries.
    units = {item[0]: _note_units(item[3], count) for item in items}

    def cut(cap: int) -> list[tuple[int, str, str, int, bool]]:
        out = []
        for position, label, _value, text in items:
            room = cap - count(f"## {label}") - 2 * count.sep
            kept, used = [], 0
            for unit, tokens in units[position]:
                if used + tokens > room:
                    break
                kept.append(unit)
                used += tokens
            whole = len(kept) == len(units[position])
            if kept:
                out.append((position, label, text if whole else _join_units(kept), cap - room + used, whole))
        return out

    target = budget
    for _ in range(8):
        low, high = 0, max((block_tokens(i[1], i[3]) for i in items), default=0)
        while low < high:
            mid = (low + high + 1) // 2
            if sum(c[3] for c in cut(mid)) <= target:
                low = mid
            else:
                high = mid - 1
        result = cut(low)
        body = render([(label, text) for _p, label, text, _t, _w in result])
        tokens = count(body)
        if tokens <= budget:
            break
        target -= max(tokens - budget, 1)
    kept_positions = {c[0] for c in result}
    dropped += [label for position, label, _v, _t in items if position not in kept_positions]
    trimmed = [label for _p, label, _text, _t, whole in result if not whole]
    return JoinedNotes(body=body, tokens=tokens, dropped=dropped, trimmed=trimmed)


def _note_units(text: str, count: _Counter) -> list[tuple[str, int]]:
    """A note's sentences, each counted once; a line break is kept as a "\\n" prefix on the next unit."""
    units: list[tuple[str, int]] = []
    for line_number, line in enumerate(line for line in text.splitlines() if line.strip()):
        for k, sentence in enumerate(_sentences(line.strip())):
            unit = ("\n" if line_number and not k else "") + sentence
            units.append((unit, count(unit)))
    return units


def _join_units(units: Sequence[str]) -> str:
    out = ""
    for unit in units:
        out += unit if not out or unit.startswith("\n") else " " + unit
    return out
