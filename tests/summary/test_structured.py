"""The default template end to end with a scripted model: five parts in order, progress, data, caching."""

from __future__ import annotations

import asyncio
import re

import pytest

from arxivgpt.engine.fake import FakeEngine
from arxivgpt.errors import InvalidInput, TemplateError
from arxivgpt.papers.models import Metadata
from arxivgpt.papers.source import FakeArxiv
from arxivgpt.summary.models import Progress, SummaryRequest, SummaryResult
from arxivgpt.summary.pipeline import Delta, Done, Meta, Summarizer
from tests.summary.conftest import BIBLIOGRAPHY
from tests.support.latexml import latexml

# Each reply is made of the test paper's own words ("<Section> text that matters.", "The abstract.").
ANSWERS = {
    "Summary": " show that the introduction text matters.",
    "Key insights": [
        "The introduction text matters.",
        "The method text matters.",
        "The conclusion text matters.",
    ],
    "Questions": [
        "Why does the method text matter?",
        "Does the conclusion text matter?",
        "Why does the abstract matter?",
    ],
    "Future directions": ["More method text.", "More conclusion text matters.", "The abstract matters more."],
}
HEADINGS = ["Summary", "Key insights", "Questions", "Future directions", "References"]


def respond(prompt: str) -> str:
    heading = re.findall(r"## (.+)$", prompt, re.M)[-1]  # the forced heading follows "ASSISTANT:"
    answer = ANSWERS[heading]
    if isinstance(answer, str):
        return answer
    given = len(re.findall(r"^\d+\. \S", prompt.split(f"## {heading}\n")[-1], re.M))
    return f" {answer[given]}" if given < len(answer) else ""


@pytest.fixture
def scripted(engine: FakeEngine) -> FakeEngine:
    engine.respond = respond
    return engine


def run(summarizer: Summarizer, **request: object) -> list[object]:
    async def collect() -> list[object]:
        return [event async for event in summarizer.events(SummaryRequest(paper="2401.00001", **request))]

    return asyncio.run(collect())


def done(events: list[object]) -> SummaryResult:
    last = events[-1]
    assert isinstance(last, Done)
    return last.result


def test_the_default_template_writes_five_parts_in_order_with_their_counts(
    summarizer: Summarizer, scripted: FakeEngine
) -> None:
    result = done(run(summarizer))
    assert result.structure == "parts"
    assert re.findall(r"^## (.+)$", result.summary, re.M) == HEADINGS
    assert [(p.heading, len(p.items), p.rule_met) for p in result.parts] == [
        ("Summary", 1, True),
        ("Key insights", 3, True),
        ("Questions", 3, True),
        ("Future directions", 3, True),
        ("References", 3, True),  # at least min(5, 3 entries)
    ]
    assert result.parts[0].items == ["In this paper, we show that the introduction text matters."]
    assert all(item.endswith("?") for item in result.parts[2].items)
    assert result.dropped_sentences == [] and result.finish_reason == "stop"
    assert result.support_check == "content words, in English"
    assert {ref.text for ref in result.references} == set(BIBLIOGRAPHY)  # verbatim entries, nothing else
    assert result.strategy.description == "the whole paper (3 sections)"
    assert result.usage.requests == 1 + 3 * 4  # each list ends when the model writes nothing more


FINDINGS = "GPT-4 reaches 93.5 percent on ImageNet with 1200 questions, and the LHC data agree with it."
GERMAN = {
    "Summary": "Wir zeigen, dass GPT-4 auf ImageNet 93,5 Prozent erreicht.",
    "Key insights": [
        "GPT-4 erreicht 93,5 Prozent.",
        "GPT-5 erreicht 99 Prozent.",  # a model and a number the paper never names
        "Die Daten des LHC stimmen überein.",
        "Es gibt 1200 Fragen.",
    ],
    "Questions": ["Warum misst man auf ImageNet?", "Warum 1200 Fragen?", "Wie misst man 93,5 Prozent?"],
    "Future directions": ["Mehr Daten vom LHC.", "Andere Fragen als die 1200.", "GPT-4 auf neuen Daten."],
}


