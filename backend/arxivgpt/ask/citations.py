"""Passage citations in an answer: `[p3]`, `[p3, p5]`, `(p3)`, `[p3–p5]`, checked, quoted and linked.

- A citation of a passage the model was not given (or that does not exist) is removed and counted.
- The rest are written one way, `[p3, p5]`.
- A sentence the model left uncited is attributed to the given passage that holds most of its content words
  (when one holds any): a small model rarely cites, and a reader should still see where a claim comes from.
- Each citation is quoted: the sentence of the passage that shares most content words with the citing
  sentence, verbatim (`sentence_spans` gives exact slices of the passage's text).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from arxivgpt.ask.passages import Passage
from arxivgpt.summary.faithfulness import content_words, sentence_spans

MAX_RANGE = 20
QUESTION_WEIGHT = 0.5
"""How much the question's own words count in choosing a passage or a quote, against the claim's (1)."""
_GROUP = re.compile(
    r"(?P<pre>[ \t]*)[\[(][ \t]*"
    r"(?P<list>[pP][ \t]*\d+(?:[ \t]*[,;–—-][ \t]*[pP]?[ \t]*\d+)*)[ \t]*[\])]"
)
_ITEM = re.compile(r"[pP]?[ \t]*(\d+)(?:[ \t]*[–—-][ \t]*[pP]?[ \t]*(\d+))?")
_SPLIT = re.compile(r"[ \t]*[,;][ \t]*")
_SENTENCE_END = re.compile(r"[.!?…:;]+[\"”’')\]]*\s*$")
_TIDY = re.compile(r"[ \t]+([.,;:!?])")


@dataclass(frozen=True)
class Checked:
    text: str
    """The sentence with citations of passages not given removed, the others written `[p3, p5]`."""
    cited: list[str]
    """The passages it cites (given ones), in order, once each."""
    removed: int


def check(sentence: str, given: Iterable[str]) -> Checked:
    """Keep only citations of passages in `given` (their keys: "p3")."""
    allowed = set(given)
    cited: dict[str, None] = {}
    removed = 0

    def rewrite(match: re.Match[str]) -> str:
        nonlocal removed
        keys = _keys(match.group("list"))
        if keys is None:
            removed += 1
            return ""
        known = [key for key in keys if key in allowed]
        removed += len(keys) - len(known)
        cited.update(dict.fromkeys(known))
        return f" [{', '.join(known)}]" if known else ""

    text = _GROUP.sub(rewrite, sentence)
    if removed:
        text = _TIDY.sub(r"\1", text).strip()
    return Checked(text, list(cited), removed)


def without_citations(text: str) -> str:
    """`text` with every passage citation taken out (for checking its words against the passages)."""
    return _TIDY.sub(r"\1", _GROUP.sub("", text)).strip()


def attribute(
    sentence: str, passages: Iterable[Passage], language: str, question: str = ""
) -> tuple[str, Passage | None]:
    """The sentence with a citation of the passage holding most of its content words, before its final
    punctuation; unchanged (and None) when no passage holds any of them. Between passages that hold as many,
    the one holding more of the question's words wins ("The answer is 4." cites where the rank is 4)."""
    words = set(content_words(without_citations(sentence), language))
    if not words:
        return sentence, None
    asked = set(content_words(question, language)) - words
    best: Passage | None = None
    best_score = 0.0
    for passage in passages:
        held = set(content_words(passage.text, language))
        if not words & held:
            continue
        score = len(words & held) / len(words) + QUESTION_WEIGHT * len(asked & held) / max(len(asked), 1)
        if score > best_score:
            best, best_score = passage, score
    if best is None:
        return sentence, None
    end = _SENTENCE_END.search(sentence)
    cut = end.start() if end else len(sentence)
    return f"{sentence[:cut].rstrip()} [{best.key}]{sentence[cut:]}", best


def quote(claim: str, passage: Passage, language: str, question: str = "") -> tuple[str, float]:
    """The sentence of `passage` that best supports `claim` (verbatim), and the share of the claim's content
    words found anywhere in the passage (1.0 when the claim has none of its own).

    A sentence scores the claim's words it holds, each weighed by how rare it is among the passage's
    sentences ("Bethe" tells which sentence a claim comes from better than "model" does), and the question's
    words, weighed less: "4" is the answer where the question's "rank" is too."""
    words = content_words(without_citations(claim), language)
    spans = sentence_spans(passage.text) or [(0, len(passage.text))]
    if not words:
        a, b = spans[0]
        return passage.text[a:b], 1.0
    held = [set(content_words(passage.text[a:b], language)) for a, b in spans]
    wanted, asked = set(words), set(content_words(question, language)) - set(words)
    weight = {
        w: math.log(1 + len(spans) / (1 + sum(w in sentence for sentence in held))) for w in wanted | asked
    }
    scores = [
        sum(weight[w] for w in wanted & sentence) + QUESTION_WEIGHT * sum(weight[w] for w in asked & sentence)
        for sentence in held
    ]
    a, b = spans[max(range(len(spans)), key=lambda i: (scores[i], -i))]
    found = set().union(*held)
    return passage.text[a:b], round(sum(w in found for w in words) / len(words), 3)


def link(markdown: str, urls: Mapping[str, str | None]) -> str:
    """Each `[p3]` of a checked answer as a Markdown link to its passage (for the HTML)."""

    def linked(match: re.Match[str]) -> str:
        keys = _keys(match.group("list")) or []
        shown = [f"[{key}]({urls[key]})" if urls.get(key) else key for key in keys]
        return f"{match.group('pre')}\\[{', '.join(shown)}\\]"

    return _GROUP.sub(linked, markdown)


def _keys(listing: str) -> list[str] | None:
    """The passage keys a citation names (a range spelled out); None when a range is reversed or too long."""
    keys: list[str] = []
    for item in _SPLIT.split(listing):
        match = _ITEM.fullmatch(item.strip())
        if match is None:
            return None
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) else low
        if high < low or high - low >= MAX_RANGE:
            return None
        keys.extend(f"p{n}" for n in range(low, high + 1))
    return keys
