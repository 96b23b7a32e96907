"""The reduce side of map-reduce: map notes joined into one body within a token budget.

Internal to `budget`, which re-exports `join_notes` and `JoinedNotes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from arxivgpt.papers.models import Section
from arxivgpt.summary.models import Strategy
from arxivgpt.summary.sections import (
    OTHER,
    SECONDARY,
    CountTokens,
    TokenCounter,
    render_body,
    sentences,
    tier,
)


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


class _Note(NamedTuple):
    position: int
    label: str
    value: int
    text: str


class _Cut(NamedTuple):
    position: int
    label: str
    text: str
    tokens: int
    whole: bool


def join_notes(
    notes: Sequence[tuple[Sequence[str], str]], count_tokens: CountTokens, budget: int
) -> JoinedNotes:
    """The reduce step's body: one "## Title; Title" block per map note, in order, within `budget` tokens.

    When they do not fit: first notes that cover only low-value parts (related work, background,
    limitations, appendices, back matter) are dropped, least valuable and latest first; then every note is
    cut to the same share at a sentence boundary. What was dropped or cut is reported, never hidden.
    """
    count = TokenCounter(count_tokens)
    items = []
    for position, (titles, note) in enumerate(notes):
        label = "; ".join(titles) or f"Part {position + 1}"
        value = min((tier(t) for t in titles), default=OTHER)
        items.append(_Note(position, label, value, note.strip()))
    items = [item for item in items if item.text]
    if not items:
        return JoinedNotes(body="", tokens=0)

    dropped, total = _drop_low_value(items, count, budget)
    if total <= budget:
        body = _render([(item.label, item.text) for item in items])
        tokens = count(body)
        if tokens <= budget:
            return JoinedNotes(body=body, tokens=tokens, dropped=dropped)
    return _cut_evenly(items, count, budget, dropped)


def _block_tokens(count: TokenCounter, label: str, text: str) -> int:
    return count(f"## {label}") + count.sep + count(text) + count.sep


def _render(chosen: Sequence[tuple[str, str]]) -> str:
    return render_body(Section(title=label, text=text) for label, text in chosen)


def _drop_low_value(items: list[_Note], count: TokenCounter, budget: int) -> tuple[list[str], int]:
    """Remove low-value notes from `items`, least valuable and latest first, until they fit `budget`.
    Returns the labels dropped and the tokens the rest cost."""
    dropped: list[str] = []
    total = sum(_block_tokens(count, item.label, item.text) for item in items)
    for item in sorted((i for i in items if i.value >= SECONDARY), key=lambda i: (-i.value, -i.position)):
        if total <= budget:
            break
        items.remove(item)
        dropped.append(item.label)
        total -= _block_tokens(count, item.label, item.text)
    return dropped, total


def _cut_evenly(items: list[_Note], count: TokenCounter, budget: int, dropped: list[str]) -> JoinedNotes:
    """Every note cut to the same cap, the highest that fits, at sentence (or line) boundaries."""
    units = {item.position: _note_units(item.text, count) for item in items}
    top = max((_block_tokens(count, item.label, item.text) for item in items), default=0)
    target = budget
    for _ in range(8):
        low, high = 0, top
        while low < high:
            mid = (low + high + 1) // 2
            if sum(c.tokens for c in _cut(items, units, mid, count)) <= target:
                low = mid
            else:
                high = mid - 1
        result = _cut(items, units, low, count)
        body = _render([(c.label, c.text) for c in result])
        tokens = count(body)
        if tokens <= budget:
            break
        target -= max(tokens - budget, 1)
    kept_positions = {c.position for c in result}
    dropped = dropped + [item.label for item in items if item.position not in kept_positions]
    trimmed = [c.label for c in result if not c.whole]
    return JoinedNotes(body=body, tokens=tokens, dropped=dropped, trimmed=trimmed)


def _cut(
    items: list[_Note], units: dict[int, list[tuple[str, int]]], cap: int, count: TokenCounter
) -> list[_Cut]:
    """Each note's first sentences within `cap` tokens for its whole block; notes with none left out."""
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
            out.append(_Cut(position, label, text if whole else _join_units(kept), cap - room + used, whole))
    return out


def _note_units(text: str, count: TokenCounter) -> list[tuple[str, int]]:
    """A note's sentences, each counted once; a line break is kept as a "\\n" prefix on the next unit."""
    units: list[tuple[str, int]] = []
    for line_number, line in enumerate(line for line in text.splitlines() if line.strip()):
        for k, sentence in enumerate(sentences(line.strip())):
            unit = ("\n" if line_number and not k else "") + sentence
            units.append((unit, count(unit)))
    return units


def _join_units(units: Sequence[str]) -> str:
    out = ""
    for unit in units:
        out += unit if not out or unit.startswith("\n") else " " + unit
    return out
