"""The summary pipeline with a scripted model: events, grounding, caching, single flight, cancellation."""

from __future__ import annotations

import asyncio

import pytest

from arxivgpt.engine.fake import FakeEngine
from arxivgpt.errors import InvalidInput, PaperNotFound, QueueFull
from arxivgpt.papers.source import FakeArxiv
from arxivgpt.summary.models import Progress, SummaryRequest
from arxivgpt.summary.pipeline import Delta, Done, Meta, Summarizer
from tests.summary.conftest import BIBLIOGRAPHY
from tests.support.templates import FREE_TEMPLATE

PREFIX = "## Summary\n"  # the default template's answer_prefix: the model continues after it
REPLY = (
    "We do things [1].\n\n## Key insights\n- Insight [2], [99].\n\n"
    "## Questions\n- Why?\n\n## Future directions\n- More.\n\n## Related references\n"
    "- [1] because it started it\n- [3] scale\n- [42] invented\n"
)


async def collect(summarizer: Summarizer, request: SummaryRequest) -> list[object]:
    return [event async for event in summarizer.events(request)]


def test_events_in_order_and_references_grounded(summarizer: Summarizer, engine: FakeEngine) -> None:
    engine.enqueue(REPLY)
    events = asyncio.run(collect(summarizer, SummaryRequest(template=FREE_TEMPLATE, paper="2401.00001")))
    assert isinstance(events[0], Meta) and not events[0].cached
    assert isinstance(events[1], Progress) and events[1].stage == "reading"
    assert all(isinstance(event, Delta) for event in events[2:-1])
    done = events[-1]
    assert isinstance(done, Done)
    result = done.result
    assert "".join(event.text for event in events[1:-1] if isinstance(event, Delta)) == PREFIX + REPLY
    assert done.result.summary.startswith("## Summary\nWe do things [1].")
    assert [ref.text for ref in result.references] == [BIBLIOGRAPHY[0], BIBLIOGRAPHY[1], BIBLIOGRAPHY[2]]
    assert all(ref.text in BIBLIOGRAPHY for ref in result.references)
    assert result.unknown_citations == 2
    assert "[99]" not in result.summary and "[42]" not in result.summary
    assert result.strategy.name == "full"
    assert result.usage.completion_tokens > 0


def test_the_prompt_holds_the_paper_and_its_numbered_bibliography(
    summarizer: Summarizer, engine: FakeEngine
) -> None:
    asyncio.run(
        summarizer.summarize(SummaryRequest(template=FREE_TEMPLATE, paper="2401.00001", language="Deutsch"))
    )
    prompt = engine.prompts[-1]
    assert "Introduction text that matters." in prompt
    assert f"[2] {BIBLIOGRAPHY[1]}" in prompt
    assert "Deutsch" in prompt


def test_a_cached_summary_comes_back_at_once_and_refresh_regenerates(
    summarizer: Summarizer, engine: FakeEngine
) -> None:
    first = asyncio.run(summarizer.summarize(SummaryRequest(template=FREE_TEMPLATE, paper="2401.00001")))
    again = asyncio.run(summarizer.summarize(SummaryRequest(template=FREE_TEMPLATE, paper="2401.00001")))
    assert (first.cached, again.cached) == (False, True)
    assert again.summary == first.summary
    assert len(engine.prompts) == 1
    asyncio.run(
        summarizer.summarize(SummaryRequest(template=FREE_TEMPLATE, paper="2401.00001", refresh=True))
    )
    assert len(engine.prompts) == 2
    asyncio.run(
        summarizer.summarize(SummaryRequest(template=FREE_TEMPLATE, paper="2401.00001", language="中文"))
    )
    assert len(engine.prompts) == 3  # another language is another summary


def test_same_request_at_the_same_time_shares_one_generation(
    summarizer: Summarizer, engine: FakeEngine
) -> None:
    engine.piece_delay = 0.01
    request = SummaryRequest(template=FREE_TEMPLATE, paper="2401.00001")

    async def both() -> list[object]:
        return list(await asyncio.gather(summarizer.summarize(request), summarizer.summarize(request)))

    first, second = asyncio.run(both())
    assert len(engine.prompts) == 1
    assert first.summary == second.summary  # type: ignore[attr-defined]


