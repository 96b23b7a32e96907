"""Which passages and earlier turns the model gets: as many as fit, by an exact count of the whole prompt.

The rule is the summaries' (summary/fitting.py): the budget comes from `engine.prompt_tokens` of the prompt
as the engine will read it (chat format, BOS, the question), so joins that tokenise differently from their
pieces are counted too; a candidate that is still over the context is fitted again with a smaller budget,
and nothing over the context ever reaches the engine.

    room      = context - answer's room - the prompt without passages, references or history
    history   = the newest earlier turns that found an answer (then the summary it started from), within
                HISTORY_SHARE of room
    passages  = the best-ranked passages within min(room - history, ask_passage_tokens), with the
                bibliography entries they cite (at most REFERENCE_SHARE of that)

A follow-up keeps the passages the previous turn gave, in its order, up to ask_passage_tokens (a follow-up
mostly goes on about them), and adds the best-ranked others after them, up to FOLLOW_UP_SHARE of that, in
document order, as far as the room allows. Consecutive questions of a conversation then begin alike (the
first turn's passages stay in front), so the engine reuses its cache of that beginning and only reads the
new passages, the conversation and the question: the follow-up's first token comes sooner.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from arxivgpt.ask.models import Turn
from arxivgpt.ask.passages import Passage
from arxivgpt.ask.prompt import Exchange, PromptParts, exchange, passage_line, render
from arxivgpt.engine.base import Engine
from arxivgpt.errors import InvalidInput
from arxivgpt.papers.models import Paper
from arxivgpt.summary.models import NumberedReference

HISTORY_SHARE = 0.25
FOLLOW_UP_SHARE = 1 / 3
REFERENCE_SHARE = 0.2
MIN_PASSAGE_TOKENS = 64
MAX_REFITS = 8
_NUMERIC_CITATION = re.compile(r"\[(\d+(?:\s*[,–-]\s*\d+)*)\]")


@dataclass
class Fitted:
    prompt: str
    parts: PromptParts
    scores: dict[str, float]
    prompt_tokens: int
    passage_tokens: int
    budget_tokens: int
    """What the passages (and their references) were allowed."""


class QuestionFitting:
    """Fits one question's prompt to `engine`'s context, leaving `answer_tokens` for the answer."""

    def __init__(
        self, engine: Engine, template: str, paper: Paper, question: str, answer_tokens: int, cap: int
    ) -> None:
        self.engine, self.template, self.paper, self.question = engine, template, paper, question
        self.answer_tokens, self.cap = answer_tokens, cap
        self._costs: dict[str, int] = {}

    def fit(
        self,
        ranked: Sequence[tuple[Passage, float]],
        turns: Sequence[Turn],
        summary: str | None,
        previous: Sequence[Passage] = (),
    ) -> Fitted:
        """`ranked`: passages, best first, that may be given; `previous`: the last turn's, in its order."""
        room = self.engine.context_length - self.answer_tokens - self._tokens(PromptParts())
        if room < MIN_PASSAGE_TOKENS:
            raise self._no_room()
        parts = self._history(turns, summary, int(room * HISTORY_SHARE))
        history_tokens = self._tokens(parts) - self._tokens(PromptParts())
        limit = room - history_tokens
        scores = {passage.key: score for passage, score in ranked}
        for _ in range(MAX_REFITS):
            if limit < MIN_PASSAGE_TOKENS:
                break
            retained, kept = self._retained(previous, min(self.cap, limit))
            fresh = min(int(self.cap * FOLLOW_UP_SHARE) if retained else self.cap, limit - kept)
            chosen, used = self._passages(ranked, fresh, {p.key for p in retained})
            parts.passages = retained + sorted(chosen, key=lambda p: int(p.key[1:]))
            budget, used = kept + fresh, kept + used
            parts.references = self._references(parts.passages, int(budget * REFERENCE_SHARE), budget - used)
            prompt = render(self.engine, self.template, self.paper, self.question, parts)
            tokens = self.engine.prompt_tokens(prompt)
            over = tokens + self.answer_tokens - self.engine.context_length
            if over <= 0:
                return Fitted(prompt, parts, scores, tokens, used, budget)
            limit = min(limit, budget) - over
        raise self._no_room()

    def _history(self, turns: Sequence[Turn], summary: str | None, share: int) -> PromptParts:
        """The newest turns that fit in `share` tokens, then the summary if it fits too."""
        given: list[Exchange] = []
        used = 0
        for turn in reversed([turn for turn in turns if turn.answered]):  # "do not say" tells nothing
            item = exchange(turn.question, turn.answer)
            cost = self.engine.count_tokens(f"\nQ: {item.question}\nA: {item.answer}")
            if used + cost > share:
                break
            given.insert(0, item)
            used += cost
        dropped = sum(turn.answered for turn in turns) - len(given)
        fits = summary is not None and dropped == 0 and used + self.engine.count_tokens(summary) <= share
        return PromptParts(summary=summary if fits else None, history=given, history_dropped=dropped)

    def _retained(self, previous: Sequence[Passage], share: int) -> tuple[list[Passage], int]:
        """The previous turn's passages, in its order, as many as fit in `share` tokens."""
        kept: list[Passage] = []
        used = 0
        for passage in previous:
            cost = self._cost(passage)
            if used + cost > share:
                break
            kept.append(passage)
            used += cost
        return kept, used

    def _passages(
        self, ranked: Sequence[tuple[Passage, float]], budget: int, taken: set[str]
    ) -> tuple[list[Passage], int]:
        chosen: list[Passage] = []
        used = 0
        for passage, _score in ranked:
            if passage.key in taken:
                continue
            cost = self._cost(passage)
            if used + cost <= budget:
                chosen.append(passage)
                used += cost
            if budget - used < MIN_PASSAGE_TOKENS:
                break
        return chosen, used

    def _references(self, passages: list[Passage], share: int, spare: int) -> list[NumberedReference]:
        """The bibliography entries the given passages cite by number, in order of first citation."""
        entries = self.paper.references
        cited: dict[int, None] = {}
        for passage in passages:
            for match in _NUMERIC_CITATION.finditer(passage.text):
                cited.update((n, None) for n in _numbers(match.group(1)) if 1 <= n <= len(entries))
        listed: list[NumberedReference] = []
        room = min(share, spare)
        for n in cited:
            cost = self.engine.count_tokens(f"[{n}] {entries[n - 1].text}\n")
            if cost > room:
                break
            listed.append(NumberedReference(n=n, text=entries[n - 1].text))
            room -= cost
        return listed

    def _cost(self, passage: Passage) -> int:
        if passage.key not in self._costs:
            self._costs[passage.key] = self.engine.count_tokens(passage_line(passage) + "\n\n")
        return self._costs[passage.key]

    def _tokens(self, parts: PromptParts) -> int:
        return self.engine.prompt_tokens(render(self.engine, self.template, self.paper, self.question, parts))

    def _no_room(self) -> InvalidInput:
        return InvalidInput(
            f"{self.engine.name} has a context of {self.engine.context_length:,} tokens: the instructions, "
            "the "
            f"question and room for the answer ({self.answer_tokens:,} tokens) leave too little for the "
            "paper's passages; ask a shorter question or lower max_new_tokens"
        )


def _numbers(listing: str) -> list[int]:
    numbers: list[int] = []
    for item in re.split(r"\s*,\s*", listing):
        bounds = [int(x) for x in re.findall(r"\d+", item)]
        if len(bounds) == 2 and 0 < bounds[1] - bounds[0] < 20:
            numbers.extend(range(bounds[0], bounds[1] + 1))
        else:
            numbers.extend(bounds[:1])
    return numbers
