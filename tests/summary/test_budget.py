"""Fitting a paper into a context window: which strategy, which sections, never losing the beginning."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from arxivgpt.papers.html import extract_html
from arxivgpt.papers.models import Paper, Reference, Section
from arxivgpt.summary.budget import (
    APPENDIX,
    CORE,
    METHOD,
    OTHER,
    SECONDARY,
    SKIP,
    Chunk,
    Plan,
    join_notes,
    plan,
    reference_line,
    render_body,
    tier,
)
from arxivgpt.summary.models import NumberedReference
from tests.conftest import shared_file


def words(text: str) -> int:
    return len(text.split())


def sentences(tag: str, count: int) -> str:
    """`count` ten-word sentences: "Tag one 2 3 ... 9." with distinct, recognisable words."""
    return " ".join(
        f"{tag.capitalize()}{k} " + " ".join(f"w{j}" for j in range(2, 10)) + " end." for k in range(count)
    )


def paragraphs(tag: str, *sizes: int) -> str:
    """Paragraphs of `sizes` sentences each (ten words a sentence)."""
    return "\n\n".join(sentences(f"{tag}p{i}s", n) for i, n in enumerate(sizes))


# Word counts, with "## Title" headings (1 + title words) and "\n\n" costing nothing:
#   Abstract 2+20, Introduction 2+40, Method 2+10(caption)+90, Results 2+90, Conclusion 2+20,
#   Acknowledgments 2+10, Appendix A 3+80 -> 375 in all; abstract + introduction + conclusion = 86.
PAPER = Paper(
    id="2401.00001",
    version=1,
    title="A synthetic paper",
    abstract=paragraphs("abs", 2),
    source="html",
    sections=[
        Section(title="Introduction", text=paragraphs("intro", 2, 2)),
        Section(
            title="Method",
            text="Figure 1: the pipeline w3 w4 w5 w6 w7 w8.\n\n" + paragraphs("method", 3, 3, 3),
        ),
        Section(title="Results", text=paragraphs("results", 3, 3, 3)),
        Section(title="Conclusion", text=paragraphs("concl", 2)),
        Section(title="Acknowledgments", text=paragraphs("ack", 1)),
        Section(title="Appendix A", text=paragraphs("app", 4, 4)),
    ],
)
FULL_TOKENS = 375


def make_plan(
    budget: int, *, map_budget: int = 120, references: list[NumberedReference] | None = None
) -> Plan:
    return plan(PAPER, words, budget, map_budget=map_budget, references=references or [])


def numbered(count: int, size: int) -> list[NumberedReference]:
    """`count` entries that each cost `size` words as "[n] text"."""
    return [NumberedReference(n=n, text=" ".join(["ref"] * (size - 1))) for n in range(1, count + 1)]


def test_synthetic_paper_costs_what_the_table_says() -> None:
    body = render_body([Section(title="Abstract", text=PAPER.abstract), *PAPER.sections])
    assert words(body) == FULL_TOKENS
    assert words(reference_line(numbered(1, 10)[0])) == 10


@pytest.mark.parametrize(
    ("budget", "name", "sections", "dropped"),
    [
        (
            400,
            "full",
            ["Abstract", "Introduction", "Method", "Results", "Conclusion", "Acknowledgments", "Appendix A"],
            [],
        ),
        (
            FULL_TOKENS,
            "full",
            ["Abstract", "Introduction", "Method", "Results", "Conclusion", "Acknowledgments", "Appendix A"],
            [],
        ),
        # Everything but the acknowledgments fits: the appendix comes in whole, the conclusion stays last.
        (
            374,
            "sections",
            ["Abstract", "Introduction", "Method", "Results", "Appendix A", "Conclusion"],
            ["Acknowledgments"],
        ),
        # Method and results share what is left equally: two paragraphs each (Method's caption left out).
        (
            230,
            "sections",
            ["Abstract", "Introduction", "Method (opening)", "Results (opening)", "Conclusion"],
            ["Acknowledgments", "Appendix A"],
        ),
        # A higher cap: Results (92) fits whole; Method (102 with its caption) still gets two paragraphs.
        (
            250,
            "sections",
            ["Abstract", "Introduction", "Method (opening)", "Results", "Conclusion"],
            ["Acknowledgments", "Appendix A"],
        ),
        # The first paragraphs do not fit: one sentence each.
        (
            120,
            "sections",
            ["Abstract", "Introduction", "Method (opening)", "Results (opening)", "Conclusion"],
            ["Acknowledgments", "Appendix A"],
        ),
        # Abstract + introduction + conclusion fit (86) but keep only 86/280 = 31% of the high-value text.
        (
            95,
            "map-reduce",
            ["Abstract", "Introduction", "Method", "Results", "Conclusion"],
            ["Acknowledgments", "Appendix A"],
        ),
        # Abstract + introduction + conclusion do not even fit.
        (
            85,
            "map-reduce",
            ["Abstract", "Introduction", "Method", "Results", "Conclusion"],
            ["Acknowledgments", "Appendix A"],
        ),
    ],
)
def test_strategy_and_sections_by_budget(
    budget: int, name: str, sections: list[str], dropped: list[str]
) -> None:
    result = make_plan(budget)
    assert result.strategy.name == name
    assert result.strategy.sections == sections
    assert result.strategy.dropped == dropped
    assert result.strategy.budget_tokens == budget  # no references listed
    if name == "map-reduce":
        assert result.body == ""
        assert result.strategy.body_tokens == 0
        assert result.chunks
    else:
        assert result.chunks == []
        assert result.strategy.body_tokens == words(result.body) <= budget
        headings = [line[3:] for line in result.body.splitlines() if line.startswith("## ")]
        assert headings == sections
        assert result.body.startswith("## Abstract\n\n" + PAPER.abstract)


def test_full_keeps_the_text_verbatim_in_document_order() -> None:
    result = make_plan(FULL_TOKENS)
    assert result.body == render_body([Section(title="Abstract", text=PAPER.abstract), *PAPER.sections])
    assert result.strategy.body_tokens == FULL_TOKENS


def test_openings_end_at_paragraph_boundaries_and_skip_captions() -> None:
    body = make_plan(230).body
    method = body.split("## Method (opening)\n\n")[1].split("\n\n## ")[0]
    assert method == paragraphs("method", 3, 3)
    assert "Figure 1" not in body
    results = body.split("## Results (opening)\n\n")[1].split("\n\n## ")[0]
    assert results == paragraphs("results", 3, 3)
    assert body.endswith("## Conclusion\n\n" + PAPER.sections[3].text)


def test_openings_fall_back_to_sentence_boundaries() -> None:
    body = make_plan(120).body
    method = body.split("## Method (opening)\n\n")[1].split("\n\n## ")[0]
    results = body.split("## Results (opening)\n\n")[1].split("\n\n## ")[0]
    assert method == paragraphs("method", 3).split(". ")[0] + "."
    assert results == paragraphs("results", 3).split(". ")[0] + "."
    assert words(body) == 86 + 2 * 13


def test_the_conclusion_closes_the_body_even_when_an_appendix_is_kept() -> None:
    body = make_plan(374).body
    assert body.index("## Appendix A") < body.index("## Conclusion")
    assert body.rstrip().endswith(PAPER.sections[3].text)


@pytest.mark.parametrize(
    ("map_budget", "chunk_titles"),
    [
        (120, [["Abstract", "Introduction"], ["Method"], ["Results", "Conclusion"]]),
        (
            60,
            [
                ["Abstract"],
                ["Introduction"],
                ["Method (part 1)"],
                ["Method (part 2)"],
                ["Method (part 3)"],
                ["Results (part 1)"],
                ["Results (part 2)"],
                ["Results (part 3)", "Conclusion"],
            ],
        ),
        (1000, [["Abstract", "Introduction", "Method", "Results", "Conclusion"]]),
    ],
)
def test_map_reduce_chunks_fit_and_cover_the_body_in_order(
    map_budget: int, chunk_titles: list[list[str]]
) -> None:
    result = make_plan(85, map_budget=map_budget)
    assert result.strategy.name == "map-reduce"
    assert [c.titles for c in result.chunks] == chunk_titles
    assert all(words(c.text) <= map_budget for c in result.chunks)
    assert result.chunks[0].text.startswith("## Abstract\n\n" + PAPER.abstract)
    # Every paragraph of the main text is in exactly one chunk, in document order; nothing of the back matter.
    joined = "\n\n".join(c.text for c in result.chunks)
    kept = [p for p in joined.split("\n\n") if not p.startswith("## ")]
    main = [PAPER.abstract, *(s.text for s in PAPER.sections[:4])]
    assert kept == [p for text in main for p in text.split("\n\n")]
    assert result.notes  # says how many parts


def test_map_reduce_splits_a_long_paragraph_at_sentences() -> None:
    paper = PAPER.model_copy(update={"sections": [Section(title="Introduction", text=sentences("long", 30))]})
    result = plan(paper, words, 50, map_budget=80, references=[])
    assert result.strategy.name == "map-reduce"
    assert all(words(c.text) <= 80 for c in result.chunks)
    assert [c.titles for c in result.chunks][:2] == [["Abstract"], ["Introduction (part 1)"]]
    text = " ".join(c.text.split("\n\n", 1)[1] for c in result.chunks[1:])
    assert text == sentences("long", 30)


@pytest.mark.parametrize(
    ("budget", "references", "given"),
    [
        (1000, numbered(10, 10), 10),  # paper + all references fit
        (400, numbered(10, 10), 10),  # 100 tokens = 25% of the budget: all
        (200, numbered(10, 10), 5),  # share 50 tokens: 5 entries
        (240, numbered(10, 20), 5),  # share 60 would allow 3; at least 5 (100 tokens <= half the budget)
        (100, numbered(10, 20), 2),  # 5 would take all of it: no more than half the budget
        (400, numbered(3, 40), 3),  # 120 tokens > 25%, but there are fewer than five
    ],
)
def test_the_bibliography_gets_its_share(
    budget: int, references: list[NumberedReference], given: int
) -> None:
    result = make_plan(budget, references=references)
    assert result.strategy.references_given == given
    assert result.references == references[:given]
    listed = sum(words(reference_line(r)) for r in result.references)
    assert result.strategy.budget_tokens == budget - listed
    assert result.strategy.body_tokens <= result.strategy.budget_tokens


def test_room_the_body_does_not_need_lists_more_references() -> None:
    # 25% of 250 = 62 tokens = 31 two-word entries; the sections then use 182 of the 188 left, and the
    # spare 6 tokens list 3 more entries.
    small = numbered(100, 2)
    result = make_plan(250, references=small)
    listed = sum(words(reference_line(r)) for r in result.references)
    assert result.strategy.references_given == 34
    assert result.strategy.body_tokens + listed <= 250


def test_paper_without_sections_uses_the_abstract() -> None:
    paper = Paper(
        id="2401.00002", version=1, title="Abstract only", abstract=sentences("abs", 3), source="abstract"
    )
    result = plan(paper, words, 100, map_budget=100, references=numbered(3, 5))
    assert result.strategy.name == "abstract"
    assert result.body == "## Abstract\n\n" + sentences("abs", 3)
    assert result.strategy.sections == ["Abstract"]
    assert result.strategy.dropped == []
    assert result.strategy.references_given == 3


def test_an_abstract_too_long_is_cut_at_a_sentence_visibly() -> None:
    paper = Paper(
        id="2401.00002", version=1, title="Abstract only", abstract=sentences("abs", 5), source="abstract"
    )
    result = plan(paper, words, 28, map_budget=28, references=[])
    assert result.strategy.name == "abstract"
    assert result.body == "## Abstract (opening)\n\n" + ". ".join(sentences("abs", 5).split(". ")[:2]) + "."
    assert result.strategy.sections == ["Abstract (opening)"]
    assert result.strategy.dropped == ["Abstract (rest)"]
    assert result.notes
    assert "abstract" in result.notes[0].lower()


def test_without_an_introduction_title_the_first_section_is_kept_whole() -> None:
    sections = [Section(title="Motivation", text=paragraphs("mot", 2, 2)), *PAPER.sections[1:]]
    result = plan(PAPER.model_copy(update={"sections": sections}), words, 250, map_budget=120, references=[])
    assert result.strategy.name == "sections"
    assert result.strategy.sections[:2] == ["Abstract", "Motivation"]


@pytest.mark.parametrize(
    ("title", "value"),
    [
        ("Introduction", CORE),
        ("1 Introduction", CORE),
        ("Conclusions and Future Work", CORE),
        ("Discussion", CORE),
        ("Results and Discussion", METHOD),
        ("Experimental Setup", METHOD),
        ("Our Approach", METHOD),
        ("Awareness of behaviors", OTHER),
        ("Related Work", SECONDARY),
        ("Limitations", SECONDARY),
        ("Appendix B: Proofs", APPENDIX),
        ("Supplementary results", APPENDIX),
        ("Acknowledgements", SKIP),
        ("Author contributions", SKIP),
        ("References", SKIP),
        ("Method (part 2)", METHOD),
    ],
)
def test_tiers_by_title(title: str, value: int) -> None:
    assert tier(title) == value


def test_join_notes_keeps_every_note_when_they_fit() -> None:
    notes = [(["Abstract", "Introduction"], "Intro note. It says things."), (["Method"], "Method note.")]
    joined = join_notes(notes, words, 100)
    assert (
        joined.body == "## Abstract; Introduction\n\nIntro note. It says things.\n\n## Method\n\nMethod note."
    )
    assert joined.tokens == words(joined.body)
    assert joined.dropped == joined.trimmed == []


def test_join_notes_drops_low_value_notes_first_then_trims_visibly() -> None:
    notes = [
        (["Abstract", "Introduction"], sentences("intro", 3)),
        (["Method (part 1)"], sentences("method", 3)),
        (["Related work"], sentences("related", 3)),
        (["Appendix A"], sentences("appendix", 3)),
        (["Conclusion"], sentences("concl", 3)),
    ]
    # Each block costs 30 + its heading: 33, 34, 33, 33, 32 = 165.
    dropped_two = join_notes(notes, words, 100)
    assert dropped_two.dropped == ["Appendix A", "Related work"]
    assert dropped_two.trimmed == []
    assert dropped_two.tokens == words(dropped_two.body) == 99

    trimmed = join_notes(notes, words, 80)
    assert trimmed.dropped == ["Appendix A", "Related work"]
    # The same cap for all: 2 sentences of the first two, the conclusion (shorter heading) whole.
    assert trimmed.trimmed == ["Abstract; Introduction", "Method (part 1)"]
    assert trimmed.tokens == words(trimmed.body) <= 80
    assert trimmed.body.startswith("## Abstract; Introduction\n\nIntro0 ")
    assert trimmed.body.index("## Method") < trimmed.body.index("## Conclusion")

    strategy = make_plan(85).strategy
    recorded = trimmed.apply(strategy)
    assert recorded.body_tokens == trimmed.tokens
    assert "notes on Related work" in recorded.dropped
    assert "notes on Method (part 1) (end)" in recorded.dropped


def test_join_notes_keeps_line_breaks_of_what_it_keeps() -> None:
    note = "- First point here.\n- Second point here.\n- Third point here."
    joined = join_notes([(["Method"], note), (["Results"], note)], words, 20)
    assert joined.tokens == 20
    assert joined.body.startswith("## Method\n\n- First point here.\n- Second point here.\n\n## Results")


def superadditive(text: str) -> int:
    """A tokenizer whose count of a whole exceeds the sum of its parts' counts."""
    n = len(text.split())
    return n + n // 20


