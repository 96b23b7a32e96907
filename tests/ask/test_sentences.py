"""The answer checked sentence by sentence: only supported, grounded sentences are shown, as they complete."""

from __future__ import annotations

import re

from arxivgpt.ask.passages import Passage
from arxivgpt.ask.sentences import NOT_FOUND, CheckedAnswer
from arxivgpt.summary.models import NumberedReference

PASSAGES = [
    Passage(
        key="p2",
        section="Method",
        text="We simulate the square lattice with a Monte Carlo sampler on 64 sites [1].",
        part=0,
        start=0,
    ),
    Passage(
        key="p4",
        section="Results",
        text="The critical temperature is 2.27 for the square lattice.",
        part=1,
        start=0,
    ),
]
BIBLIOGRAPHY = [NumberedReference(n=1, text="N. Metropolis et al. Equation of state calculations. 1953.")]


def run(
    *pieces: str, earlier: list[str] | None = None, cut_off: bool = False
) -> tuple[CheckedAnswer, list[str]]:
    checked = CheckedAnswer(PASSAGES, BIBLIOGRAPHY, "en", earlier=earlier or [])
    shown: list[str] = []
    for piece in pieces:
        shown.extend(checked.feed(piece))
    shown.extend(checked.flush(cut_off=cut_off))
    shown.extend(checked.conclude())
    return checked, shown


def test_a_sentence_is_shown_once_the_next_one_begins() -> None:
    checked = CheckedAnswer(PASSAGES, BIBLIOGRAPHY, "en")
    assert checked.feed("The critical temperature is 2.27 [p4].") == []
    assert checked.feed(" The sampler") == ["The critical temperature is 2.27 [p4]."]
    assert checked.feed(" uses 64 sites [p2].") == []
    assert checked.flush() == [" The sampler uses 64 sites [p2]."]
    assert checked.markdown == "The critical temperature is 2.27 [p4]. The sampler uses 64 sites [p2]."


def test_unsupported_sentences_are_left_out_and_reported() -> None:
    checked, shown = run("The critical temperature is 2.27 [p4]. ", "The moon is made of green cheese [p2].")
    assert "".join(shown) == "The critical temperature is 2.27 [p4]."
    assert [(d.text, d.reason, d.support) for d in checked.dropped] == [
        ("The moon is made of green cheese [p2].", "unsupported", 0.0)
    ]
    assert checked.not_found is False


def test_citations_of_passages_not_given_are_removed_and_uncited_sentences_attributed() -> None:
    checked, _ = run("The critical temperature is 2.27 [p7]. The sampler uses 64 sites.")
    assert checked.markdown == "The critical temperature is 2.27 [p4]. The sampler uses 64 sites [p2]."
    assert checked.removed_citations == 1
    assert [(s.cited, s.attributed) for s in checked.kept] == [(["p4"], True), (["p2"], True)]


def test_bibliography_numbers_are_kept_only_when_the_paper_has_them() -> None:
    checked, _ = run("The Monte Carlo sampler [1] runs on 64 sites [4] [p2].")
    assert checked.markdown == "The Monte Carlo sampler [1] runs on 64 sites [p2]."
    assert list(checked.references) == [1] and checked.unknown_references == 1


def test_the_model_saying_the_passages_do_not_say_is_the_answer() -> None:
    checked, shown = run("The passages do not say. But maybe the lattice has 64 sites.")
    assert shown == [NOT_FOUND] and checked.not_found and checked.stopped


def test_nothing_supported_is_an_honest_not_found() -> None:
    checked, shown = run("Paris is the capital of France.")
    assert shown == [NOT_FOUND] and checked.markdown == NOT_FOUND and checked.not_found


def test_a_sentence_repeating_an_earlier_answer_is_left_out() -> None:
    earlier = ["The critical temperature is 2.27 for the square lattice [p4]."]
    checked, shown = run("The critical temperature is 2.27 for the square lattice.", earlier=earlier)
    assert shown == [NOT_FOUND] and checked.only_repeated
    assert [d.reason for d in checked.dropped] == ["repeats an earlier answer"]


def test_paragraphs_and_lines_keep_their_breaks() -> None:
    _, shown = run("The sampler uses 64 sites [p2].\n\nThe critical temperature is 2.27 [p4].")
    assert "".join(shown) == "The sampler uses 64 sites [p2].\n\nThe critical temperature is 2.27 [p4]."


def test_an_answer_cut_at_the_length_limit_says_so() -> None:
    checked, _ = run("The critical temperature is 2.27 for the square", cut_off=True)
    assert checked.markdown == "The critical temperature is 2.27 for the square [p4] …"


def test_list_items_keep_their_markers_and_are_checked_line_by_line() -> None:
    answer = (
        "The sampler:\n1. A Monte Carlo sampler\n2. A green cheese moon\n3. The square lattice has 64 sites"
    )
    checked, _ = run(*re.findall(r"\S+\s*", answer))
    assert checked.markdown == (
        "The sampler [p2]:\n1. A Monte Carlo sampler [p2]\n\n3. The square lattice has 64 sites [p2]"
    )
    assert [d.text for d in checked.dropped] == ["A green cheese moon"]


def test_a_line_is_shown_when_it_ends() -> None:
    checked = CheckedAnswer(PASSAGES, BIBLIOGRAPHY, "en")
    assert checked.feed("- The Monte Carlo sampler") == []
    assert checked.feed("\n") == ["- The Monte Carlo sampler [p2]"]


def test_a_question_in_the_answer_is_not_an_answer() -> None:
    checked, shown = run("In other words, what is the critical temperature [p4]? It is 2.27 [p4].")
    assert "".join(shown) == "It is 2.27 [p4]."
    assert [d.reason for d in checked.dropped] == ["a question, not an answer"]


def test_a_number_the_passages_do_not_have_is_made_up_however_many_words_match() -> None:
    checked, shown = run(
        "The critical temperature is 2.27 for the square lattice of 1935 [p4]. It has 64 sites."
    )
    assert "".join(shown) == "It has 64 sites [p2]."
    assert checked.dropped[0].text == "The critical temperature is 2.27 for the square lattice of 1935 [p4]."
    assert (checked.dropped[0].support or 0) >= 0.7  # enough of its words are there, but not the year