def test_a_departed_client_cancels_the_generation(summarizer: Summarizer, engine: FakeEngine) -> None:
    engine.piece_delay = 0.02
    engine.enqueue(" ".join(["word"] * 200))

    async def leave_early() -> None:
        stream = summarizer.events(SummaryRequest(template=FREE_TEMPLATE, paper="2401.00001"))
        assert isinstance(await anext(stream), Meta)
        assert isinstance(await anext(stream), Progress)
        assert isinstance(await anext(stream), Delta)
        await stream.aclose()
        for _ in range(100):
            if engine.generations and engine.generations[-1].finish_reason == "cancelled":
                return
            await asyncio.sleep(0.02)

    asyncio.run(leave_early())
    assert engine.generations[-1].finish_reason == "cancelled"
    assert summarizer.store.get_summary  # nothing stored for a cancelled summary:
    assert not summarizer.store.summaries  # type: ignore[attr-defined]


def test_a_full_queue_is_refused(summarizer: Summarizer, engine: FakeEngine) -> None:
    engine.piece_delay = 0.05
    engine.enqueue(" ".join(["word"] * 40), " ".join(["word"] * 40))

    async def crowd() -> None:
        first = summarizer.events(SummaryRequest(template=FREE_TEMPLATE, paper="2401.00001"))
        second = summarizer.events(SummaryRequest(template=FREE_TEMPLATE, paper="2401.00002"))
        await anext(first)
        await anext(second)
        with pytest.raises(QueueFull, match="waiting for the model"):
            await anext(
                summarizer.events(
                    SummaryRequest(template=FREE_TEMPLATE, paper="2401.00001", language="Deutsch")
                )
            )
        await first.aclose()
        await second.aclose()

    asyncio.run(crowd())


def test_no_bibliography_means_no_references(summarizer: Summarizer, engine: FakeEngine) -> None:
    engine.enqueue(REPLY)
    result = asyncio.run(summarizer.summarize(SummaryRequest(template=FREE_TEMPLATE, paper="2401.00002")))
    assert result.references == []
    assert "no bibliography" in result.summary.lower()


@pytest.mark.parametrize(
    ("request_", "error", "message"),
    [
        (SummaryRequest(paper="2401.99999"), PaperNotFound, "arXiv has no paper"),
        (SummaryRequest(paper="nonsense"), InvalidInput, "is not an arXiv ID"),
        (SummaryRequest(paper="2401.00001", template="{{ titel }}"), InvalidInput, "titel"),
        (SummaryRequest(paper="2401.00001", template="{% if %}"), InvalidInput, "line 1"),
        (SummaryRequest(paper="2401.00001", model="vicuna-13b"), InvalidInput, "this server runs fake"),
    ],
)
def test_errors_come_before_the_first_event(
    summarizer: Summarizer, engine: FakeEngine, request_: SummaryRequest, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        asyncio.run(collect(summarizer, request_))
    assert engine.prompts == []


def test_done_names_the_authors_how_the_text_was_had_and_an_ignored_language(
    summarizer: Summarizer, engine: FakeEngine, arxiv: FakeArxiv
) -> None:
    """What the extension puts in a download's header and under a summary comes with `done`."""
    engine.enqueue("We study random network coding on the Bethe lattice and show that decoding works well.")
    request = SummaryRequest(template=FREE_TEMPLATE, paper="2401.00002", language="Deutsch")
    result = asyncio.run(summarizer.summarize(request))
    assert result.paper.authors == ["A. Author"]
    assert result.language_note == "asked for Deutsch, but the model wrote English"
    arxiv.documents.clear()  # no full text anywhere: the abstract, and the notes say why
    engine.enqueue(
        "Wir untersuchen zufällige Netzwerkcodierung auf dem Bethe-Gitter und zeigen, dass es geht."
    )
    fallback = asyncio.run(summarizer.summarize(request.model_copy(update={"paper": "2401.00001"})))
    assert fallback.paper.source == "abstract"
    assert "no full text could be had, so this is the abstract only" in fallback.paper.notes
    assert fallback.language_note is None
