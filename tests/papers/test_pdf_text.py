"""Table-driven tests of the pure text helpers behind PDF extraction."""

from __future__ import annotations

import pytest

from arxivgpt.papers.pdf_text import (
    TextStats,
    clean_line,
    fix_accents,
    fix_ligatures,
    join_lines,
    keep_hyphen,
    lines_to_paragraphs,
    remove_arxiv_stamp,
    split_footnotes,
    strip_page_furniture,
)


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("ﬁeld", "field"),
        ("eﬀective", "effective"),
        ("ﬂuctuations", "fluctuations"),
        ("coeﬃcient", "coefficient"),
        ("baﬄe", "baffle"),
        ("\ufb05 \ufb06", "st st"),
        ("soft\u00adhyphen", "softhyphen"),
        ("no\u00a0break", "no break"),
        ("Σ ∫ φ → ∞ “quoted” — ½ ²", "Σ ∫ φ → ∞ “quoted” — ½ ²"),  # NFKC would mangle these
    ],
)
def test_fix_ligatures(raw: str, fixed: str) -> None:
    assert fix_ligatures(raw) == fixed


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        ("Teˇsanovi´c", "Tešanović"),
        ("D. J´erome", "D. Jérome"),
        ("H´el`ene", "Hélène"),
        ("Franc¸ois", "François"),
        ("Erd˝os", "Erdős"),
        ("Nu˜nez", "Nuñez"),
        ("na¨ıve", "naïve"),
        ("´Ecole", "École"),
        ("Jose´ and", "José and"),
        ("( ˆG−1 0 + iλ )", "( ˆG−1 0 + iλ )"),  # maths: a hat over a variable
        ("˜Σ(p) and ¯k2", "˜Σ(p) and ¯k2"),  # no precomposed letter, and macrons are left alone
        ("`quoted' text", "`quoted' text"),
        ("plain text", "plain text"),
    ],
)
def test_fix_accents(raw: str, fixed: str) -> None:
    assert fix_accents(raw) == fixed


def test_clean_line_collapses_whitespace_and_keeps_a_soft_hyphen_at_the_end_as_a_hyphen() -> None:
    assert clean_line("  the  ﬁrst   Teˇsanovi´c  ") == "the first Tešanović"
    assert clean_line("interac\u00ad") == "interac-"


@pytest.mark.parametrize(
    ("line", "arxiv_id", "rest"),
    [
        ("arXiv:1111.2011v2  [cond-mat.str-el]  2 Apr 2012", "1111.2011v2", ""),
        ("arXiv:2304.02623v1  [cs.CL]  5 Apr 2023", "2304.02623v1", ""),
        ("arXiv:2501.11120v12 [cs.LG] 19 Jan 2025", "2501.11120v12", ""),
        ("arXiv:hep-th/9901001v2  [hep-th]  5 Jan 1999", "hep-th/9901001v2", ""),
        ("arXiv:math/0309136v1 [math.GT] 9 Sep 2003", "math/0309136v1", ""),
        (
            "one- arXiv:1111.2011v2 [cond-mat.str-el] 2 Apr 2012 dimensional",
            "1111.2011v2",
            "one- dimensional",
        ),
        ("2102 rpA 2  ]le-rts.tam-dnoc[  2v1102.1111:viXra", "1111.2011v2", ""),  # rotated, read backwards
        (
            "CoRR (2023). arXiv:2301.13848 [cs.CL] http://arxiv.org/",
            None,
            "CoRR (2023). arXiv:2301.13848 [cs.CL] http://arxiv.org/",
        ),
        ("arXiv preprint arXiv:2104.08809 (2021).", None, "arXiv preprint arXiv:2104.08809 (2021)."),
    ],
)
def test_remove_arxiv_stamp(line: str, arxiv_id: str | None, rest: str) -> None:
    assert remove_arxiv_stamp(line) == (arxiv_id, rest)


TITLE = "Beyond Summarization: Designing AI Support for Real-World Expository Writing Tasks"


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        pytest.param(  # page numbers at the top of every page but the first
            [["Title", "body a"], ["2", "body b"], ["3", "body c"]],
            [["Title", "body a"], ["body b"], ["body c"]],
            id="page-numbers",
        ),
        pytest.param(  # a running header on pages 2 and 4, the title as header on page 3
            [["Beyond Summarization:", "x"], ["Shen, et al.", "y"], [TITLE, "z"], ["Shen, et al.", "w"]],
            [["Beyond Summarization:", "x"], ["y"], ["z"], ["w"]],
            id="running-headers",
        ),
        pytest.param(  # a footer with page numbers in it, on every page including the first
            [
                ["T", "a", "Conf’17, page 1 of 3"],
                ["b", "Conf’17, page 2 of 3"],
                ["c", "Conf’17, page 3 of 3"],
            ],
            [["T", "a"], ["b"], ["c"]],
            id="footer",
        ),
        pytest.param(  # equation numbers repeat at page bottoms but are not furniture; body text neither
            [["T", "x = y", "(25)"], ["a", "b = c", "(12)"], ["d", "more text"]],
            [["T", "x = y", "(25)"], ["a", "b = c", "(12)"], ["d", "more text"]],
            id="equation-numbers-stay",
        ),
        pytest.param(  # page 1 keeps its top lines even when a later header repeats them
            [["Attention Is All You Need", "a"], ["Attention Is All You Need", "b"], ["c"]],
            [["Attention Is All You Need", "a"], ["b"], ["c"]],
            id="title-kept-on-page-1",
        ),
    ],
)
def test_strip_page_furniture(pages: list[list[str]], expected: list[list[str]]) -> None:
    assert strip_page_furniture(pages, title=TITLE if len(pages) == 4 else "") == expected


