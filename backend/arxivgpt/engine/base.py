"""The model seam: one small interface every way of generating text implements.

An `Engine` formats a prompt for its model, counts tokens with the model's own tokenizer, and starts
`Generation`s: iterators of text pieces that can be cancelled between tokens and report token usage.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field


class GenerationOptions(BaseModel):
    """How to generate. Greedy unless `temperature` > 0."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_new_tokens: int = Field(default=512, ge=1, le=32_768)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    stop: tuple[str, ...] = ()
    """Generation ends before the first occurrence of any of these strings (they are not returned)."""
    seed: int | None = None
    repetition_penalty: float | None = Field(default=None, ge=1.0, le=2.0)
    """Penalise tokens already generated (1 = off); None takes the model's default (1.15 for SmolLM2-135M)."""


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    """Of `prompt_tokens`, how many were not computed again: their keys and values came from a cache."""

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class Generation:
    """One running generation: iterate it for text pieces; `cancel()` stops it before the next token.

    `finish_reason` is "stop" (end of sequence or a stop string), "length" (max_new_tokens) or "cancelled"
    once the iterator is exhausted; `usage` is final then too.
    """

    pieces: Iterator[str]
    cancel_event: threading.Event = field(default_factory=threading.Event)
    usage: Usage = field(default_factory=Usage)
    finish_reason: str | None = None

    def __iter__(self) -> Iterator[str]:
        return self.pieces

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def text(self) -> str:
        """Run to the end and return everything generated."""
        return "".join(self)


class Engine(Protocol):
    @property
    def name(self) -> str:
        """What to show the user: the preset or model, and where it runs ("smollm2-135m (cpu, fp32)")."""
        ...

    @property
    def context_length(self) -> int: ...

    def format_prompt(self, message: str) -> str:
        """`message` wrapped in the model's prompt format, ready for `generate`."""
        ...

    def count_tokens(self, text: str) -> int: ...

    def prompt_tokens(self, prompt: str) -> int:
        """Exactly the tokens `generate(prompt, ...)` reads (special tokens such as BOS included)."""
        ...

    def generate(self, prompt: str, options: GenerationOptions) -> Generation:
        """Start generating from an already formatted `prompt`."""
        ...

    def close(self) -> None: ...
