"""The blocking part of one question: generate, check sentence by sentence, quote, store the turn.

Runs on a thread (a Flight). Everything it needs was prepared before (pipeline.py): the paper, its index,
the fitted prompt. The turn is stored only when the answer is complete, in one transaction with the
conversation when it is the first: a cancelled or failed answer leaves nothing behind.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

from arxivgpt.ask import citations
from arxivgpt.ask.fitting import Fitted
from arxivgpt.ask.index import PaperIndex, paper_key
from arxivgpt.ask.links import passage_url
from arxivgpt.ask.models import (
    AnswerResult,
    AnswerTimings,
    Citation,
    ConversationInfo,
    GivenPassage,
    History,
    Retrieval,
    Turn,
)
from arxivgpt.ask.passages import Passage
from arxivgpt.ask.sentences import CheckedAnswer
from arxivgpt.engine.base import Engine, GenerationOptions
from arxivgpt.errors import ConversationNotFound
from arxivgpt.papers.models import Paper
from arxivgpt.settings import Settings
from arxivgpt.store.base import PaperStore, StoredTurn
from arxivgpt.summary.flight import Flight
from arxivgpt.summary.models import PaperInfo, Usage
from arxivgpt.summary.prompts import numbered
from arxivgpt.summary.render import to_html
from arxivgpt.summary.writer import Cancelled

RETRIED = "asked again without the earlier turns: the model repeated an earlier answer"


@dataclass
class _Run:
    """What the generations of one answer add up to."""

    first_token: float | None = None
    prefill_tokens: int | None = None
    finish: Literal["stop", "length"] = "stop"
    usage: Usage = field(default_factory=Usage)


@dataclass
class AnswerJob:
    engine: Engine
    store: PaperStore
    settings: Settings
    paper: Paper
    index: PaperIndex
    question: str
    fitted: Fitted | None
    """None when no passage shares a word with the question: the answer is NOT_FOUND, without the model."""
    retry: Fitted | None
    options: GenerationOptions
    conversation: ConversationInfo
    turn: int
    history: History
    notes: list[str] = field(default_factory=list)
    earlier: list[str] = field(default_factory=list)
    """The conversation's earlier answers (a sentence copied from one is left out)."""
    lead: str = ""
    """Said before the answer: that only the abstract could be read, when so."""
    started: float = field(default_factory=time.perf_counter)
    resolve_s: float = 0.0
    index_s: float = 0.0

    @property
    def paper_info(self) -> PaperInfo:
        return PaperInfo.of(self.paper)

    @property
    def given(self) -> list[Passage]:
        return self.fitted.parts.passages if self.fitted else []

    def given_passages(self) -> list[GivenPassage]:
        scores = self.fitted.scores if self.fitted else {}
        return [
            GivenPassage(
                passage=p.key, section=p.section, url=self.url(p), score=round(scores.get(p.key, 0.0), 3)
            )
            for p in self.given
        ]

    def url(self, passage: Passage) -> str | None:
        return passage_url(self.paper, passage, self.settings)

    # The run

    def run(self, flight: Flight[AnswerResult]) -> AnswerResult:
        if self.lead:
            flight.emit(self.lead)
        checked = self._checker()
        run = _Run()
        if self.fitted is not None:
            self._generate(self.fitted, checked, flight, run)
            if checked.only_repeated and self.retry is not None:
                # The model gave an earlier answer again: ask once more without the conversation.
                self.fitted, self.history = self.retry, History(turns_dropped=self.turn - 1, note=RETRIED)
                self.notes.append(RETRIED)
                checked = self._checker()  # over the passages the second prompt gives
                self._generate(self.retry, checked, flight, run)
        for text in checked.conclude():
            flight.emit(text)
        result = self._result(checked, run)
        self._store(result)
        return result

    def _checker(self) -> CheckedAnswer:
        bibliography = numbered(self.paper.references)
        return CheckedAnswer(
            self.given, bibliography, self.index.language, earlier=self.earlier, question=self.question
        )

    def _generate(
        self, fitted: Fitted, checked: CheckedAnswer, flight: Flight[AnswerResult], run: _Run
    ) -> None:
        generation = self.engine.generate(fitted.prompt, self.options)
        for piece in generation:
            if flight.cancelled.is_set() or checked.stopped:
                generation.cancel()
                continue
            run.first_token = run.first_token or time.perf_counter() - self.started
            for text in checked.feed(piece):
                flight.emit(text)
        if flight.cancelled.is_set():
            raise Cancelled("every client went away")
        run.finish = "length" if generation.finish_reason == "length" else "stop"
        for text in checked.flush(cut_off=run.finish == "length"):
            flight.emit(text)
        if run.prefill_tokens is None:
            run.prefill_tokens = generation.usage.prompt_tokens - generation.usage.cached_tokens
        run.usage.prompt_tokens += generation.usage.prompt_tokens
        run.usage.completion_tokens += generation.usage.completion_tokens
        run.usage.cached_tokens += generation.usage.cached_tokens
        run.usage.requests += 1

    def _result(self, checked: CheckedAnswer, run: _Run) -> AnswerResult:
        answer = self.lead + checked.markdown
        urls = {p.key: self.url(p) for p in self.given}
        fitted = self.fitted
        now = time.perf_counter()
        return AnswerResult(
            paper=self.paper_info,
            model=self.engine.name,
            conversation_id=self.conversation.id,
            turn=self.turn,
            turns=self.turn,
            question=self.question,
            answer=answer,
            html=to_html(citations.link(answer, urls)),
            answered=not checked.not_found,
            citations=self._citations(checked),
            references=sorted(checked.references.values(), key=lambda ref: ref.n),
            removed_citations=checked.removed_citations,
            unknown_references=checked.unknown_references,
            dropped_sentences=checked.dropped,
            passages=self.given_passages(),
            history=self.history,
            retrieval=Retrieval(
                passages_total=len(self.index.passages),
                passages_given=len(self.given),
                passage_tokens=fitted.passage_tokens if fitted else 0,
                budget_tokens=fitted.budget_tokens if fitted else 0,
                index_cached=self.index.cached,
            ),
            notes=self.notes,
            finish_reason=run.finish,
            usage=run.usage,
            timings=AnswerTimings(
                resolve_s=round(self.resolve_s, 3),
                index_s=round(self.index_s, 3),
                first_token_s=round(run.first_token, 3) if run.first_token is not None else None,
                prefill_tokens=run.prefill_tokens,
                generate_s=round(now - self.started - self.resolve_s - self.index_s, 3),
                total_s=round(now - self.started, 3),
            ),
        )

    def _citations(self, checked: CheckedAnswer) -> list[Citation]:
        by_key = {p.key: p for p in self.given}
        found: dict[tuple[str, str], Citation] = {}
        for sentence in checked.kept:
            for key in sentence.cited:
                passage = by_key[key]
                quoted, support = citations.quote(sentence.text, passage, self.index.language, self.question)
                found.setdefault(
                    (key, quoted),
                    Citation(
                        passage=key,
                        section=passage.section,
                        quote=quoted,
                        url=self.url(passage),
                        support=support,
                        attributed=sentence.attributed,
                    ),
                )
        return list(found.values())

    def _store(self, result: AnswerResult) -> None:
        turn = Turn(
            number=self.turn,
            question=self.question,
            answer=result.answer,
            html=result.html,
            answered=result.answered,
            citations=result.citations,
            references=result.references,
            removed_citations=result.removed_citations,
            passages=[p.key for p in self.given],
            model=result.model,
            source=self.paper.source,
            usage=result.usage,
            timings=result.timings,
            created_at=time.time(),
        )
        header = self.conversation.model_copy(update={"turn_count": self.turn, "updated_at": turn.created_at})
        stored = StoredTurn(
            conversation_id=self.conversation.id,
            paper_id=_paper_id(self.paper),
            version=self.paper.version,
            header=header.model_dump_json(),
            number=self.turn,
            body=turn.model_dump_json(),
        )
        if not self.store.put_turn(stored):
            raise ConversationNotFound(
                f"conversation {self.conversation.id} was deleted while its question was answered; "
                "nothing was stored"
            )


def _paper_id(paper: Paper) -> str:
    """What conversations are listed by: the arXiv ID without version, or a local file's key."""
    return paper.id if paper.id is not None else paper_key(paper)
