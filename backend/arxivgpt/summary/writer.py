"""The blocking part of one summary: fit, [map], prompt, generate, ground, render, store. Runs on a thread."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from arxivgpt.engine.base import Engine, GenerationOptions
from arxivgpt.papers.models import Paper
from arxivgpt.settings import Settings
from arxivgpt.store.base import PaperStore
from arxivgpt.summary import budget, prompts
from arxivgpt.summary.grounding import ground
from arxivgpt.summary.models import NumberedReference, PaperInfo, SummaryResult, Timings, Usage
from arxivgpt.summary.render import to_html

if TYPE_CHECKING:
    from arxivgpt.summary.flight import Flight

log = logging.getLogger(__name__)
MAP_NEW_TOKENS = 256
SAFETY_TOKENS = 16  # chat templates add a few tokens around the message that a bare count misses


class Cancelled(Exception):
    """Every client of this summary went away; nothing is stored."""


class SummaryJob:
    def __init__(
        self,
        engine: Engine,
        store: PaperStore,
        paper: Paper,
        template: str,
        language: str,
        options: GenerationOptions,
        settings: Settings,
    ) -> None:
        self.engine, self.store, self.paper = engine, store, paper
        self.template, self.language, self.options = template, language, options
        self.settings = settings
        self.references = prompts.numbered(paper.references)
        self.key = ""

    @property
    def paper_info(self) -> PaperInfo:
        return PaperInfo(
            id=self.paper.id, version=self.paper.version, title=self.paper.title, source=self.paper.source
        )

    def variables(self, body: str, references: list[NumberedReference]) -> dict[str, Any]:
        return prompts.summary_variables(self.paper, body, references, self.language)

    def check_template(self) -> None:
        """Render once with this paper, so that template errors surface before anything is streamed."""
        prompts.render(self.template, self.variables(self.paper.abstract, self.references))

    def budget_tokens(self, template: str, variables: dict[str, Any], new_tokens: int) -> int:
        scaffolding = self.engine.count_tokens(self.engine.format_prompt(prompts.render(template, variables)))
        return self.engine.context_length - new_tokens - scaffolding - SAFETY_TOKENS

    def run(self, flight: Flight[SummaryResult]) -> SummaryResult:
        started = time.perf_counter()
        plan = self.plan()
        body, strategy = plan.body, plan.strategy
        if strategy.name == "map-reduce":
            joined = self._map_reduce(plan, flight)
            body, strategy = joined.body, joined.apply(strategy)
        prompt, prefix = self.prompt_and_prefix(body, plan.references)
        generation = self.engine.generate(prompt, self.options)
        first_token: float | None = None
        pieces: list[str] = [prefix] if prefix else []
        if prefix:
            flight.emit(prefix)
        for piece in generation:
            if flight.cancelled.is_set():
                generation.cancel()
                continue
            first_token = first_token or time.perf_counter() - started
            pieces.append(piece)
            flight.emit(piece)
        if generation.finish_reason == "cancelled" or flight.cancelled.is_set():
            log.info(
                "summary of %s cancelled after %d tokens: every client went away",
                self.paper_info.id or self.paper.title, generation.usage.completion_tokens,
            )  # fmt: skip
            raise Cancelled("every client went away")
        grounded = ground("".join(pieces), plan.references)
        result = SummaryResult(
            paper=self.paper_info,
            model=self.engine.name,
            summary=grounded.summary,
            html=to_html(grounded.summary),
            references=grounded.cited,
            unknown_citations=grounded.unknown,
            usage=Usage(
                prompt_tokens=generation.usage.prompt_tokens,
                completion_tokens=generation.usage.completion_tokens,
            ),
            timings=Timings(
                first_token_s=round(first_token, 3) if first_token else None,
                generate_s=round(time.perf_counter() - started, 3),
            ),
            strategy=strategy,
        )
        self.store.put_summary(self.key, self.paper.id, result.model_dump_json())
        return result

    def prompt_and_prefix(self, body: str, references: list[NumberedReference]) -> tuple[str, str]:
        """The prompt in the model's format, ending with the template's `answer_prefix` (also returned)."""
        rendered, prefix = prompts.render_with_prefix(self.template, self.variables(body, references))
        return self.engine.format_prompt(rendered) + prefix, prefix

    def plan(self) -> budget.Plan:
        """How this paper fits the model: which text, which references, or which chunks to map first."""
        empty = self.variables("", [])
        available = self.budget_tokens(self.template, empty, self.options.max_new_tokens)
        map_template = prompts.default_template("map.md.j2")
        map_budget = self.budget_tokens(map_template, self._map_variables([], ""), MAP_NEW_TOKENS)
        return budget.plan(
            self.paper,
            self.engine.count_tokens,
            available,
            map_budget=map_budget,
            references=self.references,
        )

    def _map_variables(self, titles: list[str], chunk: str) -> dict[str, Any]:
        return {"title": self.paper.title, "chunk_titles": titles, "chunk": chunk, "language": self.language}

    def _map_reduce(self, plan: budget.Plan, flight: Flight[SummaryResult]) -> budget.JoinedNotes:
        """Notes on each chunk of a paper too long for the context; the five-part prompt then runs on them."""
        map_template = prompts.default_template("map.md.j2")
        notes: list[tuple[list[str], str]] = []
        for chunk in plan.chunks:
            if flight.cancelled.is_set():
                raise Cancelled("every client went away")
            prompt = prompts.render(map_template, self._map_variables(chunk.titles, chunk.text))
            options = GenerationOptions(max_new_tokens=MAP_NEW_TOKENS, temperature=self.options.temperature)
            notes.append(
                (chunk.titles, self.engine.generate(self.engine.format_prompt(prompt), options).text())
            )
        return budget.join_notes(notes, self.engine.count_tokens, plan.strategy.budget_tokens)
