"""What a question asks for and what comes back (the REST API and the CLI share these), and conversations."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from arxivgpt.summary.models import NumberedReference, PaperInfo, Usage

MAX_QUESTION_CHARS = 2000
MAX_SUMMARY_CHARS = 20_000


class QuestionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paper: str = Field(
        min_length=1,
        max_length=2000,
        description="an arXiv ID or arxiv.org URL (the CLI also takes local files; the API does not)",
    )
    question: str = Field(
        max_length=100_000, description=f"what to ask, at most {MAX_QUESTION_CHARS:,} characters"
    )
    conversation_id: str | None = Field(
        default=None, max_length=64, description="continue this conversation (of the same paper version)"
    )
    source: Literal["full", "abstract"] = "full"
    summary: str | None = Field(
        default=None,
        max_length=MAX_SUMMARY_CHARS,
        description="a summary of the paper the reader has seen; a new conversation starts from it, so that "
        'a question can refer to it ("the second insight")',
    )
    model: str | None = Field(default=None, description="must name the model this server runs, if given")
    max_new_tokens: int | None = Field(default=None, ge=16, le=2048)
    stream: bool = False


class Citation(BaseModel):
    """One passage an answer cites, with the sentence of it that supports the claim."""

    passage: str
    """The passage's key, as cited: `p12`."""
    section: str
    quote: str
    """Verbatim text of the passage: the sentence of it that shares most words with the citing sentence."""
    url: str | None
    """Its place in the paper: arXiv's HTML at the paragraph's anchor, or the PDF page."""
    support: float
    """Of the citing sentence's content words, the share found in the passage (1.0: all of them)."""
    attributed: bool = False
    """True when the model did not cite this sentence and the server did: the given passage holding most of
    its content words."""


class GivenPassage(BaseModel):
    """A passage the model was given for this answer (in the order it read them)."""

    passage: str
    section: str
    url: str | None
    score: float
    """Its BM25 score for the question (and, weighed less, the conversation)."""


class DroppedSentence(BaseModel):
    """A sentence the model wrote that was left out of the answer, and why."""

    text: str
    reason: Literal["unsupported", "a question, not an answer", "repeats an earlier answer"]
    """"unsupported": fewer than 70% of its content words, or not every number in it, occur in the passages
    the model was given."""
    support: float | None = None


class History(BaseModel):
    """Which earlier turns the model saw: within a bounded share of its budget, the oldest dropped first."""

    turns_given: int = 0
    turns_dropped: int = 0
    summary_given: bool = False
    note: str = ""


class Retrieval(BaseModel):
    passages_total: int
    passages_given: int
    passage_tokens: int
    """Tokens of passage text the prompt holds."""
    budget_tokens: int
    """What the passages were allowed: the context less the answer's room, instructions and history."""
    index_cached: bool


class AnswerTimings(BaseModel):
    resolve_s: float = 0.0
    index_s: float = 0.0
    first_token_s: float | None = None
    """From the request to the model's first token."""
    prefill_tokens: int | None = None
    """Tokens of the prompt the model computed before its first token: those its cache did not hold."""
    generate_s: float = 0.0
    total_s: float = 0.0


class AnswerResult(BaseModel):
    """The `done` event (or the JSON response) of one question."""

    paper: PaperInfo
    model: str
    conversation_id: str
    turn: int
    """This answer's turn in the conversation: 1 for the first question."""
    turns: int
    """How many turns the conversation has now."""
    question: str
    answer: str
    """Markdown; every `[pN]` is a passage the model was given, every `[n]` an entry of the bibliography."""
    html: str
    """`answer` rendered and sanitised; each `[pN]` links to its passage."""
    answered: bool
    """False when the passages do not hold the answer (and the answer says so)."""
    citations: list[Citation]
    references: list[NumberedReference]
    """Bibliography entries the answer cites, verbatim from the paper."""
    removed_citations: int = 0
    """Citations of passages the model was not given (or that do not exist), removed from `answer`."""
    unknown_references: int = 0
    """Citations of bibliography numbers the paper does not have, removed from `answer`."""
    dropped_sentences: list[DroppedSentence] = Field(default_factory=list)
    passages: list[GivenPassage]
    history: History
    retrieval: Retrieval
    notes: list[str] = Field(default_factory=list)
    finish_reason: Literal["stop", "length"] = "stop"
    usage: Usage
    timings: AnswerTimings


class Turn(BaseModel):
    """A question and its answer, as a conversation keeps them."""

    number: int
    question: str
    answer: str
    html: str
    answered: bool
    citations: list[Citation]
    references: list[NumberedReference]
    removed_citations: int
    passages: list[str]
    """Keys of the passages the model was given."""
    model: str
    source: str
    usage: Usage
    timings: AnswerTimings
    created_at: float


class ConversationInfo(BaseModel):
    """A conversation as listed: what it is about and how far it got (the store keeps this as its header)."""

    id: str
    paper: PaperInfo
    paper_key: str
    """The paper version it belongs to: `2501.11120v1` (or a local file's key)."""
    summary: str | None = None
    """The summary it started from, if any."""
    turn_count: int
    first_question: str
    created_at: float
    updated_at: float


class Conversation(ConversationInfo):
    """`GET /v1/conversations/{id}`: the conversation with every turn."""

    turns: list[Turn] = Field(default_factory=list)
