"""What a summary request asks for and what comes back (the REST API and the CLI share these)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from arxivgpt.papers.models import Paper

StrategyName = Literal["full", "sections", "map-reduce", "abstract"]
Structure = Literal["parts", "free"]
FinishReason = Literal["stop", "length"]


class NumberedReference(BaseModel):
    """A bibliography entry as the model sees it: `n` is its 1-based place in the paper's list."""

    n: int
    text: str


class Strategy(BaseModel):
    """How the paper was fitted into the model's context."""

    name: StrategyName
    sections: list[str] = Field(default_factory=list)
    """Titles of the sections whose text went into the prompt (or into the map step's notes)."""
    dropped: list[str] = Field(default_factory=list)
    """Titles of the sections left out."""
    budget_tokens: int = 0
    """Tokens available for the paper's text after generation length and prompt scaffolding."""
    body_tokens: int = 0
    references_given: int = 0
    """How many bibliography entries the prompt listed (all of them unless the budget forced fewer)."""
    description: str = ""
    """The same in plain words, for people: "the whole paper (12 sections)"."""


class SummaryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paper: str = Field(
        min_length=1,
        max_length=2000,
        description="an arXiv ID or arxiv.org URL (the CLI also takes local files; the API does not)",
    )
    source: Literal["full", "abstract"] = "full"
    template: str | None = Field(default=None, description="a Jinja2 template; the default one if absent")
    language: str | None = Field(default=None, max_length=40, description="e.g. English, 中文")
    model: str | None = Field(default=None, description="must name the model this server runs, if given")
    max_new_tokens: int | None = Field(default=None, ge=16, le=8192)
    refresh: bool = False
    stream: bool = False


class Usage(BaseModel):
    prompt_tokens: int = 0
    """Tokens read, over every request the summary made."""
    completion_tokens: int = 0
    cached_tokens: int = 0
    """Of `prompt_tokens`, those whose keys and values came from the engine's prefix cache."""
    requests: int = 0
    """Generations the summary needed (one per item and re-ask when written part by part)."""


class Progress(BaseModel):
    """What a running summary is doing now (the `progress` SSE event)."""

    stage: Literal["reading", "mapping", "writing"]
    message: str
    """In plain words: "reading 6,412 tokens of the paper", "writing part 3 of 5: Questions"."""
    part: int | None = None
    parts: int | None = None
    tokens: int | None = None


class PartResult(BaseModel):
    """One part of a summary written part by part, as data."""

    heading: str
    kind: Literal["sentence", "list", "references"]
    items: list[str]
    """The sentence, the list items, or the reference lines, as they appear in `summary`."""
    rule: str
    """The count rule it had to meet, in words."""
    rule_met: bool
    re_asked: int = 0
    """Items asked again after a first answer failed a check."""


class DroppedSentence(BaseModel):
    """A generated sentence left out of the summary, and why."""

    part: str
    text: str
    reason: str
    """"unsupported" (too few of its words are in the paper), "not a question", "repeats", "cut off", ..."""
    support: float | None = None


class Timings(BaseModel):
    resolve_s: float = 0.0
    first_token_s: float | None = None
    generate_s: float = 0.0
    total_s: float = 0.0


class PaperInfo(BaseModel):
    id: str | None
    version: int | None
    title: str
    source: str
    authors: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    """How the text was obtained, in words: why the abstract only came back when the full text was asked."""

    @classmethod
    def of(cls, paper: Paper) -> PaperInfo:
        return cls(
            id=paper.id,
            version=paper.version,
            title=paper.title,
            source=paper.source,
            authors=paper.authors,
            notes=paper.notes,
        )


class SummaryResult(BaseModel):
    paper: PaperInfo
    model: str
    summary: str
    """Markdown; citations are the paper's own, with unknown numbers removed."""
    html: str
    """`summary` rendered and sanitised."""
    references: list[NumberedReference]
    """Every entry the summary cites, verbatim from the paper's bibliography."""
    unknown_citations: int = 0
    """Citations of numbers that are not in the bibliography, dropped from `summary`."""
    usage: Usage
    timings: Timings
    strategy: Strategy
    structure: Structure = "free"
    """"parts": written part by part, with forced headings and checked counts; "free": one answer."""
    parts: list[PartResult] = Field(default_factory=list)
    dropped_sentences: list[DroppedSentence] = Field(default_factory=list)
    support_check: str | None = None
    """What each sentence was checked against the paper by ("content words, in English"); none for a free
    answer, which is not checked sentence by sentence."""
    finish_reason: FinishReason = "stop"
    """"length": the answer stopped at the length limit (max_new_tokens)."""
    language_note: str | None = None
    """Set when the model did not write in the language asked for: "asked for Deutsch, but the model wrote
    English"."""
    cached: bool = False
