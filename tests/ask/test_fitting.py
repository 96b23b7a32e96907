"""The question prompt always fits, counted exactly with the real tokenizer: every fixture paper, each
preset's context (2,048, 4,096, 8,192), short and long answers, a long conversation, passages filling all the
room there is; the conversation keeps to its share, the oldest turns leaving first."""

from __future__ import annotations

import time

import pytest

from arxivgpt.ask.fitting import FOLLOW_UP_SHARE, HISTORY_SHARE, QuestionFitting
from arxivgpt.ask.index import build_index
from arxivgpt.ask.models import AnswerTimings, Turn
from arxivgpt.ask.prompt import default_template
from arxivgpt.engine.local import TransformersEngine
from arxivgpt.errors import InvalidInput
from arxivgpt.summary.models import Usage
from tests.ask.conftest import FIXTURES, fixture_paper
from tests.summary.test_fitting import CONTEXTS, engine_with

pytestmark = pytest.mark.slow  # the real tokenizer (the model loads once per run)

QUESTION = "How does the method compare with the baselines, and on which datasets?"


def turn(number: int, words: int = 120) -> Turn:
    answer = " ".join(f"The lattice result number {number} holds [p{number}]." for _ in range(words // 7))
    return Turn(
        number=number, question=f"Question {number} about the method?", answer=answer, html="",
        answered=True, citations=[], references=[], removed_citations=0, passages=[], model="m",
        source="html", usage=Usage(), timings=AnswerTimings(), created_at=time.time(),
    )  # fmt: skip


@pytest.mark.parametrize(("context", "prompt_format"), CONTEXTS)
@pytest.mark.parametrize("answer_tokens", [64, 256, 1024])
def test_the_prompt_and_the_answer_fit_the_context(
    smollm2: TransformersEngine, context: int, prompt_format: str | None, answer_tokens: int
) -> None:
    engine = engine_with(smollm2, context, prompt_format)
    turns = [turn(n) for n in range(1, 9)]
    for relative in FIXTURES:
        paper = fixture_paper(relative)
        index = build_index(paper)
        ranked = index.ranked(QUESTION)
        fitting = QuestionFitting(engine, default_template(), paper, QUESTION, answer_tokens, cap=100_000)
        fitted = fitting.fit(ranked, turns, "A summary of the paper. " * 20, index.passages[:6])
        assert fitted.prompt_tokens == engine.prompt_tokens(fitted.prompt)
        assert fitted.prompt_tokens + answer_tokens <= context
        every_passage = len(fitted.parts.passages) == len(index.passages)
        assert every_passage or fitted.prompt_tokens + answer_tokens > context - 200  # the room is used
        history = sum(engine.count_tokens(f"\nQ: {e.question}\nA: {e.answer}") for e in fitted.parts.history)
        assert history <= HISTORY_SHARE * context
        dropped = fitted.parts.history_dropped
        assert [e.question for e in fitted.parts.history] == [
            t.question for t in turns[dropped:]
        ]  # newest kept
        assert fitted.passage_tokens <= fitted.budget_tokens


def test_the_configured_cap_bounds_the_passages(smollm2: TransformersEngine) -> None:
    paper = fixture_paper(FIXTURES[0])
    index = build_index(paper)
    fitted = QuestionFitting(smollm2, default_template(), paper, QUESTION, 256, cap=1500).fit(
        index.ranked(QUESTION), [], None
    )
    assert fitted.budget_tokens == 1500 and 1300 < fitted.passage_tokens <= 1500
    keys = [p.key for p in fitted.parts.passages]
    assert keys == sorted(keys, key=lambda key: int(key[1:]))  # document order
    ranked_first = next(p.key for p, _ in index.ranked(QUESTION))
    assert ranked_first in keys


def test_a_follow_up_begins_with_the_passages_the_last_turn_began_with(smollm2: TransformersEngine) -> None:
    paper = fixture_paper(FIXTURES[0])
    index = build_index(paper)
    fitting = QuestionFitting(smollm2, default_template(), paper, QUESTION, 256, cap=1500)
    first = fitting.fit(index.ranked(QUESTION), [], None)
    follow_question = "Which models were finetuned on insecure code?"
    follow = QuestionFitting(smollm2, default_template(), paper, follow_question, 256, cap=1500).fit(
        index.ranked(follow_question), [turn(1)], None, first.parts.passages
    )
    kept = follow.parts.passages[: len(first.parts.passages)]
    assert kept == first.parts.passages  # all of them, in the same order, then the new ones
    new = follow.parts.passages[len(kept) :]
    assert new and sum(smollm2.count_tokens(p.text) for p in new) <= 1500 * FOLLOW_UP_SHARE
    shared = 0
    for a, b in zip(smollm2.encode(first.prompt)[0], smollm2.encode(follow.prompt)[0], strict=False):
        if a != b:
            break
        shared += 1
    assert shared > 0.85 * first.prompt_tokens  # what the engine's cache can reuse


def test_a_question_that_leaves_no_room_says_what_to_do(smollm2: TransformersEngine) -> None:
    engine = engine_with(smollm2, 2048, "vicuna_v1.1")
    paper = fixture_paper(FIXTURES[2])
    fitting = QuestionFitting(engine, default_template(), paper, QUESTION * 30, 1900, cap=1500)
    with pytest.raises(InvalidInput, match="ask a shorter question or lower max_new_tokens"):
        fitting.fit(build_index(paper).ranked(QUESTION), [], None)
