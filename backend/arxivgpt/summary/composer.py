"""A summary written part by part: forced headings, one item per request, counts and faithfulness checked.

For each part the prompt is the template rendered with `part` set, in the model's format, followed by the
part's heading and the items accepted so far; the model writes the next item and stops at the line's end.
Every prompt starts with the same paper, so the local engine's prefix cache (and an OpenAI-compatible
server's) computes it once. Each item is checked: it must be whole, end as its part asks ("?"), not repeat
an earlier item, and each of its sentences must be supported by the text the model was given (content words,
faithfulness.py). An item that fails is asked again once, sampled; then its sentences are dropped and
reported. The references part is not written by the model at all: it is the paper's own bibliography,
ranked by how often the paper cites each entry, each with the sentence that cites it (bibliography.py).
Only accepted text is streamed, so what a reader sees while it streams is what the summary keeps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from arxivgpt.engine.base import Engine, GenerationOptions
from arxivgpt.summary.faithfulness import SupportIndex, content_words, split_sentences
from arxivgpt.summary.models import DroppedSentence, PartResult, Progress, Usage
from arxivgpt.summary.parts import PartSpec

SENTENCE_TOKENS = 96
"""The most one "sentence" part may generate."""
ITEM_TOKENS = 72
"""The most one list item may generate."""
JOIN_TOKENS = 6
"""What numbering, newlines and re-tokenisation at joins may add per item, when prompts are budgeted."""
EXTRA_TRIES = 4
"""A list part may make this many requests beyond its `max` items (re-asks, empty answers)."""
RESAMPLE_TEMPERATURE = 0.7
REPEAT_OVERLAP = 0.75
"""An item repeats an earlier one when this share of the shorter one's content words is in both (a rewording
that adds or swaps a word or two still repeats)."""
MIN_WORDS = 3
REPEATS = "repeats an earlier item"

_LEADING_MARK = re.compile(r"^\s*(?:(?:[-*+•]|\d{1,2}[.)]|\(\d{1,2}\))\s+)+|^\s*#+\s*")
_EMPHASIS = re.compile(r"\*\*|__")
_SENTENCE_END = re.compile(r"[.!?][\"”’)\]]*$")

Emit = Callable[[str | Progress], None]


class Stopped(Exception):
    """Raised by `should_stop` callbacks: every client went away."""


def part_reserve(spec: PartSpec) -> int:
    """The tokens a part's answer may take in its last prompt: its items so far plus the one being written."""
    if spec.kind == "references":
        return 0
    if spec.kind == "sentence":
        return SENTENCE_TOKENS + JOIN_TOKENS
    return spec.max_items * (ITEM_TOKENS + JOIN_TOKENS)


def heading_line(spec: PartSpec) -> str:
    return f"## {spec.heading}\n"


@dataclass
class Composed:
    markdown: str
    parts: list[PartResult]
    dropped: list[DroppedSentence]
    usage: Usage
    finish_reason: str = "stop"


@dataclass
class _Part:
    spec: PartSpec
    items: list[str] = field(default_factory=list)
    re_asked: int = 0
    available: int = 0
    """References only: how many bibliography entries there were to choose from."""