@pytest.mark.parametrize("budget", [100, 200, 300, 374])
def test_budgets_hold_when_the_tokenizer_is_not_additive(budget: int) -> None:
    result = plan(PAPER, superadditive, budget, map_budget=60, references=numbered(8, 10))
    assert superadditive(result.body) <= result.strategy.budget_tokens
    assert all(superadditive(c.text) <= 60 for c in result.chunks)


def test_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="no room"):
        make_plan(0)


# ------------------------------------------------------------------------------------------ a real paper


@pytest.fixture(scope="module")
def long_paper() -> Paper:
    """arXiv 2501.11120v1: 12 sections, 48 references, a long appendix (~19k words in all)."""
    text = extract_html(shared_file("html/arxivhtml_2501.11120v1.html").read_bytes())
    assert len(text.sections) == 12
    assert len(text.references) == 48
    return Paper(
        id="2501.11120",
        version=1,
        title=text.title,
        abstract=text.abstract,
        sections=text.sections,
        references=text.references,
        source="html",
    )


def long_plan(paper: Paper, budget: int, count: Callable[[str], int] = words) -> Plan:
    return plan(paper, count, budget, map_budget=budget, references=refs(paper.references))


def refs(references: list[Reference]) -> list[NumberedReference]:
    return [NumberedReference(n=i, text=r.text) for i, r in enumerate(references, 1)]


