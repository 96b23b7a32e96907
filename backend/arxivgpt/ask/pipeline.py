"""Questions about a paper: a request in, events out (meta, the answer's text, done), conversations kept.

resolve the paper -> its passage index (index.py, cached) -> rank the passages for the question and the
conversation -> fit passages and earlier turns to the model (fitting.py) -> generate and check the answer
sentence by sentence (answer.py, on a Flight: cancelled when its client leaves, aborted on shutdown) ->
store the turn

Questions wait for the one model with summaries: past `max_queue` waiting requests (of both kinds) a
question gets QueueFull; one conversation answers one question at a time.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

from arxivgpt.ask.answer import AnswerJob
from arxivgpt.ask.fitting import QuestionFitting
from arxivgpt.ask.index import PaperIndex, load_or_build, paper_key
from arxivgpt.ask.models import (
    MAX_QUESTION_CHARS,
    AnswerResult,
    Conversation,
    ConversationInfo,
    GivenPassage,
    History,
    QuestionRequest,
    Turn,
)
from arxivgpt.ask.passages import Passage
from arxivgpt.ask.prompt import PromptParts, default_template
from arxivgpt.ask.ranking import words
from arxivgpt.engine.background import ready
from arxivgpt.engine.base import Engine, GenerationOptions
from arxivgpt.errors import ConversationNotFound, InvalidInput, QueueFull
from arxivgpt.papers.ids import ArxivId, match_arxiv_id, parse_arxiv_id
from arxivgpt.papers.local import local_path
from arxivgpt.papers.models import Paper
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.settings import Settings
from arxivgpt.store.base import PaperStore
from arxivgpt.summary.flight import Flight
from arxivgpt.summary.models import PaperInfo

ABSTRACT_ONLY = "Only the abstract of this paper could be read, so this answer comes from the abstract alone."
NO_SHARED_WORDS = "no passage of the paper shares a word with the question, so the model was not asked"
STOP = ("\nQuestion:",)
"""Small models go on to ask and answer questions of their own; the answer ends where they would."""


@dataclass(frozen=True)
class Meta:
    paper: PaperInfo
    model: str
    source: str
    conversation_id: str
    turn: int
    passages: list[GivenPassage]
    history: History


@dataclass(frozen=True)
class Delta:
    text: str


@dataclass(frozen=True)
class Done:
    result: AnswerResult


Event = Meta | Delta | Done


class Asker:
    """Built once per process around the one engine and store; every question goes through `events`."""

    def __init__(
        self,
        resolver: PaperResolver,
        engine: Engine,
        store: PaperStore,
        settings: Settings,
        others_waiting: Callable[[], int] = lambda: 0,
    ) -> None:
        self.resolver, self.engine, self.store, self.settings = resolver, engine, store, settings
        self.others_waiting = others_waiting
        """How many other requests (summaries) wait for the model."""
        self._flights: set[Flight[AnswerResult]] = set()
        self._answering: set[str] = set()
        """Conversations with a question being prepared or answered."""

    def waiting(self) -> int:
        """Questions that have the model or wait for it."""
        return sum(1 for flight in self._flights if not flight.done)

    async def events(self, request: QuestionRequest) -> AsyncIterator[Event]:
        """Meta, the answer's text as Delta pieces (sentence by sentence), then Done.

        Errors before Meta are raised before anything is yielded."""
        _checked_question(request)
        await ready(self.engine)  # the model may still be loading at start-up
        conversation_id = request.conversation_id
        if conversation_id is not None:
            self._claim(conversation_id)
        try:
            job = await self.prepare(request)
            flight = self._flight(job)
        except BaseException:
            self._answering.discard(conversation_id or "")
            raise

        released = False

        def release(*_: object) -> None:  # once: a later question may have claimed the conversation since
            nonlocal released
            if not released:
                released = True
                self._answering.discard(conversation_id or "")

        flight.task.add_done_callback(release)  # a flight that outlives its clients stops at its next token
        flight.join()
        try:
            yield Meta(
                job.paper_info, self.engine.name, job.paper.source, job.conversation.id, job.turn,
                job.given_passages(), job.history,
            )  # fmt: skip
            async for piece in flight.follow():
                if isinstance(piece, str):
                    yield Delta(piece)
        finally:
            flight.leave()
            if flight.done:  # the turn is stored (or never will be): the conversation may go on
                release()
        assert flight.result is not None
        yield Done(flight.result)

    async def ask(self, request: QuestionRequest) -> AnswerResult:
        async for event in self.events(request):
            if isinstance(event, Done):
                return event.result
        raise AssertionError("a question's stream ended without Done")

    async def prepare(self, request: QuestionRequest) -> AnswerJob:
        """Check the request, resolve the paper, fit the prompt: everything before the model runs."""
        question = _checked_question(request)
        self._check_model(request.model)
        if request.summary is not None and request.conversation_id is not None:
            raise InvalidInput(
                "a summary starts a new conversation; send it without conversation_id, or leave it out"
            )
        return await asyncio.to_thread(self._job, request, question, time.perf_counter())

    # Conversations

    def conversation(self, conversation_id: str) -> Conversation:
        kept = self.store.get_conversation(conversation_id)
        if kept is None:
            raise ConversationNotFound(_no_conversation(conversation_id))
        header, turns = kept
        info = ConversationInfo.model_validate_json(header)
        return Conversation(**info.model_dump(), turns=[Turn.model_validate_json(t) for t in turns])

    def conversations(self, paper: str) -> list[ConversationInfo]:
        """The conversations about an arXiv paper (of every version when `paper` names none)."""
        arxiv_id = parse_arxiv_id(paper)
        headers = self.store.list_conversations(arxiv_id.id, arxiv_id.version)
        return [ConversationInfo.model_validate_json(header) for header in headers]

    def delete(self, conversation_id: str) -> None:
        if not self.store.delete_conversation(conversation_id):
            raise ConversationNotFound(f"there is no conversation {conversation_id!r}")

    # Preparing a question

    def _job(self, request: QuestionRequest, question: str, started: float) -> AnswerJob:
        conversation = self.conversation(request.conversation_id) if request.conversation_id else None
        paper = self.resolver.resolve(_paper_text(request.paper, conversation), request.source)
        resolved = time.perf_counter()
        if conversation is not None:
            _check_same_paper(conversation, paper)
        index = load_or_build(paper, self.store)
        indexed = time.perf_counter()
        turns = conversation.turns if conversation else []
        summary = conversation.summary if conversation else request.summary
        candidates = _candidates(index, question, turns)
        answer_tokens = request.max_new_tokens or self.settings.ask_max_new_tokens
        fitted = retry = None
        if candidates:
            fitting = QuestionFitting(
                self.engine,
                default_template(),
                paper,
                question,
                answer_tokens,
                self.settings.ask_passage_tokens,
            )
            previous = _passages(index, turns[-1].passages) if turns else []
            fitted = fitting.fit(candidates, turns, summary, previous)
            retry = fitting.fit(candidates, [], None, previous) if turns else None
        job = AnswerJob(
            engine=self.engine,
            store=self.store,
            settings=self.settings,
            paper=paper,
            index=index,
            question=question,
            fitted=fitted,
            retry=retry,
            options=GenerationOptions(max_new_tokens=answer_tokens, stop=STOP),
            conversation=conversation or self._new_conversation(paper, question, summary),
            turn=len(turns) + 1,
            history=_history(fitted.parts if fitted else None, summary),
            earlier=[turn.answer for turn in turns],
            started=started,
            resolve_s=resolved - started,
            index_s=indexed - resolved,
        )
        _add_notes(job, paper, candidates)
        return job

    def _new_conversation(self, paper: Paper, question: str, summary: str | None) -> ConversationInfo:
        now = time.time()
        return ConversationInfo(
            id=secrets.token_hex(8),
            paper=PaperInfo.of(paper),
            paper_key=paper_key(paper),
            summary=summary,
            turn_count=0,
            first_question=question,
            created_at=now,
            updated_at=now,
        )

    def _claim(self, conversation_id: str) -> None:
        if conversation_id in self._answering:
            raise QueueFull(
                f"conversation {conversation_id} is still answering its previous question; ask again when "
                "that answer is done",
                retry_after=5,
            )
        self._answering.add(conversation_id)

    def _flight(self, job: AnswerJob) -> Flight[AnswerResult]:
        waiting = self.waiting() + self.others_waiting()
        if waiting > self.settings.max_queue:
            raise QueueFull(
                f"{waiting} requests are already waiting for the model; try again in a minute", retry_after=30
            )
        flight = Flight(job.run)
        self._flights.add(flight)
        flight.task.add_done_callback(lambda _: self._flights.discard(flight))
        return flight

    def _check_model(self, model: str | None) -> None:
        name = self.engine.name
        if model and model not in (self.settings.model, name) and not name.startswith(f"{model} "):
            raise InvalidInput(f"this server runs {name}; restart it with --model {model} to use that model")


def precheck(request: QuestionRequest, store: PaperStore) -> None:
    """What can be refused before the model is even loaded: the question, a missing file, a conversation
    that is not there."""
    _checked_question(request)
    local_path(request.paper)  # raises for a file that is not there
    if request.conversation_id is not None and store.get_conversation(request.conversation_id) is None:
        raise ConversationNotFound(_no_conversation(request.conversation_id))


def _no_conversation(conversation_id: str) -> str:
    return f"there is no conversation {conversation_id!r}; start one by asking without conversation_id"


def _checked_question(request: QuestionRequest) -> str:
    question = " ".join(request.question.split())
    if not question:
        raise InvalidInput("the question is empty; ask something about the paper")
    if len(question) > MAX_QUESTION_CHARS:
        raise InvalidInput(
            f"the question is {len(question):,} characters long; ask in at most {MAX_QUESTION_CHARS:,}"
        )
    return question


def _paper_text(paper: str, conversation: Conversation | None) -> str:
    """The paper as asked; an arXiv ID without version continues a conversation on the conversation's own."""
    if conversation is None or conversation.paper.version is None or local_path(paper) is not None:
        return paper
    asked = match_arxiv_id(paper.strip().removeprefix("arXiv:")) or _url_id(paper)
    if asked is not None and asked.version is None and asked.id == conversation.paper.id:
        return f"{asked.id}v{conversation.paper.version}"
    return paper