STATS = TextStats.from_lines(
    [
        "the interactions between planes and a self-consistent theory of decoupled sites",
        "coupled one-dimensional chains in the iron pnictide superconductors",
        "the momentum-dependent part and nontrivial critical behavior of LLMs and DMFT",
        "a human-ai interaction",
    ]
)


@pytest.mark.parametrize(
    ("left", "right", "keep"),
    [
        ("interac", "tions", False),  # "interactions" is used elsewhere
        ("decou", "pling", False),  # nothing says otherwise: a word break
        ("free", "dom", False),
        ("non", "trivial", False),  # the document writes "nontrivial"
        ("one", "dimensional", True),  # the document writes "one-dimensional"
        ("human", "ai", True),
        ("CIFAR", "100", True),  # a digit after the hyphen
        ("Perron", "Frobenius", True),  # a capital after the hyphen
        ("BERT", "based", True),  # an acronym before it
        ("self", "replication", True),  # a compound prefix
        ("cross", "ing", False),  # ... but not before a mere suffix
        ("state-of", "the", True),  # a compound that goes on
        ("state", "of-the-art", True),
        ("iron", "pnictide", True),  # "iron pnictide" is used elsewhere
        ("momentum", "independent", True),  # "momentum-" heads a compound elsewhere
        ("e205867", "e205867", True),
    ],
)
def test_keep_hyphen(left: str, right: str, keep: bool) -> None:
    assert keep_hyphen(left, right, STATS) is keep


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        (["neglecting interac-", "tions between planes"], "neglecting interactions between planes"),
        (["an extreme decou-", "pling makes"], "an extreme decoupling makes"),
        (["on CIFAR-", "100 and"], "on CIFAR-100 and"),
        (["models of self-", "replication"], "models of self-replication"),
        (["the state-of-", "the-art method"], "the state-of-the-art method"),
        (["the uniform Perron-", "Frobenius mode"], "the uniform Perron-Frobenius mode"),
        (["which retain quantum—", "but not spatial"], "which retain quantum—but not spatial"),
        (["(2020), e205867–", "e205867."], "(2020), e205867–e205867."),
        (
            ["CoRR (2023). http://arxiv.org/", "abs/2301.13848v1"],
            "CoRR (2023). http://arxiv.org/abs/2301.13848v1",
        ),
        (["an ending -", "minus"], "an ending - minus"),
        (["two plain", "lines"], "two plain lines"),
    ],
)
def test_join_lines(lines: list[str], joined: str) -> None:
    assert join_lines(lines, STATS) == joined


def test_text_stats_collects_acronyms_as_written_and_the_typical_line_length() -> None:
    stats = TextStats.from_lines(["We use LLMs and DMFT here, a line of some length.", "I. INTRODUCTION"])
    assert stats.acronyms == {"LLMS": "LLMs", "DMFT": "DMFT"}  # not words from upper-case headings
    assert stats.line_length == len("We use LLMs and DMFT here, a line of some length.")


def test_lines_to_paragraphs_breaks_at_short_sentence_ends_captions_and_run_in_headings() -> None:
    full = "x" * 60
    lines = [
        f"{full} one", "be made more readily.", "Since its introduction the",
        f"{full} corresponding", "FIG. 1. Schematic depiction of the", "calculation (11).",
        "to a single node. Such a", f"{full} end.", "Supporting Synthesis. As an important step",
        "2.1 A subsection", "text after it",
    ]  # fmt: skip
    paragraphs = lines_to_paragraphs(lines, TextStats(line_length=60), frozenset({9}))
    assert paragraphs == [
        f"{full} one be made more readily.",
        f"Since its introduction the {full} corresponding",
        "FIG. 1. Schematic depiction of the calculation (11).",
        f"to a single node. Such a {full} end.",
        "Supporting Synthesis. As an important step",
        "2.1 A subsection",
        "text after it",
    ]


def test_a_caption_does_not_start_mid_sentence() -> None:
    lines = ["as shown in", "Figure 3. The results", "are clear."]
    assert lines_to_paragraphs(lines, TextStats(line_length=60)) == [
        "as shown in Figure 3. The results are clear."
    ]


@pytest.mark.parametrize(
    ("lines", "kept", "notes"),
    [
        pytest.param(
            [
                "For example, this could be researchers",
                "1In the remainder of this work, unless otherwise specified, AI-assisted writing refers",
                "to the use of LLMs to support writing.",
                "2https://platform.openai.com/examples",
                "3For example, commercial tools like copy.ai.",
                "collecting and reading multiple papers",
            ],
            ["For example, this could be researchers", "collecting and reading multiple papers"],
            [
                [
                    "1In the remainder of this work, unless otherwise specified, AI-assisted writing refers",
                    "to the use of LLMs to support writing.",
                ],
                ["2https://platform.openai.com/examples"],
                ["3For example, commercial tools like copy.ai."],
            ],
            id="acm-footnotes",
        ),
        pytest.param(  # out of sequence, or with a space after the number: not footnotes
            ["2In the wrong order", "1 D. C. Johnston, Adv. Phys.", "2D materials"],
            ["2In the wrong order", "1 D. C. Johnston, Adv. Phys.", "2D materials"],
            [],
            id="not-footnotes",
        ),
    ],
)
def test_split_footnotes(lines: list[str], kept: list[str], notes: list[list[str]]) -> None:
    assert split_footnotes(lines) == (kept, notes, len(notes) + 1)
