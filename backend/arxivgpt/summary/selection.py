"""The "sections" strategy: which sections, whole or as openings, fill a budget (internal to `budget`).

The abstract and the core sections are kept whole; the rest get openings cut to a common cap per tier
("water-filling"), most valuable tier first.
"""

from __future__ import annotations

from dataclasses import dataclass

from arxivgpt.papers.models import Section
from arxivgpt.summary.sections import (
    APPENDIX,
    CORE,
    METHOD,
    OTHER,
    SECONDARY,
    SEP,
    SKIP,
    CountedPaper,
    Para,
    Sec,
    is_closing,
    is_subheading,
    render_body,
)

METHOD_SHARE = 0.6
"""Of the budget left after abstract and core sections, the share method/results openings get first."""


@dataclass
class Kept:
    """What is kept of one section: its paragraphs' texts, their cost, and whether that is all of it."""

    texts: list[str]
    tokens: int
    whole: bool


NOTHING = Kept([], 0, False)


def _whole(sec: Sec) -> Kept:
    return Kept([p.text for p in sec.paras], sec.full_tokens, True)


def opening(paper: CountedPaper, sec: Sec, cap: int) -> Kept:
    """The most of `sec` that costs at most `cap`: the whole of it, or its first paragraphs without
    captions, or failing that the first sentences of its first paragraph."""
    if sec.full_tokens <= cap:
        return _whole(sec)
    room = cap - sec.opening_heading_tokens - sec.sep
    kept: list[Para] = []
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
            for sentence, tokens in paper.sentences(para.text):
                if used + tokens + sec.sep > room:
                    break
                sentences.append(sentence)
                used += tokens
            if sentences:
                used += sec.sep
                text = " ".join(sentences)
                kept.append(Para(text, used - sec.sep, False, is_subheading(text)))
        break
    while kept and kept[-1].subheading:
        used -= kept.pop().tokens + sec.sep
    if not kept:
        return NOTHING
    return Kept([p.text for p in kept], sec.opening_heading_tokens + sec.sep + used, False)


def water_fill(paper: CountedPaper, group: list[Sec], kept: dict[int, Kept], room: int) -> int:
    """Raise every section of `group` to the same cap, the highest whose extra cost fits `room`.
    Returns the tokens spent."""
    if room <= 0 or not group:
        return 0

    def attempt(cap: int) -> tuple[int, dict[int, Kept]]:
        spent, chosen = 0, {}
        for sec in group:
            now = kept.get(sec.index, NOTHING)
            if now.whole:
                continue
            new = opening(paper, sec, cap)
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


def select(paper: CountedPaper, room: int) -> tuple[dict[int, Kept], float] | None:
    """The "sections" choice within `room` tokens and the fraction of high-value text it keeps, or None
    when abstract and core sections alone do not fit."""
    kept: dict[int, Kept] = {}
    for sec in paper.all:
        if sec.tier <= CORE:
            kept[sec.index] = _whole(sec)
            room -= sec.full_tokens
    if room < 0:
        return None
    by_tier = {t: [s for s in paper.sections if s.tier == t] for t in (METHOD, OTHER, SECONDARY, APPENDIX)}
    if by_tier[OTHER] or by_tier[SECONDARY] or by_tier[APPENDIX]:
        room -= water_fill(paper, by_tier[METHOD], kept, int(room * METHOD_SHARE))
    room -= water_fill(paper, by_tier[METHOD], kept, room)
    room -= water_fill(paper, by_tier[OTHER], kept, room)
    room -= water_fill(paper, by_tier[METHOD] + by_tier[OTHER], kept, room)
    room -= water_fill(paper, by_tier[SECONDARY], kept, room)
    # Appendices only once the main text is whole (else their openings would take what is left over).
    main_whole = all(kept.get(s.index, NOTHING).whole for s in paper.sections if s.tier < APPENDIX)
    room -= water_fill(paper, by_tier[APPENDIX] if main_whole else [], kept, room)
    _spend_leftovers(paper, kept, room, SKIP if main_whole else APPENDIX)
    # High-value text: abstract, core and method/results sections (the unnamed main sections when no
    # section title says method/results).
    high_value = [s for s in paper.all if s.tier <= (METHOD if by_tier[METHOD] else OTHER)]
    total = sum(s.full_tokens for s in high_value)
    fraction = sum(kept.get(s.index, NOTHING).tokens for s in high_value) / total if total else 1.0
    return kept, fraction


def _spend_leftovers(paper: CountedPaper, kept: dict[int, Kept], room: int, last: int) -> None:
    """Lengthen the openings of sections below tier `last` with what `room` is left, most valuable first."""
    for sec in sorted(paper.sections, key=lambda s: (s.tier, s.index)):
        now = kept.get(sec.index, NOTHING)
        if sec.tier < last and not now.whole and room > 0:
            new = opening(paper, sec, now.tokens + room)
            if new.tokens > now.tokens:
                room -= new.tokens - now.tokens
                kept[sec.index] = new


def render_selection(paper: CountedPaper, kept: dict[int, Kept]) -> tuple[str, list[str], list[str]]:
    """Body, titles used and titles dropped: abstract first, document order, the last core section that
    closes the paper (a conclusion) moved to the end."""
    chosen = [s for s in paper.all if s.index in kept]
    closing = [s for s in chosen if s.tier == CORE and is_closing(s.title)]
    if closing and closing[-1] is not chosen[-1]:
        chosen.remove(closing[-1])
        chosen.append(closing[-1])
    sections, titles = [], []
    for sec in chosen:
        part = kept[sec.index]
        title = sec.title if part.whole else f"{sec.title} (opening)"
        sections.append(Section(title=title, text=SEP.join(part.texts)))
        titles.append(title)
    dropped = [s.title for s in paper.all if s.index not in kept]
    return render_body(sections), titles, dropped
