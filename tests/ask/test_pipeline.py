"""The `Asker` over a scripted model: conversations, bad input, citations the model gets wrong, nothing
half-stored. (tests/ask/test_real_answers.py has the real model on the real papers.)"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from arxivgpt.ask.models import QuestionRequest
from arxivgpt.ask.pipeline import ABSTRACT_ONLY, NO_SHARED_WORDS, Asker, Delta, Done, Meta
from arxivgpt.ask.sentences import NOT_FOUND
from arxivgpt.engine.base import Generation, GenerationOptions
from arxivgpt.engine.fake import FakeEngine
from arxivgpt.errors import ConversationNotFound, InvalidInput, ModelError, QueueFull
from arxivgpt.papers.models import Metadata
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import FakeArxiv
from arxivgpt.settings import Settings
from arxivgpt.store import MemoryStore
from tests.support.latexml import latexml

ABSTRACT = "We study spin lattices with Monte Carlo simulations."
SECTIONS = ("Introduction", "Lattice model", "Results")
BIBLIOGRAPHY = ["L. Onsager. Crystal statistics. Phys. Rev., 1944."]


def metadata(paper_id: str, version: int = 1, title: str = "Spin lattices") -> Metadata:
    return Metadata(id=paper_id, version=version, title=title, authors=["A. Author"], abstract=ABSTRACT)


@pytest.fixture
def arxiv() -> FakeArxiv:
    fake = FakeArxiv()
    fake.add(metadata("2401.00001"), html=latexml("Spin lattices", BIBLIOGRAPHY, SECTIONS, ABSTRACT))
    fake.add(metadata("2401.00001", 2), html=latexml("Spin lattices", BIBLIOGRAPHY, SECTIONS, ABSTRACT))
    fake.add(metadata("2401.00002", title="Other"), html=latexml("Other", [], SECTIONS, ABSTRACT))
    fake.add(metadata("2401.00003", title="No text"))  # arXiv has no HTML and no PDF of it
    return fake


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def asker(arxiv: FakeArxiv, engine: FakeEngine, store: MemoryStore) -> Asker:
    return Asker(PaperResolver(arxiv, store), engine, store, Settings(max_queue=1))


def ask(asker: Asker, question: str = "What is the lattice model?", **fields: object) -> Done:
    request = QuestionRequest(paper=str(fields.pop("paper", "2401.00001v1")), question=question, **fields)
    return Done(asyncio.run(asker.ask(request)))


def given(engine: FakeEngine) -> list[str]:
    """The passage keys the last prompt listed."""
    return [line.split("]")[0][1:] for line in engine.prompts[-1].splitlines() if line.startswith("[p")]


def test_an_answer_cites_passages_with_verbatim_quotes_and_starts_a_stored_conversation(
    asker: Asker, engine: FakeEngine, store: MemoryStore
) -> None:
    engine.enqueue("Lattice model text matters [p3].")
    result = ask(asker).result
    assert result.answer == "Lattice model text matters [p3]." and result.answered
    assert [(c.passage, c.section, c.quote, c.url) for c in result.citations] == [
        ("p3", "Lattice model", "Lattice model text that matters.", "https://arxiv.org/html/2401.00001v1")
    ]
    assert result.turn == result.turns == 1 and result.removed_citations == 0
    assert 'href="https://arxiv.org/html/2401.00001v1"' in result.html
    conversation = asker.conversation(result.conversation_id)
    assert [t.question for t in conversation.turns] == ["What is the lattice model?"]
    assert conversation.turns[0].citations == result.citations and conversation.paper_key == "2401.00001v1"
    assert conversation.turns[0].model == "fake"


def test_citations_of_passages_not_given_and_nonsense_are_removed_and_counted(
    asker: Asker, engine: FakeEngine
) -> None:
    engine.enqueue("Lattice model text matters [p3, p40] [p2-p1] [p0].")
    result = ask(asker).result
    assert "p3" in given(engine) and "p40" not in given(engine)
    assert result.answer == "Lattice model text matters [p3]."
    assert result.removed_citations == 3
    assert [c.passage for c in result.citations] == ["p3"]


def test_a_passage_that_exists_but_was_not_given_is_removed_too(asker: Asker, engine: FakeEngine) -> None:
    engine.enqueue("Lattice model text matters [p3] [p4].")
    result = ask(asker).result
    assert "p4" not in given(engine)  # the results section shares no word with the question
    assert result.answer == "Lattice model text matters [p3]." and result.removed_citations == 1


def test_unsupported_claims_are_dropped_and_nothing_left_is_an_honest_answer(
    asker: Asker, engine: FakeEngine
) -> None:
    engine.enqueue("The lattice model was invented by aliens on Jupiter [p3].")
    result = ask(asker).result
    assert (result.answer, result.answered, result.citations) == (NOT_FOUND, False, [])
    assert result.dropped_sentences[0].reason == "unsupported"


def test_a_question_the_paper_has_no_word_for_is_answered_without_the_model(
    asker: Asker, engine: FakeEngine, store: MemoryStore
) -> None:
    result = ask(asker, "What is the capital of France?").result
    assert (result.answer, result.answered) == (NOT_FOUND, False)
    assert engine.prompts == [] and NO_SHARED_WORDS in result.notes
    assert asker.conversation(result.conversation_id).turns[0].answer == NOT_FOUND  # still a turn


def test_a_question_without_content_words_reads_the_paper_from_its_start(
    asker: Asker, engine: FakeEngine
) -> None:
    engine.enqueue("We study spin lattices [p1].")
    result = ask(asker, "What is this about?").result
    assert given(engine)[0] == "p1" and result.answered


def test_a_follow_up_sees_the_earlier_turn_and_keeps_the_passages_first(
    asker: Asker, engine: FakeEngine
) -> None:
    engine.enqueue("Lattice model text matters [p3].", "Results text matters [p4].")
    first = ask(asker).result
    before = given(engine)
    follow = ask(asker, "And the results?", conversation_id=first.conversation_id).result
    assert follow.turn == 2 and follow.conversation_id == first.conversation_id
    prompt = engine.prompts[-1]
    assert "Q: What is the lattice model?\nA: Lattice model text matters." in prompt
    assert before == ["p1", "p3"] and given(engine)[:2] == before and "p4" in given(engine)  # same beginning
    assert follow.history.turns_given == 1 and follow.answer == "Results text matters [p4]."
    assert [t.number for t in asker.conversation(first.conversation_id).turns] == [1, 2]


def test_old_turns_are_dropped_first_and_the_answer_says_so(asker: Asker, engine: FakeEngine) -> None:
    engine.context_length = 700  # a room of about 400 words: about 100 for the conversation
    conversation = None
    for question, answer in [
        ("What is the lattice model?", "Lattice model text matters. "),
        ("What is the introduction?", "Introduction text matters. "),
        ("What are the results?", "Results text matters. "),
    ]:
        engine.enqueue(answer * 40)
        conversation = ask(asker, question, conversation_id=conversation).result.conversation_id
    engine.enqueue("Text that matters in the lattice model [p3].")
    result = ask(asker, "Once more: the lattice model?", conversation_id=conversation).result
    assert result.history.turns_dropped == 3 and "3 oldest earlier turns left out" in result.history.note
    assert "(3 older questions not shown)" in engine.prompts[-1]
    assert result.history.note in result.notes


def test_a_model_that_repeats_an_earlier_answer_is_asked_again_without_the_conversation(
    asker: Asker, engine: FakeEngine
) -> None:
    engine.enqueue(
        "Lattice model text matters [p3].", "Lattice model text matters [p3].", "Results text matters."
    )
    first = ask(asker).result
    again = ask(asker, "What are the results?", conversation_id=first.conversation_id).result
    assert again.answer == "Results text matters [p4]." and again.usage.requests == 2
    assert "Q: What is the lattice model?" not in engine.prompts[-1]
    assert again.history.turns_dropped == 1 and "repeated an earlier answer" in again.history.note


def test_a_conversation_can_start_from_a_summary(asker: Asker, engine: FakeEngine) -> None:
    engine.enqueue("Lattice model text matters [p3].", "Results text matters [p4].")
    summary = "## Key insights\n- The lattice model is new.\n- The results are strong."
    first = ask(asker, summary=summary).result
    assert "Your summary of the paper, which the reader has seen:\n## Key insights" in engine.prompts[-1]
    assert first.history.summary_given
    ask(asker, "What about the second insight?", conversation_id=first.conversation_id)
    assert "- The results are strong." in engine.prompts[-1]
    assert asker.conversation(first.conversation_id).summary == summary


def test_a_paper_with_only_its_abstract_is_answered_from_it_and_says_so(
    asker: Asker, engine: FakeEngine
) -> None:
    engine.enqueue("They study spin lattices with Monte Carlo simulations.")
    result = ask(asker, "What do they study?", paper="2401.00003").result
    assert result.paper.source == "abstract" and given(engine) == ["p1"]
    assert (
        result.answer == f"_{ABSTRACT_ONLY}_\n\nThey study spin lattices with Monte Carlo simulations [p1]."
    )
    assert ABSTRACT_ONLY in result.notes and result.citations[0].url == "https://arxiv.org/abs/2401.00003v1"


def test_the_stream_is_meta_then_sentences_then_done(asker: Asker, engine: FakeEngine) -> None:
    engine.enqueue("Lattice model text matters [p3]. Results text matters [p4].")

    async def collect() -> list[object]:
        return [
            event async for event in asker.events(QuestionRequest(paper="2401.00001", question="The model?"))
        ]

    events = asyncio.run(collect())
    assert isinstance(events[0], Meta) and isinstance(events[-1], Done)
    assert events[0].conversation_id == events[-1].result.conversation_id and events[0].turn == 1
    assert [e.text for e in events[1:-1] if isinstance(e, Delta)] == ["Lattice model text matters [p3]."]
    assert events[-1].result.dropped_sentences[0].text == "Results text matters [p4]."  # p4 was not given


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"question": "   "}, InvalidInput, "the question is empty"),
        (
            {"question": "why? " * 500},
            InvalidInput,
            "the question is 2,499 characters long; ask in at most 2,000",
        ),
        ({"conversation_id": "nope"}, ConversationNotFound, "there is no conversation 'nope'"),
        ({"summary": "S.", "conversation_id": "x"}, InvalidInput, "a summary starts a new conversation"),
        ({"model": "vicuna-7b"}, InvalidInput, "this server runs fake"),
    ],
)
def test_bad_input_is_refused_before_anything_runs_or_is_stored(
    asker: Asker, engine: FakeEngine, store: MemoryStore, fields: dict[str, str], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        ask(asker, **{"question": "What is the lattice model?", **fields})
    assert engine.prompts == [] and store.conversations == {}


def test_a_conversation_of_another_paper_is_refused(
    asker: Asker, engine: FakeEngine, store: MemoryStore
) -> None:
    engine.enqueue("Lattice model text matters [p3].")
    first = ask(asker).result
    with pytest.raises(InvalidInput, match=f"conversation {first.conversation_id} is about 2401.00001v1"):
        ask(asker, paper="2401.00002", conversation_id=first.conversation_id)
    with pytest.raises(InvalidInput, match=r"not 2401\.00001v2"):
        ask(asker, paper="2401.00001v2", conversation_id=first.conversation_id)
    assert len(store.turns[first.conversation_id]) == 1


def test_an_unversioned_id_goes_on_in_the_conversations_version(asker: Asker, engine: FakeEngine) -> None:
    engine.enqueue("Lattice model text matters [p3].", "Lattice model text matters again [p3].")
    first = ask(asker, paper="2401.00001v1").result
    follow = ask(asker, "And the lattice?", paper="2401.00001", conversation_id=first.conversation_id).result
    assert follow.paper.version == 1 and follow.turn == 2  # v2 is the latest, but the conversation is on v1


class FailingEngine(FakeEngine):
    def generate(self, prompt: str, options: GenerationOptions) -> Generation:
        def pieces() -> Iterator[str]:
            yield "Lattice model "
            raise ModelError("the model fell over")

        self.prompts.append(prompt)
        return Generation(pieces=pieces())


def test_a_failing_model_stores_nothing(arxiv: FakeArxiv, store: MemoryStore) -> None:
    asker = Asker(PaperResolver(arxiv, store), FailingEngine(), store, Settings())
    with pytest.raises(ModelError):
        ask(asker)
    assert store.conversations == {} and store.turns == {}


def test_a_client_leaving_cancels_the_answer_and_stores_nothing(
    asker: Asker, engine: FakeEngine, store: MemoryStore
) -> None:
    engine.piece_delay = 0.01
    engine.enqueue("Lattice model text matters. " * 100)

    async def leave_early() -> None:
        events = asker.events(QuestionRequest(paper="2401.00001", question="What is the lattice model?"))
        assert isinstance(await anext(events), Meta)
        assert isinstance(await anext(events), Delta)
        await events.aclose()
        await asyncio.sleep(0.3)

    asyncio.run(leave_early())
    assert engine.generations[-1].finish_reason == "cancelled"
    assert store.conversations == {}


def test_one_question_at_a_time_per_conversation_and_a_bounded_queue(
    asker: Asker, engine: FakeEngine
) -> None:
    engine.enqueue("Lattice model text matters [p3].")
    first = ask(asker).result
    engine.piece_delay = 0.05
    engine.enqueue(*["Lattice model text matters. " * 20] * 4)

    async def crowd() -> list[BaseException | None]:
        async def one(conversation: str | None) -> BaseException | None:
            request = QuestionRequest(
                paper="2401.00001", question="The lattice model?", conversation_id=conversation
            )
            events = asker.events(request)
            try:
                await anext(events)
            except (QueueFull, InvalidInput) as error:
                return error
            await events.aclose()
            return None

        return await asyncio.gather(
            one(first.conversation_id), one(first.conversation_id), one(None), one(None), one(None)
        )

    outcomes = asyncio.run(crowd())
    refused = [str(o) for o in outcomes if o is not None]
    assert any("is still answering its previous question" in message for message in refused)
    assert any("requests are already waiting for the model" in message for message in refused)  # max_queue 1


def test_conversations_are_listed_by_paper_and_deleted(asker: Asker, engine: FakeEngine) -> None:
    engine.enqueue("Lattice model text matters [p3].", "Lattice model text matters [p3].")
    one = ask(asker).result.conversation_id
    two = ask(asker, paper="2401.00001v2").result.conversation_id
    assert [c.id for c in asker.conversations("2401.00001")] == [two, one]
    assert [c.id for c in asker.conversations("https://arxiv.org/abs/2401.00001v1")] == [one]
    listed = asker.conversations("2401.00001v1")[0]
    assert (listed.turn_count, listed.first_question) == (1, "What is the lattice model?")
    asker.delete(one)
    with pytest.raises(ConversationNotFound):
        asker.conversation(one)
    with pytest.raises(ConversationNotFound):
        asker.delete(one)
