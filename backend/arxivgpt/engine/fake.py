"""A scripted engine for tests of everything above the model: replies are queued, prompts recorded."""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Iterator

from arxivgpt.engine.base import Generation, GenerationOptions, Usage
from arxivgpt.engine.stops import StopScanner

_PIECES = re.compile(r"\s*\S+(?:\s+$)?")  # the last word keeps trailing whitespace


class FakeEngine:
    """Generates the queued replies word by word (a "token" is a word), honouring every option.

    With the queue empty it answers `respond(prompt)` when given, else a fixed sentence.
    """

    def __init__(
        self,
        *replies: str,
        context_length: int = 4096,
        piece_delay: float = 0.0,
        respond: Callable[[str], str] | None = None,
    ) -> None:
        self.name = "fake"
        self.context_length = context_length
        self.piece_delay = piece_delay
        self.respond = respond
        self.replies: deque[str] = deque(replies)
        self.prompts: list[str] = []
        self.options: list[GenerationOptions] = []
        self.generations: list[Generation] = []

    def enqueue(self, *replies: str) -> None:
        self.replies.extend(replies)

    def format_prompt(self, message: str) -> str:
        return f"USER: {message}\nASSISTANT:"

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def prompt_tokens(self, prompt: str) -> int:
        return self.count_tokens(prompt)

    def generate(self, prompt: str, options: GenerationOptions) -> Generation:
        self.prompts.append(prompt)
        self.options.append(options)
        if self.replies:
            reply = self.replies.popleft()
        else:
            reply = self.respond(prompt) if self.respond else "This is a fake reply."
        generation = Generation(pieces=iter(()), usage=Usage(prompt_tokens=self.count_tokens(prompt)))
        generation.pieces = self._pieces(reply, options, generation)
        self.generations.append(generation)
        return generation

    def _pieces(self, reply: str, options: GenerationOptions, generation: Generation) -> Iterator[str]:
        scanner = StopScanner(options.stop)
        pieces = _PIECES.findall(reply)[: options.max_new_tokens]
        for piece in pieces:
            if generation.cancelled:
                generation.finish_reason = "cancelled"
                return
            if self.piece_delay:
                time.sleep(self.piece_delay)
            generation.usage.completion_tokens += 1
            safe = scanner.feed(piece)
            if safe:
                yield safe
            if scanner.stopped:
                generation.finish_reason = "stop"
                return
        tail = scanner.flush()
        if tail:
            yield tail
        truncated = len(_PIECES.findall(reply)) > options.max_new_tokens
        generation.finish_reason = "length" if truncated else "stop"

    def close(self) -> None:
        pass
