"""Part-by-part writing with a scripted model: forced headings, counts, re-asks, faithfulness, limits."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from arxivgpt.engine.fake import FakeEngine
from arxivgpt.summary.composer import Composed, Composer, Stopped
from arxivgpt.summary.faithfulness import SupportIndex
from arxivgpt.summary.models import Progress
from arxivgpt.summary.parts import PartSpec

PAPER = (
    "Residual networks ease the training of deep networks. We train networks with 152 layers on ImageNet. "
    "Deeper residual networks reach a lower error. The method uses shortcut connections. Shortcut "
    "connections add no parameters and no computation. Training very deep plain networks is hard."
)
SUMMARY = PartSpec(1, "Summary", "sentence", "one sentence.", 1, 1, start="In this paper, we")
INSIGHTS = PartSpec(2, "Key insights", "list", "the insights.", 2, 3)
QUESTIONS = PartSpec(3, "Questions", "list", "questions.", 2, 3, ends_with="?")
REFERENCES = PartSpec(4, "References", "references", "", 2, 2)
PREFIX = "USER: the paper ... ASSISTANT:"

Script = dict[tuple[str, int | str], list[str]]
"""(heading, item number) -> the replies to give in turn (the last one repeats); a guided re-ask is keyed
by (heading, its opening) where the script has that key."""


def scripted(script: Script) -> Callable[[str], str]:
    asked: dict[tuple[str, int | str], int] = {}

    def respond(prompt: str) -> str:
        heading = re.findall(r"^## (.+)$", prompt, re.M)[-1]
        numbers = re.findall(r"^(\d+)\.", prompt, re.M)
        opening = re.search(r"^\d+\. (.+)\Z", prompt, re.M)
        key: tuple[str, int | str] = (heading, int(numbers[-1]) if numbers else 1)
        if opening and (heading, opening.group(1)) in script:
            key = (heading, opening.group(1))
        replies = script.get(key, [""])
        turn = asked.get(key, 0)
        asked[key] = turn + 1
        return replies[min(turn, len(replies) - 1)]

    return respond


def compose(
    script: Script,
    specs: list[PartSpec],
    *,
    answer_tokens: int = 500,
    stop_after: int | None = None,
    references: tuple[list[str], int] = (
        ["[1] A. Author. Deep residual learning.", "[2] B. Author. Nets."],
        2,
    ),
    phrases: tuple[str, ...] = (),
    subject: str = "",
) -> tuple[Composed, FakeEngine, list[str | Progress]]:
    engine = FakeEngine(respond=scripted(script))
    emitted: list[str | Progress] = []

    def should_stop() -> bool:
        return stop_after is not None and len(engine.prompts) >= stop_after

    composer = Composer(
        engine,
        lambda spec: f"{PREFIX} write {spec.heading}\n",
        SupportIndex(PAPER),
        answer_tokens=answer_tokens,
        references=lambda spec: references,
        emit=emitted.append,
        should_stop=should_stop,
        phrases=phrases,
        subject=subject,
    )
    return composer.write(specs), engine, emitted


GOOD: Script = {
    ("Summary", 1): [" train deep residual networks with shortcut connections."],
    ("Key insights", 1): [" Shortcut connections ease the training of deep networks."],
    ("Key insights", 2): [" Deeper residual networks reach a lower error on ImageNet."],
    ("Key insights", 3): [""],
    ("Questions", 1): [" Why is training deep plain networks hard?"],
    ("Questions", 2): [" Do shortcut connections add parameters?"],
    ("Questions", 3): [" How deep can residual networks train?"],
}


def test_every_part_has_its_heading_in_order_and_its_counts() -> None:
    composed, _, emitted = compose(GOOD, [SUMMARY, INSIGHTS, QUESTIONS, REFERENCES])
    assert composed.markdown == (
        "## Summary\nIn this paper, we train deep residual networks with shortcut connections.\n\n"
        "## Key insights\n1. Shortcut connections ease the training of deep networks.\n"
        "2. Deeper residual networks reach a lower error on ImageNet.\n\n"
        "## Questions\n1. Why is training deep plain networks hard?\n"
        "2. Do shortcut connections add parameters?\n"
        "3. How deep can residual networks train?\n\n"
        "## References\n- [1] A. Author. Deep residual learning.\n- [2] B. Author. Nets.\n"
    )
    assert [(p.heading, len(p.items), p.rule_met) for p in composed.parts] == [
        ("Summary", 1, True),
        ("Key insights", 2, True),  # the model ended the list itself after min items
        ("Questions", 3, True),
        ("References", 2, True),
    ]
    assert composed.dropped == [] and composed.finish_reason == "stop"
    text = "".join(piece for piece in emitted if isinstance(piece, str))
    assert text == composed.markdown  # only accepted text is streamed
    stages = [p.message for p in emitted if isinstance(p, Progress)]
    assert stages == [
        f"writing part {k} of 4: {s.heading}"
        for k, s in enumerate([SUMMARY, INSIGHTS, QUESTIONS, REFERENCES], 1)
    ]


def test_every_request_starts_with_the_same_prompt_so_a_prefix_cache_serves_it() -> None:
    _, engine, _ = compose(GOOD, [SUMMARY, INSIGHTS])
    assert all(prompt.startswith(PREFIX) for prompt in engine.prompts)
    assert engine.prompts[1].endswith("## Key insights\n1.")
    assert engine.prompts[2].endswith(
        "## Key insights\n1. Shortcut connections ease the training of deep networks.\n2."
    )


@pytest.mark.parametrize(
    ("first", "reason"),
    [
        (" Graph databases cut carbon emissions on social media.", "unsupported"),
        (" Shortcut connections ease the training of deep networks.", "repeats an earlier item"),
        (
            " In short, shortcut connections ease the training of very deep networks.",
            "repeats an earlier item",
        ),
        (" " + "deep " * 100, "cut off"),
        (" Deeper networks.", "too short"),
    ],
)
def test_a_failed_item_is_asked_again_sampled_and_reported(first: str, reason: str) -> None:
    script = {
        **GOOD,
        ("Key insights", 2): [first, " Deeper residual networks reach a lower error on ImageNet."],
    }
    composed, engine, _ = compose(script, [INSIGHTS])
    assert composed.parts[0].items[1] == "Deeper residual networks reach a lower error on ImageNet."
    assert composed.parts[0].re_asked == 1
    assert [d.reason for d in composed.dropped] == [reason]
    assert len(engine.prompts) == 4  # item 1, item 2, its re-ask, the end of the list
    temperatures = [options.temperature for options in engine.options]
    assert temperatures[:2] == [0.0, 0.0] and temperatures[2] > 0  # greedy, then a sampled re-ask
    assert engine.options[2].seed is not None


# (second item, whether it repeats the first); the title names the subject
TITLE = "Very Deep Residual Networks with Shortcut Connections on ImageNet"
FIRST = " Deep residual networks with shortcut connections on ImageNet train."
SUBJECT_REPEATS = [
    # the subject and something new (without the title left out, 6 of 7 words shared would repeat)
    (" Deep residual networks with shortcut connections on ImageNet reach a lower error.", False),
    (" Deep residual networks with shortcut connections on ImageNet ease the training.", True),  # the same
    (" Deep residual networks on ImageNet.", True),  # only the subject: compared on all its words
]


@pytest.mark.parametrize(("second", "repeats"), SUBJECT_REPEATS)
def test_naming_the_papers_subject_is_not_repeating(second: str, repeats: bool) -> None:
    script = {("Key insights", 1): [FIRST], ("Key insights", 2): [second, ""]}
    composed, _, _ = compose(script, [INSIGHTS], subject=TITLE)
    assert (len(composed.parts[0].items) == 1) == repeats
    assert any(d.reason == "repeats an earlier item" for d in composed.dropped) == repeats
    if not repeats:  # the same two items without a subject are a repeat
        composed, _, _ = compose(script, [INSIGHTS])
        assert len(composed.parts[0].items) == 1


GUIDED = PartSpec(
    3, "Questions", "list", "questions.", 2, 3, ends_with="?", guides=("How do the authors use {phrase}",)
)
PHRASES = ("shortcut connections", "residual networks")


def test_a_re_ask_opens_the_item_around_a_key_phrase_and_is_greedy() -> None:
    script = {
        ("Questions", 1): [" What is the purpose of this study?", " to ease training?"],
        ("Questions", 2): [" Why is training deep plain networks hard?"],
    }
    composed, engine, _ = compose(script, [GUIDED], phrases=PHRASES)
    assert composed.parts[0].items[:2] == [
        "How do the authors use shortcut connections to ease training?",  # the opening, then the model's
        "Why is training deep plain networks hard?",
    ]
    assert [(d.text, d.reason) for d in composed.dropped] == [
        ("What is the purpose of this study?", "says nothing about this paper")
    ]
    assert engine.prompts[1].endswith("## Questions\n1. How do the authors use shortcut connections")
    assert engine.options[1].temperature == 0.0


def test_a_re_ask_takes_a_phrase_no_item_covers_first_then_a_covered_one_then_samples() -> None:
    script: Script = {
        ("Questions", 1): [" Why do shortcut connections add no parameters?"],
        ("Questions", 2): [" Quantum blockchains for marketing?"],
        ("Questions", "How do the authors use residual networks"): [" reach a lower error?"],
        ("Questions", 3): [" Graph databases?"],
        ("Questions", "How do the authors use shortcut connections"): [" Carbon emissions?"],
    }
    composed, engine, _ = compose(script, [GUIDED], phrases=PHRASES)
    assert composed.parts[0].items[1] == "How do the authors use residual networks reach a lower error?"
    guided = [prompt for prompt in engine.prompts if re.search(r"^1\. \S.*\Z", prompt, re.M)]
    assert [prompt.rsplit("\n", 1)[1] for prompt in guided] == [
        "1. How do the authors use residual networks",  # item 2: the phrase item 1 does not cover
        "1. How do the authors use shortcut connections",  # item 3: both covered, the one not yet used
    ]
    assert all("add no parameters" not in prompt for prompt in guided)  # earlier items are not shown
    after = engine.prompts[engine.prompts.index(guided[1]) + 1 :]
    assert after and all(prompt.endswith("\n3.") for prompt in after)  # no phrase left: sampled
    assert all(options.temperature > 0 for options in engine.options[-len(after) :])


def test_a_question_must_end_with_a_question_mark() -> None:
    script = {**GOOD, ("Questions", 1): [" Training deep plain networks is hard.", " Why is training hard?"]}
    composed, _, _ = compose(script, [QUESTIONS])
    assert composed.parts[0].items[0] == "Why is training hard?"
    assert composed.dropped[0].reason == 'does not end with "?"'


def test_an_unsupported_sentence_inside_an_item_is_dropped_and_the_rest_kept() -> None:
    script = {
        **GOOD,
        ("Key insights", 1): [" Shortcut connections add no parameters. They also cure cancer forever."],
    }
    composed, _, _ = compose(script, [INSIGHTS])
    assert composed.parts[0].items[0] == "Shortcut connections add no parameters."
    assert [(d.text, d.reason) for d in composed.dropped] == [
        ("They also cure cancer forever.", "unsupported")
    ]
    assert composed.dropped[0].support is not None and composed.dropped[0].support < 0.7


def test_a_model_that_never_answers_well_leaves_the_rule_unmet_and_says_so() -> None:
    script = {("Key insights", 1): [" Quantum blockchains for marketing."]}
    composed, engine, _ = compose(script, [INSIGHTS])
    part = composed.parts[0]
    assert part.items == [] and part.rule_met is False
    assert len(engine.prompts) == INSIGHTS.max_items + 4  # bounded: max items plus a few re-asks
    assert {d.reason for d in composed.dropped} == {"unsupported"}


def test_the_length_limit_stops_writing_and_is_reported() -> None:
    composed, _, _ = compose(GOOD, [SUMMARY, INSIGHTS, QUESTIONS], answer_tokens=12)
    assert composed.finish_reason == "length"
    assert [len(p.items) for p in composed.parts] == [1, 1, 0]


def test_without_a_bibliography_the_references_part_says_so() -> None:
    composed, _, _ = compose(
        GOOD, [REFERENCES], references=(["No bibliography was available for this paper."], 0)
    )
    assert composed.markdown == "## References\nNo bibliography was available for this paper.\n"
    assert composed.parts[0].rule_met  # min(2, 0 entries) = 0


def test_a_client_going_away_stops_between_requests() -> None:
    with pytest.raises(Stopped):
        compose(GOOD, [SUMMARY, INSIGHTS, QUESTIONS], stop_after=2)


def test_a_model_that_keeps_failing_stops_at_the_generation_budget() -> None:
    script = {("Key insights", 1): [" Quantum blockchains for marketing and " + "sales " * 60]}
    composed, engine, _ = compose(script, [INSIGHTS], answer_tokens=20)
    assert composed.finish_reason == "length"
    assert composed.usage.completion_tokens < 3 * 20 + 72  # the budget, plus the request that crossed it
    assert len(engine.prompts) == 1


def test_a_re_asked_summary_sentence_is_sampled_then_guided_in_place_of_its_start() -> None:
    summary = PartSpec(
        1, "Summary", "sentence", "one.", 1, 1, start="In this paper, we",
        guides=("In this paper, we study {phrase}",),
    )  # fmt: skip
    script = {("Summary", 1): [" cure cancer with blockchains.", " with 152 layers on ImageNet."]}
    composed, engine, _ = compose(script, [summary], phrases=PHRASES)
    assert composed.parts[0].items == [
        "In this paper, we study shortcut connections with 152 layers on ImageNet."
    ]
    assert engine.prompts[0].endswith("## Summary\nIn this paper, we")
    assert engine.prompts[1].endswith("## Summary\nIn this paper, we study shortcut connections")
    assert [o.temperature for o in engine.options] == [0.0, 0.0]


def test_without_key_phrases_a_re_asked_summary_is_sampled_not_repeated() -> None:
    script = {("Summary", 1): [" cure cancer with blockchains.", " train residual networks on ImageNet."]}
    composed, engine, _ = compose(script, [SUMMARY])
    assert composed.parts[0].items == ["In this paper, we train residual networks on ImageNet."]
    assert engine.options[0].temperature == 0.0 and engine.options[1].temperature > 0
    assert engine.prompts[1].endswith("## Summary\nIn this paper, we")


def test_a_summary_that_begins_with_a_blank_line_is_asked_again_after_it() -> None:
    free = PartSpec(1, "Summary", "sentence", "one sentence.", 1, 1)  # no `start` to begin with
    engine = FakeEngine(
        respond=lambda prompt: (
            " We train residual networks on ImageNet." if prompt.endswith("\n\n") else "\nWe train."
        )
    )
    composer = Composer(
        engine, lambda spec: f"{PREFIX} write\n", SupportIndex(PAPER), answer_tokens=500,
        references=lambda spec: ([], 0), emit=lambda piece: None, should_stop=lambda: False,
    )  # fmt: skip
    composed = composer.write([free])
    assert composed.parts[0].items == ["We train residual networks on ImageNet."]
    assert engine.prompts[0].endswith("## Summary\n") and engine.prompts[1].endswith("## Summary\n\n")
    assert composed.markdown == "## Summary\nWe train residual networks on ImageNet.\n"


def test_the_summary_request_ends_as_soon_as_a_second_sentence_begins() -> None:
    script = {
        ("Summary", 1): [
            " train residual networks on ImageNet. Deeper residual networks reach a lower error."
        ]
    }
    composed, engine, _ = compose(script, [SUMMARY])
    assert composed.parts[0].items == ["In this paper, we train residual networks on ImageNet."]
    generation = engine.generations[0]
    assert generation.finish_reason == "cancelled"
    assert (
        generation.usage.completion_tokens == 6
    )  # the sentence's five words and the one that began the next
    assert composed.usage.completion_tokens == 6


@pytest.mark.parametrize(
    "reply",
    [
        " train residual networks, e.g. ResNet-152 on ImageNet, with shortcut connections.",
        " train residual networks with 152 layers (Fig. 2) on ImageNet.",
    ],
)
def test_an_abbreviation_does_not_end_the_summary_request(reply: str) -> None:
    composed, engine, _ = compose({("Summary", 1): [reply]}, [SUMMARY])
    assert engine.generations[0].finish_reason == "stop"
    assert composed.parts[0].items == ["In this paper, we" + reply]


def test_a_summary_that_is_not_a_sentence_is_asked_again() -> None:
    script = {("Summary", 1): [" train residual networks", " train residual networks on ImageNet."]}
    composed, _, _ = compose(script, [SUMMARY])
    assert composed.parts[0].items == ["In this paper, we train residual networks on ImageNet."]
    assert [(d.text, d.reason) for d in composed.dropped] == [
        ("In this paper, we train residual networks", "not a sentence")
    ]


def test_items_are_read_in_the_answers_language_not_the_papers() -> None:
    german = SupportIndex(PAPER, "en", answer_language="de", in_passage_language=lambda sentence: False)
    engine = FakeEngine(respond=lambda prompt: " Das ist es, was sie sind.")  # German stop words only
    composer = Composer(
        engine, lambda spec: f"{PREFIX} write\n", german, answer_tokens=500,
        references=lambda spec: ([], 0), emit=lambda piece: None, should_stop=lambda: False,
    )  # fmt: skip
    composed = composer.write([INSIGHTS])
    assert composed.parts[0].items == []
    assert {d.reason for d in composed.dropped} == {"says nothing about this paper"}