BACK_MATTER = [
    "Acknowledgments",
    "Author contributions",
    "Supplementary results",
    "Full experimental details",
]


def test_long_paper_on_a_2048_token_model_is_mapped_in_order(long_paper: Paper) -> None:
    result = long_plan(long_paper, 1400)
    assert result.strategy.name == "map-reduce"
    assert result.strategy.dropped == BACK_MATTER
    assert result.strategy.sections == ["Abstract"] + [s.title for s in long_paper.sections[:8]]
    assert 5 <= result.strategy.references_given < 48
    assert all(words(c.text) <= 1400 for c in result.chunks)
    assert result.chunks[0].titles[:2] == ["Abstract", "Introduction"]
    assert result.chunks[0].text.startswith("## Abstract\n\n" + long_paper.abstract)
    titles = [t.split(" (part ")[0] for c in result.chunks for t in c.titles]
    assert list(dict.fromkeys(titles)) == result.strategy.sections
    assert result.chunks[-1].titles[-1] == "Conclusion"


def test_long_paper_with_3000_tokens_keeps_introduction_and_conclusion(long_paper: Paper) -> None:
    result = long_plan(long_paper, 3000)
    strategy = result.strategy
    assert strategy.name == "sections"
    assert strategy.sections[:2] == ["Abstract", "Introduction"]
    assert strategy.sections[-2:] == ["Discussion", "Conclusion"]
    assert any(title.endswith("(opening)") for title in strategy.sections)
    assert set(BACK_MATTER) <= set(strategy.dropped)
    assert strategy.body_tokens == words(result.body) <= strategy.budget_tokens
    assert result.body.startswith("## Abstract\n\n" + long_paper.abstract)
    assert long_paper.sections[0].text in result.body  # the introduction whole
    assert result.body.endswith(long_paper.sections[7].text)  # the conclusion last


