"""The map side of map-reduce: a paper cut into section-aligned chunks within a token budget.

Internal to `budget`, which re-exports `Chunk`. Long sections are split at paragraph (failing that,
sentence, then word) boundaries into "Title (part k)" blocks; blocks are packed in document order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from arxivgpt.papers.models import Section
from arxivgpt.summary.sections import SEP, CountedPaper, Sec, render_body, without_suffix


@dataclass(frozen=True)
class Chunk:
    """One map-step input: the sections (or "Title (part k)") it covers and their rendered text."""

    titles: list[str]
    text: str


def make_chunks(paper: CountedPaper, included: list[Sec], map_budget: int) -> list[Chunk]:
    """`included` as chunks whose rendered text each costs at most `map_budget` tokens."""
    limit = map_budget
    for _ in range(8):
        built = _pack(paper, included, limit)
        chunks = [Chunk(titles=titles, text=render_body(sections)) for titles, sections, _tokens in built]
        over, estimate = max(
            (
                (paper.count(c.text) - map_budget, tokens)
                for c, (_, _, tokens) in zip(chunks, built, strict=True)
            ),
            default=(0, 0),
        )
        if over <= 0:
            return chunks
        # Below what that chunk was estimated at, not just below the limit, or the same chunks come back.
        limit = min(limit, estimate) - over
    raise ValueError(f"a map budget of {map_budget} tokens cannot hold the paper's parts")


def covered_titles(chunks: list[Chunk]) -> list[str]:
    """The titles of the sections `chunks` cover, once each, "(part k)" left off."""
    covered: list[str] = []
    for chunk in chunks:
        for title in chunk.titles:
            plain = without_suffix(title)
            if plain not in covered:
                covered.append(plain)
    return covered


def _pack(paper: CountedPaper, included: list[Sec], limit: int) -> list[tuple[list[str], list[Section], int]]:
    blocks = [block for sec in included for block in _parts(paper, sec, limit)]
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


def _parts(paper: CountedPaper, sec: Sec, limit: int) -> list[tuple[str, list[str], int]]:
    """`sec` as one block, or as "Title (part k)" blocks of paragraphs, each within `limit` tokens."""
    if sec.full_tokens <= limit:
        return [(sec.title, [p.text for p in sec.paras], sec.full_tokens)]
    heading = paper.count(f"## {sec.title} (part 99)") + 2 * sec.sep
    room = max(limit - heading, 1)
    units: list[tuple[str, int, bool]] = []
    for para in sec.paras:
        for text, tokens in _pieces(paper, para.text, para.tokens, room - sec.sep):
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


def _pieces(paper: CountedPaper, text: str, tokens: int, limit: int) -> list[tuple[str, int]]:
    """A paragraph as pieces of at most `limit` tokens: itself, groups of sentences, or word runs."""
    if tokens <= limit:
        return [(text, tokens)]
    out: list[tuple[str, int]] = []
    group: list[str] = []
    used = 0
    for sentence, count in paper.sentences(text):
        if count > limit:
            if group:
                out.append((" ".join(group), used))
                group, used = [], 0
            out.extend(paper.words(sentence, count, limit))
        elif used + count > limit and group:
            out.append((" ".join(group), used))
            group, used = [sentence], count
        else:
            group.append(sentence)
            used += count
    if group:
        out.append((" ".join(group), used))
    return out
