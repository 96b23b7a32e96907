"""What a summary request asks for and what comes back (the REST API and the CLI share these)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

StrategyName = Literal["full", "sections", "map-reduce", "abstract"]


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
    completion_tokens: int = 0


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
    cached: bool = False