def _url_id(text: str) -> ArxivId | None:
    try:
        return parse_arxiv_id(text)
    except InvalidInput:
        return None


def _check_same_paper(conversation: Conversation, paper: Paper) -> None:
    key = paper_key(paper)
    if key == conversation.paper_key:
        return
    which = conversation.paper_key if conversation.paper.id else f"the file {conversation.paper.title!r}"
    raise InvalidInput(
        f"conversation {conversation.id} is about {which} ({conversation.paper.title}), not {key}; ask about "
        f"{which} in it, or leave out conversation_id to start a new conversation about this paper"
    )


def _candidates(index: PaperIndex, question: str, turns: Sequence[Turn]) -> list[tuple[Passage, float]]:
    """The passages that may be given, best first: those sharing a word with the question or the last turn;
    for a question with no content words of its own ("What is this about?"), the paper from its start; none
    when the question's words occur nowhere in the paper."""
    last = turns[-1] if turns else None
    context = f"{last.question}\n{last.answer if last.answered else ''}" if last else ""
    ranked = index.ranked(question, context)
    positive = [(passage, score) for passage, score in ranked if score > 0]
    if positive:
        return positive
    if words(question, index.language):
        return []
    return [(passage, 0.0) for passage in index.passages]


def _passages(index: PaperIndex, keys: Sequence[str]) -> list[Passage]:
    by_key = {passage.key: passage for passage in index.passages}
    return [by_key[key] for key in keys if key in by_key]


def _history(parts: PromptParts | None, summary: str | None) -> History:
    if parts is None:
        return History()  # the model was not asked
    dropped = parts.history_dropped
    notes = []
    if dropped:
        notes.append(
            f"the {dropped} oldest earlier turn{'s' if dropped > 1 else ''} left out to fit the model's "
            "context"
        )
    if summary and parts.summary is None:
        notes.append("the summary this conversation started from left out to fit the model's context")
    return History(
        turns_given=len(parts.history),
        turns_dropped=dropped,
        summary_given=parts.summary is not None,
        note="; ".join(notes),
    )


def _add_notes(job: AnswerJob, paper: Paper, candidates: list[tuple[Passage, float]]) -> None:
    if not paper.sections:
        job.lead = f"_{ABSTRACT_ONLY}_\n\n"
        job.notes.append(ABSTRACT_ONLY)
        job.notes.extend(paper.notes)
    if not candidates:
        job.notes.append(NO_SHARED_WORDS)
    if job.history.note:
        job.notes.append(job.history.note)
