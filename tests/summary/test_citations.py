"""In-text citations map to the paper's own bibliography; the most cited entries come first, with a reason."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pytest

from arxivgpt.papers.local import load_local
from arxivgpt.papers.models import Paper, Reference, Section
from arxivgpt.summary.citations import CitedReference, rank_references
from tests.conftest import shared_file

NUMBERED = [f"A{n}. Author. Paper number {n}. Journal, {1990 + n}." for n in range(1, 21)]

AUTHOR_YEAR = [
    "John Smith, Ann Lee, and Bo Kim. Deep models. In NeurIPS, 2021.",
    "Lee, K. and Kim, J. Shallow models. ICML, 2019a.",
    "Lee, K. and Park, S. Medium models. ICML, 2019b.",
    "Zeyuan Allen-Zhu and Yuanzhi Li. Physics of language models: Part 3.2. arXiv:2309.14402, 2023.",
    "Javier Rando and Florian Tramèr. Universal jailbreak backdoors. 2023.",
    "Laurens van der Maaten and Geoffrey Hinton. Visualizing data using t-SNE. JMLR, 2008.",
    "Jérôme Dupont. Étude des modèles. Thèse, 2015.",
    "OpenAI. GPT-4o System Card. Technical report, 2024. Accessed: 2024-09-27.",
    "Wei Chen. Model A. 2020.",
    "Wei Chen. Model B. 2020.",
    "Tom Brown et al. Language models are few-shot learners. 2020.",
    "Martin Luther King Jr. and Ann Other. Dreams. 1963.",
]


def _paper(text: str, entries: list[str], keys: list[str] | None = None, title: str = "Body") -> Paper:
    keys = keys or [str(n) for n in range(1, len(entries) + 1)]
    return Paper(
        id=None,
        version=None,
        title="A paper",
        source="pdf",
        sections=[Section(title=title, text=text)],
        references=[Reference(key=k, text=t) for k, t in zip(keys, entries, strict=True)],
    )


def _counts(paper: Paper) -> dict[int, int]:
    return {ref.n: ref.count for ref in rank_references(paper) if ref.count}


# (text, {entry: count}) against NUMBERED (20 entries)
NUMERIC: list[tuple[str, dict[int, int]]] = [
    ("Transformers changed the field [4].", {4: 1}),
    ("Large language models [4, 17, 12] write text.", {4: 1, 17: 1, 12: 1}),
    ("Several works [3–5] and [7-8] agree.", {3: 1, 4: 1, 5: 1, 7: 1, 8: 1}),
    ("Cited as [2,3; 9] in one bracket.", {2: 1, 3: 1, 9: 1}),
    ("Spread over lines [8, 9,\n14] in PDF text.", {8: 1, 9: 1, 14: 1}),
    ("Unknown [99] and [21] are not entries.", {}),
    ("A list [5, 99] with one unknown number is not a citation.", {}),
    ("The interval [0,1] and [0, 1] and [0] are math.", {}),
    ("For x ∈ [1, 2] and y = [3] the bound holds.", {}),
    ("A matrix [2, 3]^T is math too.", {}),
    ("A range [1-25] is too long, [5-3] reversed.", {}),
    ("In 2019 we saw (3) and Eq. (12), [2019] and [1990].", {}),
    ("Sections 2.1 and [1.5] are not citations.", {}),
    (r"A \[3\] escaped bracket is LaTeX.", {}),
    ("Cited twice in a sentence [6] as before [6].", {6: 1}),
    ("One sentence [6]. Another sentence [6].", {6: 2}),
]


@pytest.mark.parametrize(("text", "expected"), NUMERIC)
def test_numeric_citations(text: str, expected: dict[int, int]) -> None:
    assert _counts(_paper(text, NUMBERED)) == expected


def test_numbers_follow_the_entries_own_keys_when_some_are_missing() -> None:
    paper = _paper("As shown [4] and [3].", ["Entry one.", "Entry two.", "Entry four."], keys=["1", "2", "4"])
    assert _counts(paper) == {3: 1}


# (text, {entry: count}) against AUTHOR_YEAR
AUTHOR_YEAR_CASES: list[tuple[str, dict[int, int]]] = [
    ("Deep models help (Smith et al., 2021; Lee and Kim, 2019a).", {1: 1, 2: 1}),
    ("Smith et al. (2021) showed it first.", {1: 1}),
    ("As Allen-Zhu & Li (2023) show, knowledge is stored.", {4: 1}),
    ("Jailbreaks persist (Rando & Tramer, 2023).", {5: 1}),
    ("Jailbreaks persist (rando & Tramèr, 2023) in lower case.", {}),
    ("Embeddings (van der Maaten and Hinton, 2008) and Van der Maaten (2008).", {6: 1}),
    ("Embeddings (Maaten, 2008) by surname alone.", {6: 1}),
    ("French work (Dupont, 2015) and DUPONT (2015).", {7: 1}),
    ("See the card (OpenAI, 2024).", {8: 1}),
    ("Both Lee papers (Lee et al., 2019a, b) count.", {2: 1, 3: 1}),
    ("Lee (2019b) alone.", {3: 1}),
    ("Chen (2020a) and Chen (2020b) by list order.", {9: 1, 10: 1}),
    ("Chen (2020) is ambiguous.", {}),
    ("Kim et al. (2021) is a co-author, not the first author.", {}),
    ("Smith (2022) has no such year.", {}),
    ("(trained in 2021) and (Section 2, 2021) and (see 2021).", {}),
    ("In 2021 Smith et al. trained models.", {}),
    ("Smith et al., 2021 outside brackets is not a citation.", {}),
    ("(e.g., Smith et al., 2021; see also Lee & Park, 2019b)", {1: 1, 3: 1}),
    ("[Smith et al. 2021; Rando and Tramèr 2023] in ACM style.", {1: 1, 5: 1}),
    ("Few-shot learners (Brown et al., 2020) and King (1963).", {11: 1, 12: 1}),
]


@pytest.mark.parametrize(("text", "expected"), AUTHOR_YEAR_CASES)
def test_author_year_citations(text: str, expected: dict[int, int]) -> None:
    assert _counts(_paper(text, AUTHOR_YEAR)) == expected


def test_author_year_labels_as_keys_decide_the_year_suffix() -> None:
    entries = ["OpenAI. System card. 2024.", "OpenAI. Evals. 2024.", "OpenAI. API docs. 2024."]
    keys = ["OpenAI (2024)", "OpenAI (2024a)", "OpenAI (2024b)"]
    text = "We use (OpenAI, 2024b) and (OpenAI, 2024) twice. OpenAI (2024b) again."
    assert _counts(_paper(text, entries, keys=keys)) == {1: 1, 3: 2}


SUPERSCRIPT_TEXT = (
    "Iron pnictide superconductors1, such a decoupling makes less sense. Coupled one-dimensional chains.2 "
    "Decoupled sites retain fluctuations.3 Since 1935 the Bethe lattice4 has played a role. Exact solutions "
    "become possible.5,6 Here the field ω2 + k2 and zt0 ≥ 0 are math, and CO2 is a formula. Treated in "
    "coupled Luttinger chains8,9, but not numerically. Known results7 hold."
)


def test_superscript_citations_in_order_of_first_appearance() -> None:
    paper = _paper(SUPERSCRIPT_TEXT, NUMBERED[:10])
    assert _counts(paper) == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1}
    first = rank_references(paper)[0]
    assert first.sentence == "Iron pnictide superconductors1, such a decoupling makes less sense."


@pytest.mark.parametrize(
    "text",
    [
        "A footnote mark after writing.1 The next [2] is a bracket citation.",  # brackets win
        "Only two marks: models.1 And data.2 Nothing else.",  # too few to trust
        "A mark far ahead of order: results.9 Then more.",
        "Footnotes in a paper without citations: models.1 Then data.2 Then code.3 Then tasks.4 End.",
    ],
)
def test_superscripts_that_are_not_citations(text: str) -> None:
    counts = _counts(_paper(text, NUMBERED))
    assert set(counts) <= {2}


def test_no_bibliography_gives_nothing() -> None:
    assert rank_references(_paper("Cited [1] and (Smith et al., 2021).", [])) == []


def test_no_citations_gives_the_bibliography_in_order_uncited() -> None:
    ranked = rank_references(_paper("No citations here at all.", NUMBERED[:3]))
    assert ranked == [
        CitedReference(n=n, text=NUMBERED[n - 1], count=0, sentence="", section="") for n in (1, 2, 3)
    ]


def test_ranking_by_count_then_first_appearance_then_bibliography_order() -> None:
    text = "First [3]. Then [5] and [2]. Again [5] and [2]. Last [1] here. Once more [2]."
    ranked = rank_references(_paper(text, NUMBERED[:6]))
    assert [(r.n, r.count) for r in ranked] == [(2, 3), (5, 2), (3, 1), (1, 1), (4, 0), (6, 0)]


def test_the_reason_is_a_readable_sentence_verbatim_with_whitespace_normalised() -> None:
    paper = Paper(
        id=None,
        version=None,
        title="A paper",
        source="pdf",
        abstract="We build on attention [1].",
        sections=[
            Section(
                title="Introduction",
                text="See [2].\n\nTransformers [2] changed how\n  sequence models are trained.",
            ),
            Section(title="References", text="[1] should never count [1] here."),
        ],
        references=[Reference(key="1", text=NUMBERED[0]), Reference(key="2", text=NUMBERED[1])],
    )
    ranked = {r.n: r for r in rank_references(paper)}
    assert ranked[2].count == 2
    assert ranked[2].sentence == "Transformers [2] changed how sequence models are trained."
    assert ranked[2].section == "Introduction"
    assert (ranked[1].count, ranked[1].sentence, ranked[1].section) == (
        1,
        "We build on attention [1].",
        "Abstract",
    )


ENTRIES = ["John Smith. Deep models. 2021.", "Ann Lee. Shallow models. 2019."]


def test_brackets_in_an_author_year_paper_are_not_citations() -> None:
    text = "Models (Smith, 2021) and (Lee, 2019). As Smith (2021) says. The score lies in [1, 2]."
    assert _counts(_paper(text, ENTRIES)) == {1: 2, 2: 1}


def test_author_year_citations_in_a_numeric_paper_count_too() -> None:
    text = "Deep models [1] and [2]. Deep ones [Smith et al., 2021, Lee, 2019]. Again [1] (Smith, 2021)."
    assert _counts(_paper(text, ENTRIES)) == {1: 3, 2: 2}


# The real papers


class Ranked(NamedTuple):
    paper: Paper
    ranked: list[CitedReference]

    @property
    def counts(self) -> dict[int, int]:
        return {r.n: r.count for r in self.ranked}


def _load(relative: str) -> Ranked:
    paper = load_local(Path(shared_file(relative)))
    return Ranked(paper, rank_references(paper))


@pytest.fixture(scope="module")
def numeric_paper() -> Ranked:
    return _load("pdf/2304.02623v1.pdf")


@pytest.fixture(scope="module")
def author_year_paper() -> Ranked:
    return _load("html/arxivhtml_2501.11120v1.html")


@pytest.fixture(scope="module")
def superscript_paper() -> Ranked:
    return _load("pdf/1111.2011v2.pdf")


def test_numeric_paper_ranks_its_most_cited_entries_first(numeric_paper: Ranked) -> None:
    ranked = numeric_paper.ranked
    assert len(ranked) == len(numeric_paper.paper.references) == 35
    # Counted by hand: [4] in "[4, 27, 32]", "[4, 32]", "[4, 34]" and "[Brown et al., 2020, Smith et al.,
    # 2022, Rae et al., 2021]" (a quoted passage); [32] in the first and the last two of those; [16] in
    # "[16, 23]", "[12, 16, 26]", "[16]", first cited after [32].
    assert [(r.n, r.count) for r in ranked[:3]] == [(4, 4), (32, 3), (16, 3)]
    assert ranked[0].text.startswith("Tom Brown, Benjamin Mann")
    assert ranked[0].sentence.startswith("The advent of large language models (LLMs) [4, 27, 32] has brought")
    assert ranked[0].section == "Introduction"
    counts = numeric_paper.counts
    assert (counts[27], counts[23], counts[29]) == (2, 2, 1)
    assert all(r.count > 0 for r in ranked)  # the short paper cites its whole bibliography


def test_author_year_paper_matches_its_parenthetical_citations(author_year_paper: Ranked) -> None:
    paper, counts = author_year_paper.paper, author_year_paper.counts
    by_label = {_label(ref.key): n for n, ref in enumerate(paper.references, start=1)}
    items = _parenthetical_items(paper, by_label)  # 65 in this paper, naming 40 entries
    entries = set(items)
    assert len(items) >= 60
    assert sum(counts[n] > 0 for n in entries) / len(entries) >= 0.8
    assert sum(counts[n] for n in entries) >= 0.8 * len(items)


def test_author_year_paper_ranking(author_year_paper: Ranked) -> None:
    ranked = author_year_paper.ranked
    top = ranked[0]
    assert top.text.startswith("Evan Hubinger, Carson Denison") and top.count >= 8
    by_n = {r.n: r for r in ranked}
    berglund_a, berglund_b = by_n[7], by_n[8]
    assert berglund_a.text.startswith("Lukas Berglund, Asa Cooper Stickland")
    assert "(Berglund et al., 2023a)" in berglund_a.sentence
    assert berglund_b.count > berglund_a.count
    assert all(r.count > 0 for r in ranked)
    assert all(" ".join(r.sentence.split()) == r.sentence for r in ranked)


def test_superscript_paper_counts_flattened_superscripts_only(superscript_paper: Ranked) -> None:
    # Read off the PDF text: "fluctuations.3" / "studies.3", "limit.7" / "magnetization.7",
    # "lattice.12–14" / "dimension12." are cited twice; every other entry once; math like "k2" never.
    assert superscript_paper.counts == {n: 2 if n in (3, 7, 12) else 1 for n in range(1, 21)}
    lattice = next(r for r in superscript_paper.ranked if r.n == 4)
    assert lattice.sentence.startswith("Since its introduction in 1935, the Bethe lattice4 has played")


def test_every_citing_sentence_is_verbatim_paper_text(
    numeric_paper: Ranked, author_year_paper: Ranked, superscript_paper: Ranked
) -> None:
    for paper, ranked in (numeric_paper, author_year_paper, superscript_paper):
        flat = " ".join(f"{paper.abstract} {' '.join(s.text for s in paper.sections)}".split())
        assert all(r.sentence in flat for r in ranked)


def _label(key: str) -> str:
    """ "Berglund et al. (2023a)" → "Berglund et al., 2023a", the parenthetical form of the same citation."""
    return re.sub(r"\s*\((\d{4}[a-z]?)\)$", r", \1", key)


def _parenthetical_items(paper: Paper, by_label: dict[str, int]) -> list[int]:
    """The entry of each item of each "(A et al., 2021; B, 2020)" group, found without citations.py."""
    items = [
        item.strip()
        for section in paper.sections
        for group in re.finditer(r"\(([^()]*\d{4}[a-z]?)\)", section.text)
        for item in group.group(1).split(";")
    ]
    return [by_label[item] for item in items if item in by_label]
