"""The blocking part of one summary: fit, [map], write (part by part or free), ground, render, store.

Runs on a thread. Templates that set `parts` are written by composer.py; others are one prompt answered in
one go. Either way the prompt that reaches the engine has been counted exactly (fitting.py).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from arxivgpt.engine.base import Engine, GenerationOptions
from arxivgpt.papers.models import Paper
from arxivgpt.settings import Settings
from arxivgpt.store.base import PaperStore
from arxivgpt.summary import budget, prompts
from arxivgpt.summary.bibliography import reference_items
from arxivgpt.summary.composer import Composed, Composer, Stopped, heading_line
from arxivgpt.summary.faithfulness import SupportIndex
from arxivgpt.summary.fitting import MAP_NEW_TOKENS, Fitting, describe_strategy
from arxivgpt.summary.grounding import ground
from arxivgpt.summary.keyphrases import key_phrases
from arxivgpt.summary.language import language_note, support_language
from arxivgpt.summary.models import (
    NumberedReference,
    PaperInfo,
    Progress,
    Strategy,
    SummaryResult,
    Timings,
    Usage,
)
from arxivgpt.summary.parts import PartSpec, read_parts
from arxivgpt.summary.render import to_html

if TYPE_CHECKING:
    from arxivgpt.summary.flight import Flight

log = logging.getLogger(__name__)


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
        self.bibliography = prompts.numbered(paper.references)
        self.parts: list[PartSpec] | None = None
        self._listed: list[NumberedReference] = []
        """The entries the references part lists (a structured summary only)."""
        self._support_check: str | None = None
        self.key = ""

    @property
    def paper_info(self) -> PaperInfo:
        return PaperInfo.of(self.paper)

    @property
    def structured(self) -> bool:
        return self.parts is not None

    def variables(
        self, body: str, references: list[NumberedReference], part: PartSpec | None = None
    ) -> dict[str, Any]:
        values = prompts.summary_variables(self.paper, body, references, self.language)
        values["part"] = part.as_variable() if part else None
        return values

    def check_template(self) -> None:
        """Render once with this paper (and once per part), so that errors surface before anything streams."""
        values = self.variables(self.paper.abstract, self.bibliography)
        prompts.render(self.template, values)
        self.parts = read_parts(prompts.exported(self.template, values, "parts"))
        for spec in self.parts or []:
            prompts.render(self.template, self.variables(self.paper.abstract, [], spec))

    # Prompts

    def part_prompt(self, body: str, spec: PartSpec) -> str:
        """The prompt for one part, in the model's format, before the part's heading."""
        return self.engine.format_prompt(prompts.render(self.template, self.variables(body, [], spec)))

    def prompt_and_prefix(self, body: str, references: list[NumberedReference]) -> tuple[str, str]:
        """The free prompt in the model's format, ending with the template's `answer_prefix` + that prefix."""
        rendered, prefix = prompts.render_with_prefix(self.template, self.variables(body, references))
        return self.engine.format_prompt(rendered) + prefix, prefix

    def fitting(self) -> Fitting:
        return Fitting(self)

    def plan(self) -> budget.Plan:
        """How this paper fits the model, checked by an exact count of what will reach it."""
        return self.fitting().plan()

    # The run

    def run(self, flight: Flight[SummaryResult]) -> SummaryResult:
        started = time.perf_counter()
        fitting = self.fitting()
        plan = fitting.plan()
        body, strategy = plan.body, plan.strategy
        if strategy.name == "map-reduce":
            body, strategy = self._map_reduce(fitting, plan, flight)
        strategy = strategy.model_copy(update={"description": describe_strategy(strategy)})
        message = f"reading {strategy.body_tokens:,} tokens of the paper"
        flight.emit(Progress(stage="reading", message=message, tokens=strategy.body_tokens))
        first_token: float | None = None
        try:
            if self.parts is not None:
                composed = self._compose(body, self.parts, flight)
            else:
                composed, first_token = self._free(body, plan.references, flight, started)
        except Stopped as stopped:
            log.info(
                "summary of %s cancelled after %d tokens: every client went away",
                self.paper_info.id or self.paper.title, stopped.tokens,
            )  # fmt: skip
            raise Cancelled("every client went away") from None
        result = self._result(composed, strategy, first_token, started)
        self.store.put_summary(self.key, self.paper.id, result.model_dump_json())
        return result

    def _compose(self, body: str, specs: list[PartSpec], flight: Flight[SummaryResult]) -> Composed:
        passages = [self.paper.title, self.paper.abstract, body]
        prompts_by_part = {spec.number: self.part_prompt(body, spec) for spec in specs}
        cited: list[NumberedReference] = []

        def references(spec: PartSpec) -> tuple[list[str], int]:
            items, entries, available = reference_items(self.paper, spec.max_items)
            cited.extend(entries)
            return items, available

        checked = support_language(self.language, *passages)
        self._support_check = checked.description
        composer = Composer(
            self.engine,
            lambda spec: prompts_by_part[spec.number],
            SupportIndex(
                passages,
                checked.paper,
                answer_language=checked.answer,
                in_passage_language=checked.in_paper_language,
            ),
            answer_tokens=self.options.max_new_tokens,
            references=references,
            emit=flight.emit,
            should_stop=flight.cancelled.is_set,
            temperature=self.options.temperature,
            phrases=key_phrases(self.paper.title, self.paper.abstract, body) if _guided(specs) else (),
            subject=self.paper.title,
        )
        composed = composer.write(specs)
        self._listed = cited
        return composed

    def _free(
        self, body: str, references: list[NumberedReference], flight: Flight[SummaryResult], started: float
    ) -> tuple[Composed, float | None]:
        prompt, prefix = self.prompt_and_prefix(body, references)
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
            raise Stopped(generation.usage.completion_tokens)
        usage = Usage(
            prompt_tokens=generation.usage.prompt_tokens,
            completion_tokens=generation.usage.completion_tokens,
            cached_tokens=generation.usage.cached_tokens,
            requests=1,
        )
        finish = "length" if generation.finish_reason == "length" else "stop"
        return Composed("".join(pieces), [], [], usage, finish), first_token

    def _result(
        self, composed: Composed, strategy: Strategy, first_token: float | None, started: float
    ) -> SummaryResult:
        if self.parts is not None:
            # The references part is the bibliography's own text: only what the model wrote is grounded.
            written, listed = _split_references(composed.markdown, self.parts)
            grounded = ground(written, self.bibliography)
            summary = grounded.summary + listed
            cited = _merge(grounded.cited, self._listed)
        else:
            grounded = ground(composed.markdown, self.bibliography)
            summary, cited = grounded.summary, grounded.cited
            written = summary
        return SummaryResult(
            paper=self.paper_info,
            model=self.engine.name,
            summary=summary,
            html=to_html(summary),
            references=cited,
            unknown_citations=grounded.unknown,
            usage=composed.usage,
            timings=Timings(
                first_token_s=round(first_token, 3) if first_token else None,
                generate_s=round(time.perf_counter() - started, 3),
            ),
            strategy=strategy,
            structure="parts" if self.structured else "free",
            parts=composed.parts,
            dropped_sentences=composed.dropped,
            support_check=self._support_check if self.structured else None,
            finish_reason="length" if composed.finish_reason == "length" else "stop",
            language_note=language_note(self.language, written),
        )

    def _map_reduce(
        self, fitting: Fitting, plan: budget.Plan, flight: Flight[SummaryResult]
    ) -> tuple[str, Strategy]:
        """Notes on each chunk of a paper too long for the context; the summary is then written from them."""
        notes: list[tuple[list[str], str]] = []
        for k, chunk in enumerate(plan.chunks, start=1):
            if flight.cancelled.is_set():
                raise Cancelled("every client went away")
            message = f"reading part {k} of {len(plan.chunks)} of the paper"
            flight.emit(Progress(stage="mapping", message=message, part=k, parts=len(plan.chunks)))
            prompt = fitting.map_prompt(chunk.titles, chunk.text)
            options = GenerationOptions(max_new_tokens=MAP_NEW_TOKENS, temperature=self.options.temperature)
            notes.append((chunk.titles, self.engine.generate(prompt, options).text()))
        joined = fitting.join(notes, plan)
        return joined.body, joined.apply(plan.strategy)


def _guided(specs: list[PartSpec]) -> bool:
    return any(spec.guides for spec in specs)


def _split_references(markdown: str, parts: list[PartSpec]) -> tuple[str, str]:
    """The answer before its references part, and that part (from the blank line before its heading)."""
    listed = [spec for spec in parts if spec.kind == "references"]
    cut = markdown.find("\n" + heading_line(listed[0])) if listed else -1
    return (markdown[:cut], markdown[cut:]) if cut >= 0 else (markdown, "")


def _merge(first: list[NumberedReference], second: list[NumberedReference]) -> list[NumberedReference]:
    seen: dict[int, NumberedReference] = {}
    for ref in [*first, *second]:
        seen.setdefault(ref.n, ref)
    return list(seen.values())