def test_long_paper_fits_whole_in_a_large_context(long_paper: Paper) -> None:
    result = long_plan(long_paper, 100_000)
    assert result.strategy.name == "full"
    assert result.strategy.references_given == 48
    assert result.strategy.dropped == []
    assert result.strategy.sections == ["Abstract"] + [s.title for s in long_paper.sections]


@pytest.mark.parametrize("budget", [1400, 3000, 6000, 20_000, 100_000])
def test_long_paper_counts_each_text_about_once(long_paper: Paper, budget: int) -> None:
    counted: list[int] = []

    def counting(text: str) -> int:
        counted.append(len(text))
        return words(text)

    result = long_plan(long_paper, budget, counting)
    paper_chars = len(long_paper.abstract) + sum(len(s.text) for s in long_paper.sections)
    paper_chars += sum(len(r.text) for r in long_paper.references)
    # Paragraphs once, sentences of some paragraphs once, then the final body or each chunk once.
    assert sum(counted) < 3 * paper_chars, result.strategy.name


def test_long_paper_with_a_non_additive_tokenizer_stays_within_budget(long_paper: Paper) -> None:
    for budget in (1400, 3000, 6000):
        result = long_plan(long_paper, budget, superadditive)
        assert superadditive(result.body) <= result.strategy.budget_tokens
        assert all(superadditive(chunk.text) <= budget for chunk in result.chunks)


def test_chunk_is_a_plain_value() -> None:
    assert Chunk(titles=["A"], text="x") == Chunk(titles=["A"], text="x")


def test_budgets_too_small_for_anything_are_refused() -> None:
    paper = Paper(
        id="2401.00002", version=1, title="Abstract only", abstract=sentences("abs", 5), source="abstract"
    )
    with pytest.raises(ValueError, match="abstract"):
        plan(paper, words, 2, map_budget=2, references=[])
    with pytest.raises(ValueError, match="map budget"):
        make_plan(50, map_budget=2)
