"""The answer as the model writes it, checked sentence by sentence before anything is shown.

The answer is read line by line (a list item is a line; its marker, "- " or "2. ", is kept but not checked)
and each line sentence by sentence. A sentence is shown once it is complete (the next one has begun, its line
has ended, or the answer has), and only if:

- its citations name passages the model was given (others are removed and counted, citations.py);
- at least SUPPORT_THRESHOLD of its content words occur in those passages (the summaries' check): a claim
  about something the passages never mention is left out and reported;
- every number in it (and every word with a digit: "GPT-4", "C.2.6") occurs in those passages: a number is
  often the whole answer, and one the passages do not have is made up, however many other words match;
- it is not a question (small models ask the question back, or a new one);
- it is not a copy of a sentence of an earlier answer in the conversation (small models repeat themselves);
- its bibliography numbers are entries of the paper's bibliography (grounding.py, as in summaries).

A sentence the model left uncited is attributed to the passage holding most of its words. When the model
says the passages do not answer, or nothing it wrote survives the checks, the answer is `NOT_FOUND`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from arxivgpt.ask import citations
from arxivgpt.ask.models import DroppedSentence
from arxivgpt.ask.passages import Passage
from arxivgpt.summary.faithfulness import (
    SUPPORT_THRESHOLD,
    SupportIndex,
    anchor_words,
    content_words,
    sentence_spans,
)
from arxivgpt.summary.grounding import ground
from arxivgpt.summary.models import NumberedReference

NOT_FOUND = "The passages do not say."
_LIST_MARKER = re.compile(r"[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+")
_SAYS_NOT_FOUND = re.compile(
    r"\b(?:the )?(?:given )?passages? (?:do(?:es)? not|don't|doesn't|did not|never) "
    r"(?:say|mention|answer|contain|tell|discuss|provide|state)",
    re.I,
)


@dataclass
class Sentence:
    text: str
    cited: list[str]
    attributed: bool
    separator: str


@dataclass
class CheckedAnswer:
    """Feed it the model's pieces; it returns the text to show, sentence by sentence."""

    passages: list[Passage]
    bibliography: list[NumberedReference]
    language: str
    earlier: list[str] = field(default_factory=list)
    """The conversation's earlier answers."""
    question: str = ""
    kept: list[Sentence] = field(default_factory=list)
    dropped: list[DroppedSentence] = field(default_factory=list)
    references: dict[int, NumberedReference] = field(default_factory=dict)
    removed_citations: int = 0
    unknown_references: int = 0
    not_found: bool = False
    """The model said the passages do not answer (before it said anything that was kept)."""

    def __post_init__(self) -> None:
        self._support = SupportIndex([p.text for p in self.passages], self.language)
        self._numbers = frozenset(w for p in self.passages for w in anchor_words(p.text) if _has_digit(w))
        self._earlier = SupportIndex(self.earlier, self.language) if self.earlier else None
        self._given = [p.key for p in self.passages]
        self._buffer = ""
        self._done = 0
        self._gap = ""

    def feed(self, piece: str) -> list[str]:
        """Text to show now: each sentence that `piece` completed and that passed the checks."""
        self._buffer += piece
        spans = [span for span in units(self._buffer) if span[0] >= self._done]
        if spans and "\n" not in self._buffer[spans[-1][1] :]:
            spans.pop()  # its line goes on, and so may the sentence
        return self._take(spans)

    def flush(self, cut_off: bool = False) -> list[str]:
        """The rest, once the model has stopped (`cut_off`: at the length limit, mid-sentence perhaps)."""
        spans = [span for span in units(self._buffer) if span[0] >= self._done]
        return self._take(spans, cut_off=cut_off)

    def conclude(self) -> list[str]:
        """`NOT_FOUND` when nothing the model wrote was kept."""
        if self.kept:
            return []
        self.not_found = True
        return [NOT_FOUND]

    @property
    def only_repeated(self) -> bool:
        """Nothing was kept, and something was left out for repeating an earlier answer."""
        return not self.kept and any(d.reason == "repeats an earlier answer" for d in self.dropped)

    @property
    def stopped(self) -> bool:
        return self.not_found

    @property
    def markdown(self) -> str:
        if not self.kept:
            return NOT_FOUND
        return "".join(s.separator + s.text for s in self.kept)

    def _take(self, spans: list[tuple[int, int]], cut_off: bool = False) -> list[str]:
        shown: list[str] = []
        for index, (start, end) in enumerate(spans):
            if self.not_found:
                break
            self._gap += self._buffer[self._done : start]
            self._done = end
            last = cut_off and index == len(spans) - 1
            text = self._check(self._buffer[start:end], last)
            if text is not None:
                shown.append(text)
        return shown

    def _check(self, raw: str, cut_off: bool) -> str | None:
        if not self.kept and _SAYS_NOT_FOUND.search(raw):
            self.not_found = True
            return None
        shown = self._checked(raw, cut_off)
        if shown is None:
            self._gap = re.sub(r"[^\n]", "", self._gap)  # a dropped list item leaves no empty marker
        return shown

    def _checked(self, raw: str, cut_off: bool) -> str | None:
        checked = citations.check(raw, self._given)
        self.removed_citations += checked.removed
        plain = citations.without_citations(checked.text)
        words = content_words(plain, self.language)
        if not words and not checked.cited:
            return None  # a citation alone, a bullet mark: nothing to show on its own
        support = self._support.support(plain)
        if plain.rstrip("*_ ").endswith("?"):  # the question asked back, or a new one: not an answer
            self.dropped.append(DroppedSentence(text=raw.strip(), reason="a question, not an answer"))
            return None
        unknown_numbers = [w for w in anchor_words(plain) if _has_digit(w) and w not in self._numbers]
        if (words and support < SUPPORT_THRESHOLD) or unknown_numbers:
            self.dropped.append(
                DroppedSentence(text=raw.strip(), reason="unsupported", support=round(support, 3))
            )
            return None
        if self._earlier is not None and self._earlier.copied(plain):
            self.dropped.append(DroppedSentence(text=raw.strip(), reason="repeats an earlier answer"))
            return None
        text, cited, attributed = checked.text, checked.cited, False
        if not cited:
            text, passage = citations.attribute(text, self.passages, self.language, self.question)
            cited, attributed = ([passage.key], True) if passage else ([], False)
        grounded = ground(text, self.bibliography)
        self.unknown_references += grounded.unknown
        self.references.update((ref.n, ref) for ref in grounded.cited)
        text = grounded.summary.strip() + (" …" if cut_off else "")
        separator = _separator(self._gap, first=not self.kept)
        self._gap = ""
        self.kept.append(Sentence(text, cited, attributed, separator))
        return separator + text


def _has_digit(word: str) -> bool:
    return any(char.isdigit() for char in word)


def units(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, line by line, list markers left out."""
    spans: list[tuple[int, int]] = []
    at = 0
    for line in text.split("\n"):
        marker = _LIST_MARKER.match(line)
        skip = marker.end() if marker else 0
        spans.extend((at + skip + a, at + skip + b) for a, b in sentence_spans(line[skip:]))
        at += len(line) + 1
    return spans


def _separator(gap: str, first: bool) -> str:
    """What goes before a kept sentence: the line breaks and list marker before it, or a space."""
    gap = re.sub(r"\n{3,}", "\n\n", gap.replace("\r", ""))
    if first:
        return gap.lstrip()
    return gap if "\n" in gap else " "
