"""Step four: a paper and a template in, a grounded five-part summary out, streamed and cached.

resolve the paper -> fit it to the model (budget.py) -> [map long papers to notes] -> render the template
(prompts.py) -> generate -> ground the citations (grounding.py) -> render HTML (render.py) -> cache
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from arxivgpt.engine.background import ready
from arxivgpt.engine.base import Engine, GenerationOptions
from arxivgpt.errors import InvalidInput, QueueFull
from arxivgpt.papers.models import Paper
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.settings import Settings
from arxivgpt.store.base import PaperStore
from arxivgpt.summary import prompts
from arxivgpt.summary.flight import Flight
from arxivgpt.summary.models import PaperInfo, Progress, SummaryRequest, SummaryResult
from arxivgpt.summary.writer import SummaryJob


@dataclass(frozen=True)
class Meta:
    paper: PaperInfo
    model: str
    source: str
    cached: bool


@dataclass(frozen=True)
class Delta:
    text: str


@dataclass(frozen=True)
class Done:
    result: SummaryResult


Event = Meta | Progress | Delta | Done


class Summarizer:
    """Built once per process around the one engine; every summary request goes through `events`."""

    def __init__(
        self, resolver: PaperResolver, engine: Engine, store: PaperStore, settings: Settings
    ) -> None:
        self.resolver = resolver
        self.engine = engine
        self.store = store
        self.settings = settings
        self._flights: dict[str, Flight[SummaryResult]] = {}
        self.others_waiting: Callable[[], int] = lambda: 0
        """How many other requests (questions) wait for the model: the queue is one."""

    def waiting(self) -> int:
        """Summaries that have the model or wait for it."""
        return sum(1 for flight in self._flights.values() if not flight.done)

    async def events(self, request: SummaryRequest) -> AsyncIterator[Event]:
        """Meta, then Progress notes and Delta pieces, then Done.

        Errors before Meta are raised before anything is yielded."""
        await ready(self.engine)  # the model may still be loading at start-up
        started = time.perf_counter()
        job = await self.prepare(request)
        resolve_s = time.perf_counter() - started
        kept = None if request.refresh else await asyncio.to_thread(self.store.get_summary, job.key)
        if kept is not None:
            result = SummaryResult.model_validate_json(kept).model_copy(update={"cached": True})
            yield Meta(result.paper, result.model, result.paper.source, cached=True)
            yield Delta(result.summary)
            yield Done(result)
            return
        flight = self._flight(job)
        flight.join()
        try:
            yield Meta(job.paper_info, self.engine.name, job.paper.source, cached=False)
            async for piece in flight.follow():
                yield piece if isinstance(piece, Progress) else Delta(piece)
        finally:
            flight.leave()
        assert flight.result is not None
        result = flight.result.model_copy(deep=True)  # each subscriber has its own timings
        result.timings.resolve_s = round(resolve_s, 3)
        result.timings.total_s = round(time.perf_counter() - started, 3)
        yield Done(result)

    async def summarize(self, request: SummaryRequest) -> SummaryResult:
        async for event in self.events(request):
            if isinstance(event, Done):
                return event.result
        raise AssertionError("a summary stream ended without Done")

    async def prepare(self, request: SummaryRequest) -> SummaryJob:
        """Check the request, resolve the paper and the template: everything before the model runs."""
        self._check_model(request.model)
        template = request.template if request.template is not None else prompts.default_template()
        prompts.check_syntax(template)
        return await asyncio.to_thread(self._job, request, template)

    def _job(self, request: SummaryRequest, template: str) -> SummaryJob:
        """Blocking: resolve the paper (network, cache) and render the template once with it."""
        paper = self.resolver.resolve(request.paper, request.source)
        options = GenerationOptions(max_new_tokens=request.max_new_tokens or self.settings.max_new_tokens)
        language = request.language or self.settings.language
        job = SummaryJob(self.engine, self.store, paper, template, language, options, self.settings)
        job.check_template()
        job.key = summary_key(paper, template, self.engine.name, options, language)
        return job

    def _check_model(self, model: str | None) -> None:
        if (
            model
            and model not in (self.settings.model, self.engine.name)
            and not self.engine.name.startswith(f"{model} ")
        ):
            raise InvalidInput(
                f"this server runs {self.engine.name}; restart it with --model {model} to use that model"
            )

    def _flight(self, job: SummaryJob) -> Flight[SummaryResult]:
        flight = self._flights.get(job.key)
        if flight is not None and flight.joinable:
            return flight
        waiting = self.waiting() + self.others_waiting()
        if waiting > self.settings.max_queue:
            raise QueueFull(
                f"{waiting} requests (summaries and questions) are already waiting for the model; try again "
                "in a minute",
                retry_after=30,
            )
        flight = Flight(job.run)
        self._flights[job.key] = flight
        flight.task.add_done_callback(lambda _: self._flights.pop(job.key, None))
        return flight


def summary_key(paper: Paper, template: str, model: str, options: GenerationOptions, language: str) -> str:
    """Everything a summary depends on, hashed: the same key means the same summary."""
    if paper.id is not None:
        identity = f"{paper.id}v{paper.version}"
    else:
        identity = (
            "file:"
            + hashlib.sha256(paper.model_dump_json(include={"sections", "title"}).encode()).hexdigest()
        )
    parts = {
        "paper": identity,
        "source": paper.source,
        "template": hashlib.sha256(template.encode()).hexdigest(),
        "model": model,
        "options": options.model_dump(mode="json"),
        "language": language,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
