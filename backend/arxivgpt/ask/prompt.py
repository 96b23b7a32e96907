"""The question prompt (prompts/ask.md.j2): the paper's passages first, the conversation, the question last.

Everything that stays the same from one question to the next on a paper comes first, so that the local
engine's cache of the last prompt covers it and a follow-up only reads what is new.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from arxivgpt.ask.passages import Passage
from arxivgpt.engine.base import Engine
from arxivgpt.papers.models import Paper
from arxivgpt.summary import prompts
from arxivgpt.summary.models import NumberedReference

_PASSAGE_CITATION = re.compile(r"\s*[\[(]\s*[pP]\s*\d+(?:\s*[,;–-]\s*[pP]?\s*\d+)*\s*[\])]")


@lru_cache(maxsize=1)
def default_template() -> str:
    return prompts.default_template("ask.md.j2")


@dataclass(frozen=True)
class Exchange:
    """An earlier question and its answer, as the prompt shows them."""

    question: str
    answer: str


@dataclass
class PromptParts:
    """What varies from one prompt to the next; the fitting chooses it."""

    passages: list[Passage] = field(default_factory=list)
    references: list[NumberedReference] = field(default_factory=list)
    summary: str | None = None
    history: list[Exchange] = field(default_factory=list)
    history_dropped: int = 0


def passage_line(passage: Passage) -> str:
    """How a passage is listed (what its cost is counted on)."""
    return f"[{passage.key}] ({passage.section}) {passage.text}"


def exchange(question: str, answer: str) -> Exchange:
    """An earlier turn for the prompt, its passage citations left out (they may name passages not given)."""
    return Exchange(question, _PASSAGE_CITATION.sub("", answer).strip())


def render(engine: Engine, template: str, paper: Paper, question: str, parts: PromptParts) -> str:
    """The prompt in the model's format, ending where the answer begins."""
    rendered, prefix = prompts.render_with_prefix(template, variables(paper, question, parts))
    return engine.format_prompt(rendered) + prefix


def variables(paper: Paper, question: str, parts: PromptParts) -> dict[str, Any]:
    return {
        "title": paper.title,
        "abstract_only": not paper.sections,
        "passages": [{"key": p.key, "section": p.section, "text": p.text} for p in parts.passages],
        "references": [{"n": r.n, "text": r.text} for r in parts.references],
        "summary": parts.summary,
        "history": [{"question": e.question, "answer": e.answer} for e in parts.history],
        "history_dropped": parts.history_dropped,
        "question": question,
    }
