"""The prompt always fits: budgets from exact counts of what reaches the model, re-fitted until they hold.

`budget.plan` chooses the paper's text from per-piece token counts; the prompt the engine reads is the
template around that text, in the model's chat format, with the answer's beginning after it, all tokenised
at once (with BOS). Joins can tokenise differently from the pieces, so each candidate is counted whole with
`engine.prompt_tokens`, and one that is still over is planned again with a budget smaller by the excess.
Nothing over the context ever reaches the engine; a paper that cannot fit at all is a clear error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from arxivgpt.errors import InvalidInput
from arxivgpt.summary import budget, prompts
from arxivgpt.summary.composer import heading_line, part_reserve
from arxivgpt.summary.models import NumberedReference, Strategy

if TYPE_CHECKING:
    from arxivgpt.summary.writer import SummaryJob

MAP_NEW_TOKENS = 256
MAX_REFITS = 8


class Fitting:
    """Budgets for one job's prompts: the summary's (one per part, or the free one) and the map step's."""

    def __init__(self, job: SummaryJob) -> None:
        self.job = job
        self.engine = job.engine
        self.context = job.engine.context_length
        self.map_template = prompts.default_template("map.md.j2")

    def reserve(self) -> int:
        """Tokens kept free for the answer in the longest prompt."""
        if self.job.parts is not None:
            return max(part_reserve(spec) for spec in self.job.parts)
        return self.job.options.max_new_tokens

    def overshoot(self, body: str, references: list[NumberedReference]) -> int:
        """By how many tokens the longest prompt with `body`, plus its answer, exceeds the context."""
        job = self.job
        if job.parts is None:
            prompt, _ = job.prompt_and_prefix(body, references)
            return self.engine.prompt_tokens(prompt) + job.options.max_new_tokens - self.context
        written = [spec for spec in job.parts if spec.kind != "references"] or job.parts
        return max(
            self.engine.prompt_tokens(job.part_prompt(body, spec) + heading_line(spec) + spec.start)
            + part_reserve(spec)
            - self.context
            for spec in written
        )

    def plan(self) -> budget.Plan:
        job = self.job
        references = [] if job.parts is not None else job.bibliography
        available = -self.overshoot("", [])
        map_budget = self.map_budget()  # the map prompt does not depend on the summary's budget
        for _ in range(MAX_REFITS):
            if available < 1:
                break
            try:
                plan = budget.plan(
                    job.paper, self.engine.count_tokens, available, map_budget=map_budget,
                    references=references,
                )  # fmt: skip
            except ValueError:
                break
            if plan.strategy.name == "map-reduce":
                return plan  # its body is the notes, fitted by `join`
            if not plan.body.strip():
                raise InvalidInput(
                    f"{job.paper.title or 'this paper'}: there is nothing to summarise, neither text nor an "
                    "abstract; try another version of the paper or its PDF"
                )
            over = self.overshoot(plan.body, plan.references)
            if over <= 0:
                return plan
            # Below what this plan used (not just what it was allowed), or the same plan would come back.
            unused = plan.strategy.budget_tokens - plan.strategy.body_tokens
            available -= unused + over
        raise self._no_room()

    def map_budget(self) -> int:
        scaffolding = self.engine.prompt_tokens(self._map_prompt([], ""))
        return max(self.context - MAP_NEW_TOKENS - scaffolding, 1)

    def map_prompt(self, titles: list[str], chunk: str) -> str:
        """A map-step prompt, its chunk shortened (at words) in the rare case joins pushed it over."""
        for _ in range(MAX_REFITS):
            prompt = self._map_prompt(titles, chunk)
            over = self.engine.prompt_tokens(prompt) + MAP_NEW_TOKENS - self.context
            if over <= 0:
                return prompt
            words = chunk.split(" ")
            chunk = " ".join(words[: max(len(words) - 2 * over, 1)])
        raise self._no_room()

    def _map_prompt(self, titles: list[str], chunk: str) -> str:
        values: dict[str, Any] = {"title": self.job.paper.title, "chunk_titles": titles, "chunk": chunk,
                                  "language": self.job.language}  # fmt: skip
        return self.engine.format_prompt(prompts.render(self.map_template, values))

    def join(self, notes: Sequence[tuple[Sequence[str], str]], plan: budget.Plan) -> budget.JoinedNotes:
        """The map notes as the summary's body, within what the exact count allows."""
        room = plan.strategy.budget_tokens
        for _ in range(MAX_REFITS):
            joined = budget.join_notes(notes, self.engine.count_tokens, room)
            over = self.overshoot(joined.body, plan.references)
            if over <= 0:
                return joined
            room = min(room, self.engine.count_tokens(joined.body)) - over
        raise self._no_room()

    def _no_room(self) -> InvalidInput:
        job = self.job
        scaffolding = self.overshoot("", []) + self.context - self.reserve()
        advice = (
            "use a shorter template"
            if job.paper.source == "abstract"
            else "ask with source: abstract (the abstract alone), or use a shorter template"
        )
        if job.parts is None:
            advice = f"lower max_new_tokens, {advice}"
        return InvalidInput(
            f"{self.engine.name} has a context of {self.context:,} tokens: the prompt's instructions "
            f"({scaffolding:,} tokens) and room for the answer ({self.reserve():,}) leave too little for "
            f"this paper's text; {advice}"
        )


def describe_strategy(strategy: Strategy) -> str:
    """What of the paper the model read, in plain words."""
    used = sum(1 for title in strategy.sections if not title.startswith("Abstract"))  # sections of the body
    dropped = len(strategy.dropped)
    if strategy.name == "full":
        return f"the whole paper ({used} sections)"
    if strategy.name == "map-reduce":
        return (
            f"the whole paper in parts: notes on each part, then the summary from the notes ({used} sections)"
        )
    if strategy.name == "sections":
        left_out = ", ".join(strategy.dropped[:4]) + (", …" if dropped > 4 else "")
        shortened = sum(1 for title in strategy.sections if title.endswith("(opening)"))
        cut = f", {shortened} of them shortened" if shortened else ""
        return (
            f"the paper's most informative sections ({used} of {used + dropped}{cut}); too long to read whole"
            + (f"; left out: {left_out}" if dropped else "")
        )
    return "the abstract only" if strategy.sections else "the title only (the paper has no abstract or text)"
