"""A repetition penalty over the answer only, not the prompt.

transformers' `repetition_penalty` penalises every token already in the sequence, prompt included. With a
paper in the prompt that punishes exactly the words a faithful summary needs (the paper's own terms) and
pushes a small model towards words the paper never uses. Loops are a property of the answer, so only the
answer's tokens are penalised here (the same rule as CTRL's penalty, applied from `prompt_tokens` on).
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import LogitsProcessor


class AnswerRepetitionPenalty(LogitsProcessor):
    def __init__(self, penalty: float, prompt_tokens: int) -> None:
        if penalty <= 0:
            raise ValueError(f"a repetition penalty must be positive, not {penalty}")
        self.penalty = penalty
        self.prompt_tokens = prompt_tokens

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> Any:
        answer = input_ids[:, self.prompt_tokens :]
        if answer.shape[1] == 0:
            return scores
        seen = torch.gather(scores, 1, answer)
        seen = torch.where(seen < 0, seen * self.penalty, seen / self.penalty)
        return scores.scatter(1, answer, seen)
