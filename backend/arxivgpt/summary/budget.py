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

from dataclasses import dataclass, field

from arxivgpt.papers.models import Paper, Section
from arxivgpt.summary.chunking import Chunk, covered_titles, make_chunks
from arxivgpt.summary.models import NumberedReference, Strategy, StrategyName
from arxivgpt.summary.notes import JoinedNotes, join_notes
from arxivgpt.summary.sections import (
    ABSTRACT,
    APPENDIX,
    CORE,
    METHOD,
    OTHER,
    SECONDARY,
    SEP,
    SKIP,
    CountedPaper,
    CountTokens,
    TokenCounter,
    render_body,
    tier,
)
from arxivgpt.summary.selection import METHOD_SHARE, render_selection, select

__all__ = [
    "ABSTRACT",
    "APPENDIX",
    "CORE",
    "MAX_REFERENCE_SHARE",
    "METHOD",
    "METHOD_SHARE",
    "MIN_HIGH_VALUE_KEPT",
    "MIN_REFERENCES",
    "OTHER",
    "REFERENCE_SHARE",
    "SECONDARY",
    "SEP",
    "SKIP",
    "Chunk",
    "CountTokens",
    "JoinedNotes",
    "Plan",
    "join_notes",
    "plan",
    "reference_line",
    "render_body",
    "tier",
]

REFERENCE_SHARE = 0.25
"""The bibliography is listed whole when it costs at most this share of the budget."""
MIN_REFERENCES = 5
"""When it is not, at least this many entries (the first ones) are listed ..."""
MAX_REFERENCE_SHARE = 0.5
"""... as long as they take no more than this share of the budget."""
MIN_HIGH_VALUE_KEPT = 0.35
""""sections" keeping less than this fraction of the high-value text's tokens turns into map-reduce."""


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


def reference_line(reference: NumberedReference) -> str:
    """How an entry is assumed to be listed when its cost is counted: "[n] text"."""
    return f"[{reference.n}] {reference.text}"


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
    count = TokenCounter(count_tokens)
    counted = CountedPaper(paper, count)
    full_tokens = counted.full_tokens()
    finish = _Finish.fitting(references, count, budget, full_tokens)
    room = finish.room

    if not counted.sections:
        return _abstract_plan(counted, room, finish)

    if full_tokens <= room:
        body = render_body(Section(title=s.title, text=s.text) for s in counted.all)
        tokens = count(body)
        if tokens <= room:
            return finish("full", body, [s.title for s in counted.all], [], tokens)

    target = room
    for _ in range(8):
        selected = select(counted, target)
        if selected is None or selected[1] < MIN_HIGH_VALUE_KEPT:
            break
        body, used, dropped = render_selection(counted, selected[0])
        tokens = count(body)
        if tokens <= room:
            return finish("sections", body, used, dropped, tokens)
        target -= max(tokens - room, 1)

    return _map_reduce_plan(counted, map_budget, include_appendices, finish)


@dataclass(frozen=True)
class _Finish:
    """Makes the `Plan` for a chosen body: lists the references that fit beside it."""

    references: list[NumberedReference]
    costs: list[int]
    """Each entry's cost (line + newline)."""
    given: int
    """How many entries are listed before the body is known."""
    budget: int

    @classmethod
    def fitting(
        cls, references: list[NumberedReference], count: TokenCounter, budget: int, body_tokens: int
    ) -> _Finish:
        """How many references to list first, given a body that would cost `body_tokens` whole."""
        newline = count("\n")
        costs = [count(reference_line(r)) + newline for r in references]
        share = max(int(budget * REFERENCE_SHARE), budget - body_tokens)
        if sum(costs) <= share:
            return cls(references, costs, len(references), budget)
        given, used = 0, 0
        for cost in costs:
            if used + cost > share:
                break
            given, used = given + 1, used + cost
        given = max(given, min(MIN_REFERENCES, len(references)))
        while given and sum(costs[:given]) > budget * MAX_REFERENCE_SHARE:
            given -= 1
        return cls(references, costs, given, budget)

    @property
    def room(self) -> int:
        """The tokens left for the body beside the references listed first."""
        return self.budget - sum(self.costs[: self.given])

    def __call__(
        self,
        name: StrategyName,
        body: str,
        used: list[str],
        dropped: list[str],
        body_tokens: int,
        chunks: list[Chunk] | None = None,
        notes: list[str] | None = None,
    ) -> Plan:
        listed = self.given
        if name != "map-reduce":  # room the body left over goes to more references
            spare = self.budget - body_tokens - sum(self.costs[:listed])
            while listed < len(self.references) and self.costs[listed] <= spare:
                spare -= self.costs[listed]
                listed += 1
        strategy = Strategy(
            name=name,
            sections=used,
            dropped=dropped,
            budget_tokens=self.budget - sum(self.costs[:listed]),
            body_tokens=body_tokens,
            references_given=listed,
        )
        return Plan(strategy, body, self.references[:listed], chunks or [], notes or [])


def _abstract_plan(counted: CountedPaper, room: int, finish: _Finish) -> Plan:
    sec = counted.abstract
    if sec is None:
        return finish("abstract", "", [], [], 0, notes=["The paper has neither sections nor an abstract."])
    body = render_body([Section(title="Abstract", text=sec.text)])
    tokens = counted.count(body)
    if tokens <= room:
        return finish("abstract", body, ["Abstract"], [], tokens)
    title = "Abstract (opening)"
    limit = room - counted.count(f"## {title}") - sec.sep
    at_sentence = True
    for _ in range(8):
        text, at_sentence = _sentence_prefix(counted, sec.text, limit)
        body = render_body([Section(title=title, text=text)])
        tokens = counted.count(body)
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


def _sentence_prefix(counted: CountedPaper, text: str, room: int) -> tuple[str, bool]:
    """`text`'s first sentences within `room` tokens (its first words if one sentence is too long)."""
    sentences: list[str] = []
    used = 0
    for sentence, tokens in counted.sentences(text):
        if used + tokens > room:
            break
        sentences.append(sentence)
        used += tokens
    if not sentences:
        pieces = counted.words(text, counted.count(text), max(room, 1))
        return pieces[0][0], False
    return " ".join(sentences), True


def _map_reduce_plan(
    counted: CountedPaper, map_budget: int, include_appendices: bool, finish: _Finish
) -> Plan:
    last = SKIP if include_appendices else APPENDIX
    chunks = make_chunks(counted, [s for s in counted.all if s.tier < last], map_budget)
    dropped = [s.title for s in counted.all if s.tier >= last]
    note = f"The paper is read in {len(chunks)} parts whose notes are then summarised."
    return finish("map-reduce", "", covered_titles(chunks), dropped, 0, chunks=chunks, notes=[note])
