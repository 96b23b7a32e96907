"""Passage citations: removed when not given, counted, written one way, attributed, quoted, linked."""

from __future__ import annotations

import pytest

from arxivgpt.ask import citations
from arxivgpt.ask.passages import Passage

GIVEN = ["p2", "p3", "p5"]


@pytest.mark.parametrize(
    ("sentence", "text", "cited", "removed"),
    [
        ("It works [p3].", "It works [p3].", ["p3"], 0),
        ("It works [P3].", "It works [p3].", ["p3"], 0),
        ("It works (p3).", "It works [p3].", ["p3"], 0),
        ("It works [p 3].", "It works [p3].", ["p3"], 0),
        ("It works [p3, p5].", "It works [p3, p5].", ["p3", "p5"], 0),
        ("It works [p3; 5].", "It works [p3, p5].", ["p3", "p5"], 0),
        ("It works [p2-p3].", "It works [p2, p3].", ["p2", "p3"], 0),
        ("It works [p3][p5].", "It works [p3] [p5].", ["p3", "p5"], 0),
        ("It works [p9].", "It works.", [], 1),  # a passage that was not given
        ("It works [p3, p9].", "It works [p3].", ["p3"], 1),
        ("It works [p0] [p999].", "It works.", [], 2),
        ("It works [p5-p3].", "It works.", [], 1),  # a reversed range is nonsense
        ("It works [p1-p40].", "It works.", [], 1),  # so is a range that names most of the paper
        ("It works [p2-p6].", "It works [p2, p3, p5].", ["p2", "p3", "p5"], 2),
        ("It works [3] (see [p3]).", "It works [3] (see [p3]).", ["p3"], 0),  # [3] is the bibliography's
        ("Proof (p < 0.05) holds.", "Proof (p < 0.05) holds.", [], 0),
    ],
)
def test_citations_of_passages_not_given_are_removed_and_counted(
    sentence: str, text: str, cited: list[str], removed: int
) -> None:
    checked = citations.check(sentence, GIVEN)
    assert (checked.text, checked.cited, checked.removed) == (text, cited, removed)


PASSAGES = [
    Passage(
        key="p2",
        section="Intro",
        text="Lattices are common. Spins order at low temperature.",
        part=0,
        start=0,
    ),
    Passage(
        key="p3",
        section="Method",
        text="We sample the lattice with Monte Carlo. The Bethe lattice was introduced in 1935 by Bethe.",
        part=1,
        start=0,
    ),
]


def test_an_uncited_sentence_is_attributed_to_the_passage_holding_most_of_its_words() -> None:
    text, passage = citations.attribute("The Bethe lattice dates from 1935.", PASSAGES, "en")
    assert (text, passage and passage.key) == ("The Bethe lattice dates from 1935 [p3].", "p3")
    text, passage = citations.attribute("Cheese is tasty!", PASSAGES, "en")
    assert (text, passage) == ("Cheese is tasty!", None)


def test_the_quote_is_the_passage_sentence_sharing_the_rarest_words_verbatim() -> None:
    quote, support = citations.quote("The Bethe lattice is from 1935 [p3].", PASSAGES[1], "en")
    assert quote == "The Bethe lattice was introduced in 1935 by Bethe."
    assert quote in PASSAGES[1].text and support == 1.0
    quote, support = citations.quote("Monte Carlo sampling of cheese.", PASSAGES[1], "en")
    assert quote == "We sample the lattice with Monte Carlo." and 0 < support < 1


def test_links_in_the_html_point_at_each_cited_passage() -> None:
    urls = {"p3": "https://arxiv.org/html/2401.00001v1#S2.p1", "p5": None}
    linked = citations.link("It works [p3, p5].", urls)
    assert linked == "It works \\[[p3](https://arxiv.org/html/2401.00001v1#S2.p1), p5\\]."


def test_without_citations_leaves_the_words() -> None:
    assert citations.without_citations("It works [p3], and so on (p5).") == "It works, and so on."