class Composer:
    """Writes one summary's parts in order; `prompt_for(spec)` is the formatted prompt for a part."""

    def __init__(
        self,
        engine: Engine,
        prompt_for: Callable[[PartSpec], str],
        support: SupportIndex,
        *,
        answer_tokens: int,
        references: Callable[[PartSpec], tuple[list[str], int]],
        emit: Emit,
        should_stop: Callable[[], bool],
        temperature: float = 0.0,
    ) -> None:
        self.engine, self.prompt_for, self.support = engine, prompt_for, support
        self.answer_tokens = answer_tokens
        self.references, self.emit, self.should_stop = references, emit, should_stop
        self.temperature = temperature
        self.usage = Usage()
        self.dropped: list[DroppedSentence] = []
        self.finish_reason = "stop"
        self._written = 0

    def write(self, specs: list[PartSpec]) -> Composed:
        blocks: list[str] = []
        results: list[PartResult] = []
        for spec in specs:
            message = f"writing part {spec.number} of {len(specs)}: {spec.heading}"
            self.emit(Progress(stage="writing", message=message, part=spec.number, parts=len(specs)))
            separator = "\n" if blocks else ""
            self.emit(separator + heading_line(spec))
            part = self._part(spec)
            block = heading_line(spec) + "".join(_line(part, i, item) for i, item in enumerate(part.items))
            blocks.append(block)
            results.append(_result(part))
        return Composed("\n".join(blocks), results, self.dropped, self.usage, self.finish_reason)

    def _part(self, spec: PartSpec) -> _Part:
        part = _Part(spec)
        if spec.kind == "references":
            part.items, part.available = self.references(spec)
            for i, item in enumerate(part.items):
                self.emit(_line(part, i, item))
            return part
        tries, failed_here = 0, 0
        limit = EXTRA_TRIES if spec.kind == "sentence" else spec.max_items + EXTRA_TRIES
        while len(part.items) < spec.max_items and tries < limit and self.finish_reason != "length":
            if self.should_stop():
                raise Stopped("every client went away")
            tries += 1
            answer, dropped, ended = self._ask(part, failed_here)
            self.dropped.extend(dropped)  # every sentence that does not make it is reported
            if answer is not None:
                part.items.append(answer)
                self._accept(part, answer)
                failed_here = 0
                continue
            repeating = any(d.reason == REPEATS for d in dropped)
            if (ended or repeating) and len(part.items) >= spec.min_items:
                break  # the model closed the list, or has only repeats left: the list has enough items
            failed_here += 1
            part.re_asked += 1
        return part

    def _accept(self, part: _Part, item: str) -> None:
        self._written += self.engine.count_tokens(item)
        self.emit(_line(part, len(part.items) - 1, item))
        if self._written >= self.answer_tokens:
            self.finish_reason = "length"

    def _ask(self, part: _Part, failed_here: int) -> tuple[str | None, list[DroppedSentence], bool]:
        """One request for the next item: (the item or None, sentences dropped, whether the model ended)."""
        spec = part.spec
        prompt = self._prompt(part)
        room = self.engine.context_length - self.engine.prompt_tokens(prompt)
        new_tokens = min(SENTENCE_TOKENS if spec.kind == "sentence" else ITEM_TOKENS, room)
        if new_tokens < 8:
            self.finish_reason = "length"
            return None, [], True
        sampled = failed_here > 0 or self.temperature > 0
        options = GenerationOptions(
            max_new_tokens=new_tokens,
            stop=("\n",),
            temperature=max(self.temperature, RESAMPLE_TEMPERATURE) if sampled else 0.0,
            seed=1000 * spec.number + 10 * len(part.items) + failed_here if sampled else None,
        )
        generation = self.engine.generate(prompt, options)
        text = ""
        for piece in generation:
            if self.should_stop():
                generation.cancel()
            text += piece
        if self.should_stop():
            raise Stopped("every client went away")
        self.usage.requests += 1
        self.usage.prompt_tokens += generation.usage.prompt_tokens
        self.usage.completion_tokens += generation.usage.completion_tokens
        self.usage.cached_tokens += generation.usage.cached_tokens
        raw = (spec.start + text) if spec.kind == "sentence" else text
        return self._check(part, raw, cut_off=generation.finish_reason == "length")

    def _prompt(self, part: _Part) -> str:
        spec = part.spec
        answer = heading_line(spec)
        if spec.kind == "sentence":
            return self.prompt_for(spec) + answer + spec.start
        listed = "".join(_line(part, i, item) for i, item in enumerate(part.items))
        return (
            self.prompt_for(spec) + answer + listed + f"{len(part.items) + 1}."
        )  # the model writes the rest

    def _check(
        self, part: _Part, raw: str, *, cut_off: bool
    ) -> tuple[str | None, list[DroppedSentence], bool]:
        spec = part.spec
        text = _EMPHASIS.sub("", _LEADING_MARK.sub("", raw.strip())).strip()
        if not text:
            return None, [], True
        sentences = split_sentences(text) or [text]
        if cut_off and not _SENTENCE_END.search(sentences[-1]):
            sentences = sentences[:-1]  # the last one ran into the length limit
            if not sentences:
                return None, [self._drop(spec, text, "cut off")], False
        if spec.kind == "sentence":
            sentences = sentences[:1]
        if spec.ends_with:
            sentences = _up_to_ending(sentences, spec.ends_with)
            if not sentences:
                return None, [self._drop(spec, text, f'does not end with "{spec.ends_with}"')], False
        kept, dropped = self._supported(spec, sentences)
        if not kept:
            return None, dropped, False
        item = " ".join(kept)
        if len(item.split()) < MIN_WORDS:
            return None, [*dropped, self._drop(spec, item, "too short")], False
        if self._repeats(item, part):
            return None, [*dropped, self._drop(spec, item, REPEATS)], False
        return item, dropped, False

    def _supported(self, spec: PartSpec, sentences: list[str]) -> tuple[list[str], list[DroppedSentence]]:
        kept: list[str] = []
        dropped: list[DroppedSentence] = []
        for sentence in sentences:
            score = self.support.support(sentence)
            if self.support.is_supported(sentence):
                kept.append(sentence)
            else:
                dropped.append(self._drop(spec, sentence, "unsupported", round(score, 2)))
        return kept, dropped

    @staticmethod
    def _repeats(item: str, part: _Part) -> bool:
        """Whether `item` repeats an item of its own part (a question may well ask about an insight)."""
        words = set(content_words(item))
        if not words:
            return False
        earlier = (set(content_words(other)) for other in part.items)
        return any(
            len(words & seen) / min(len(words), len(seen)) >= REPEAT_OVERLAP for seen in earlier if seen
        )

    @staticmethod
    def _drop(spec: PartSpec, text: str, reason: str, support: float | None = None) -> DroppedSentence:
        return DroppedSentence(part=spec.heading, text=text, reason=reason, support=support)


def _line(part: _Part, index: int, item: str) -> str:
    """An item as a line of the answer: numbered in lists, a bullet for a reference, plain otherwise."""
    if part.spec.kind == "list":
        return f"{index + 1}. {item}\n"
    if part.spec.kind == "references" and part.available:
        return f"- {item}\n"
    return f"{item}\n"


def _up_to_ending(sentences: list[str], ending: str) -> list[str]:
    """The sentences up to the last one that ends with `ending` (a question keeps its lead-in sentence)."""
    ends = [i for i, sentence in enumerate(sentences) if sentence.rstrip().endswith(ending)]
    return sentences[: ends[-1] + 1] if ends else []


def _result(part: _Part) -> PartResult:
    spec = part.spec
    count = len(part.items)
    met = spec.min_items <= count <= spec.max_items
    if spec.kind == "references":
        met = min(spec.min_items, part.available) <= count <= spec.max_items
    return PartResult(
        heading=spec.heading,
        kind=spec.kind,
        items=list(part.items),
        rule=spec.rule(),
        rule_met=met,
        re_asked=part.re_asked,
    )
