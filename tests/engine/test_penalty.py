"""The repetition penalty counts only the answer's tokens: the paper's own words stay as likely as before."""

from __future__ import annotations

import pytest
import torch

from arxivgpt.engine.penalty import AnswerRepetitionPenalty


def test_only_tokens_of_the_answer_are_penalised() -> None:
    scores = torch.tensor([[2.0, 2.0, -2.0, 2.0, 1.0]])
    sequence = torch.tensor([[0, 1, 2, 3]])  # prompt: tokens 0 and 1; answer: tokens 2 and 3
    out = AnswerRepetitionPenalty(2.0, prompt_tokens=2)(sequence, scores.clone())
    assert out.tolist() == [[2.0, 2.0, -4.0, 1.0, 1.0]]


def test_nothing_changes_before_the_answer_begins() -> None:
    scores = torch.tensor([[1.0, -1.0]])
    assert torch.equal(AnswerRepetitionPenalty(1.5, prompt_tokens=2)(torch.tensor([[0, 1]]), scores), scores)


def test_a_penalty_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        AnswerRepetitionPenalty(0.0, prompt_tokens=0)