def test_an_answer_in_another_language_is_checked_by_its_names_and_numbers(
    summarizer: Summarizer, engine: FakeEngine, arxiv: FakeArxiv
) -> None:
    meta = Metadata(id="2401.00003", version=1, title="Findings", authors=["A. Author"], abstract=FINDINGS)
    arxiv.add(meta, html=latexml(title="Findings", abstract=FINDINGS, bibliography=BIBLIOGRAPHY))

    asked: dict[str, int] = {}

    def german(prompt: str) -> str:  # each part's replies in turn, whatever was accepted
        heading = re.findall(r"## (.+)$", prompt, re.M)[-1]
        replies = GERMAN[heading]
        turn = asked[heading] = asked.get(heading, -1) + 1
        if isinstance(replies, str):
            return " " + replies
        return f" {replies[turn]}" if turn < len(replies) else ""

    engine.respond = german
    result = asyncio.run(summarizer.summarize(SummaryRequest(paper="2401.00003", language="Deutsch")))
    assert result.support_check is not None
    assert result.support_check.startswith("names and numbers only where a sentence is in German")
    assert result.parts[0].items == ["Wir zeigen, dass GPT-4 auf ImageNet 93,5 Prozent erreicht."]
    assert "GPT-5 erreicht 99 Prozent." not in result.parts[1].items
    assert [(d.text, d.reason) for d in result.dropped_sentences] == [
        ("GPT-5 erreicht 99 Prozent.", "unsupported")
    ]
    assert all(p.rule_met for p in result.parts)


def test_progress_says_what_is_happening_and_the_stream_is_the_summary(
    summarizer: Summarizer, scripted: FakeEngine
) -> None:
    events = run(summarizer)
    assert isinstance(events[0], Meta)
    progress = [e.message for e in events if isinstance(e, Progress)]
    assert progress[0].startswith("reading ") and progress[0].endswith(" tokens of the paper")
    assert progress[1:] == [f"writing part {k} of 5: {h}" for k, h in enumerate(HEADINGS, start=1)]
    streamed = "".join(e.text for e in events if isinstance(e, Delta))
    assert streamed == done(events).summary  # only accepted text streams: nothing is taken back


def test_a_structured_summary_is_cached_whole(summarizer: Summarizer, scripted: FakeEngine) -> None:
    first = done(run(summarizer))
    again = done(run(summarizer))
    assert again.cached and again.parts == first.parts and again.summary == first.summary
    assert len(scripted.prompts) == first.usage.requests


def test_without_a_bibliography_the_references_part_says_so(
    arxiv: object, summarizer: Summarizer, scripted: FakeEngine
) -> None:
    async def collect() -> SummaryResult:
        return await summarizer.summarize(SummaryRequest(paper="2401.00002"))

    result = asyncio.run(collect())
    assert result.summary.endswith("## References\nNo bibliography was available for this paper.\n")
    assert result.references == [] and result.parts[-1].rule_met


def test_a_template_with_broken_parts_fails_before_anything_streams(summarizer: Summarizer) -> None:
    template = '{% set parts = [{"heading": "Summary", "kind": "poem", "instruction": "x"}] %}{{ title }}'
    with pytest.raises(TemplateError, match="kind is 'poem'"):
        run(summarizer, template=template)


def test_a_custom_single_prompt_template_is_free(summarizer: Summarizer, engine: FakeEngine) -> None:
    engine.enqueue("A free answer.")
    result = done(run(summarizer, template="Summarise {{ title }}:\n{{ body }}"))
    assert (result.structure, result.parts, result.summary) == ("free", [], "A free answer.")


def test_a_paper_with_neither_text_nor_abstract_is_a_clear_error_and_nothing_is_cached(
    arxiv: FakeArxiv, summarizer: Summarizer, scripted: FakeEngine
) -> None:
    empty = Metadata(id="2401.00003", version=1, title="Empty", authors=[], abstract="")
    arxiv.add(empty)
    with pytest.raises(InvalidInput, match="nothing to summarise, neither text nor an abstract"):
        asyncio.run(summarizer.summarize(SummaryRequest(paper="2401.00003", source="abstract")))
    assert scripted.prompts == [] and not summarizer.store.summaries  # type: ignore[attr-defined]


def test_over_an_openai_compatible_server_the_parts_are_requests_sharing_one_prefix(
    arxiv: FakeArxiv,
) -> None:
    from arxivgpt.engine.openai_compat import OpenAICompatibleEngine
    from arxivgpt.engine.prompt_formats import FIXED_FORMATS
    from arxivgpt.papers.resolver import PaperResolver
    from arxivgpt.settings import Settings
    from arxivgpt.store import MemoryStore
    from tests.support.openai_server import OpenAIServer

    server = OpenAIServer().start()
    server.reply = respond
    try:
        engine = OpenAICompatibleEngine(server.url, "test-model", prompt_format=FIXED_FORMATS["vicuna_v1.1"])
        store = MemoryStore()
        summarizer = Summarizer(PaperResolver(arxiv, store), engine, store, Settings())
        result = asyncio.run(summarizer.summarize(SummaryRequest(paper="2401.00001")))
    finally:
        server.stop()
    assert [p.rule_met for p in result.parts] == [True] * 5
    sent = [r.body["prompt"] for r in server.requests if r.path == "/v1/completions"]
    assert len(sent) == result.usage.requests
    shared = sent[0].split("Text (html):")[0]
    assert shared.startswith("A chat between a curious user") and all(p.startswith(shared) for p in sent)
    assert all("Introduction text that matters." in p for p in sent)  # the paper leads every request
