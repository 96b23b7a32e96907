"""The offline model (SmolLM2-135M) answers questions about the real fixture papers, judged as a reader would:
every quote is verbatim in the passage it cites and that passage verbatim in the paper, every link points at a
real anchor of the document, a follow-up reuses the cached beginning of the prompt, and the conversation is
still there when the store is opened again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from arxivgpt.ask.index import build_index
from arxivgpt.ask.models import QuestionRequest
from arxivgpt.ask.pipeline import Asker
from arxivgpt.ask.sentences import NOT_FOUND
from arxivgpt.engine.local import TransformersEngine
from arxivgpt.papers.local import load_local
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import FakeArxiv
from arxivgpt.settings import Settings
from arxivgpt.store import SqliteStore
from benchmarks.ask import QUESTIONS, Judged, document_anchors, judge
from tests.conftest import shared_file

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def asker_on(engine: TransformersEngine, store: SqliteStore) -> Asker:
    return Asker(PaperResolver(FakeArxiv(), store), engine, store, Settings())


@pytest.mark.parametrize("relative", list(QUESTIONS))
def test_a_question_and_a_follow_up_are_answered_from_quoted_linked_passages(
    relative: str, smollm2: TransformersEngine, tmp_path: Path
) -> None:
    path = shared_file(relative)
    paper = load_local(path)
    index = build_index(paper)
    store = SqliteStore(tmp_path / "cache.sqlite3")
    asker = asker_on(smollm2, store)
    (first_question, _), (follow_question, _) = QUESTIONS[relative][:2]
    first = asyncio.run(asker.ask(QuestionRequest(paper=str(path), question=first_question)))
    follow = asyncio.run(
        asker.ask(
            QuestionRequest(paper=str(path), question=follow_question, conversation_id=first.conversation_id)
        )
    )
    judged = Judged()
    for result in (first, follow):
        judge(paper, index, document_anchors(path), result, judged)
        assert result.answer.strip() and result.model == smollm2.name
        if result.answered:
            assert result.citations, result.answer  # every kept sentence cites, or is attributed
    assert judged.problems == [] and judged.grounded == judged.citations
    assert first.answered, first.answer  # the first question is squarely about the paper
    assert follow.turn == 2 and follow.usage.cached_tokens > 0.3 * follow.usage.prompt_tokens
    store.close()
    reopened = SqliteStore(tmp_path / "cache.sqlite3")
    kept = asker_on(smollm2, reopened).conversation(first.conversation_id)
    assert [t.answer for t in kept.turns] == [first.answer, follow.answer]
    assert [t.citations for t in kept.turns] == [first.citations, follow.citations]
    reopened.close()


def test_a_question_the_paper_does_not_answer_gets_no_invented_answer(
    smollm2: TransformersEngine, tmp_path: Path
) -> None:
    path = shared_file("pdf/2304.02623v1.pdf")
    store = SqliteStore(tmp_path / "cache.sqlite3")
    question = "What learning rate and batch size did the authors train their model with?"
    request = QuestionRequest(paper=str(path), question=question, max_new_tokens=96)
    result = asyncio.run(asker_on(smollm2, store).ask(request))
    assert (result.answer, result.answered, result.citations) == (NOT_FOUND, False, []), result
    store.close()
