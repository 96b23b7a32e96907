"""Key phrases (YAKE) that open a re-asked item: the paper's own subjects, distinct, in its own casing."""

from __future__ import annotations

import pytest

from arxivgpt.summary.faithfulness import SupportIndex, content_words
from arxivgpt.summary.keyphrases import _surface, key_phrases

TITLE = "Random Network Coding on the Bethe Lattice"
ABSTRACT = (
    "We study random network coding on the Bethe lattice. Random network coding lets relays forward random "
    "linear combinations of packets, and the Bethe lattice makes the decoding probability exact. We show "
    "that the decoding probability of random network coding approaches one as the field size grows, and "
    "that packet erasures on the Bethe lattice lower it by a factor we compute in closed form."
)


def test_phrases_are_multi_word_distinct_and_the_papers_own_words() -> None:
    phrases = key_phrases(TITLE, ABSTRACT)
    assert phrases and len(phrases) <= 12
    assert "random network coding" in phrases and "Bethe lattice" in phrases  # running text's casing
    assert all(" " in phrase for phrase in phrases)
    index = SupportIndex(ABSTRACT)
    assert all(index.support(phrase) == 1.0 for phrase in phrases)
    word_sets = [set(content_words(phrase)) for phrase in phrases]
    for i, words in enumerate(word_sets):  # no two phrases share half their words
        assert all(2 * len(words & earlier) < len(words) for earlier in word_sets[:i])


def test_the_abstract_comes_before_the_body_and_the_limit_holds() -> None:
    body = "Appendix A lists the proofs. " + "Quantum annealing schedules converge slowly. " * 5
    phrases = key_phrases(TITLE, ABSTRACT, body, limit=3)
    assert len(phrases) == 3
    assert not any("annealing" in phrase for phrase in phrases)
    assert any("annealing" in phrase for phrase in key_phrases(TITLE, ABSTRACT, body, limit=30))


@pytest.mark.parametrize(
    ("title", "abstract"),
    [("", ""), ("  ", "\n"), ("Figure 1", "Table 2. Section 3.")],
)
def test_text_with_nothing_to_say_has_no_phrases(title: str, abstract: str) -> None:
    assert key_phrases(title, abstract) == []


def test_single_words_stand_in_only_when_few_phrases_exist() -> None:
    assert key_phrases("Transformers", "Transformers scale. Attention helps.") != []


# (phrase, title, running text, what a re-ask opens with)
SURFACES: list[tuple[str, str, str, str | None]] = [
    (
        "bethe lattice",
        "On the Bethe Lattice",
        "We solve the Bethe lattice. The Bethe lattice is a tree.",
        "Bethe lattice",
    ),
    (
        "Optical properties",
        "",
        "Optical properties are computed. Optical properties matter.",
        "optical properties",
    ),
    ("random coding", "", "Random coding helps. We use random coding here.", "random coding"),
    ("LHC Energies", "Cross sections at LHC Energies", "Nothing about it here.", "LHC energies"),
    ("Hartree Equation", "The Hartree Equation", "the critical Hartree equation holds", "Hartree equation"),
    ("based cooperation", "", "We study coding-based cooperation in networks.", None),  # half a word
    ("provide an exact", "", "We provide an exact solution.", None),  # a stop word inside
    ("phys. Chem", "", "See J. phys. Chem for it.", None),  # an abbreviation
    ("unital C^*-algebras", "", "We study unital C^*-algebras here.", None),  # TeX
    ("requiring in-context", "", "It works without requiring in-context examples.", None),  # a verb
    ("training data", "", "We filter the training data twice.", "training data"),  # "-ing" as a noun
    ("finetune LLMs", "", "We finetune LLMs on code. Then we finetune LLMs again.", None),  # a verb first
    (
        "model merging",
        "",
        "We can model merging as a vote. The model merging step is cheap.",
        "model merging",
    ),  # a verb after "can", a noun after "the"
    ("quantum gravity", "", "Nothing about it here.", None),  # not in the paper
]


@pytest.mark.parametrize(("phrase", "title", "text", "expected"), SURFACES)
def test_a_phrase_is_written_as_the_paper_writes_it_or_left_out(
    phrase: str, title: str, text: str, expected: str | None
) -> None:
    assert _surface(phrase, title, [text]) == expected
