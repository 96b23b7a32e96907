"""Table-driven tests of the pure text helpers behind PDF extraction."""

from __future__ import annotations

import pytest

from arxivgpt.papers.pdf_text import (
    TextStats,
    clean_line,
    find_headings,
    find_reference_list,
    fix_accents,
    fix_ligatures,
    join_lines,
    keep_hyphen,
    lines_to_paragraphs,
    remove_arxiv_stamp,
    sentence_case,
    split_footnotes,
    split_references,
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


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("SELF-CONSISTENT ACTION IN THE LARGE z LIMIT", "Self-consistent action in the large z limit"),
        ("CRITICAL POINT IN N → ∞ LIMIT", "Critical point in N → ∞ limit"),
        ("CORRECTIONS AT FINITE N", "Corrections at finite N"),
        ("DESIGNING AI SUPPORTS FOR EXPOSITORY WRITING", "Designing AI supports for expository writing"),
        ("WHAT LLMS CANNOT DO (YET)", "What LLMs cannot do (yet)"),
        ("TOWARDS A THEORY OF TYPE A", "Towards a theory of type A"),
        ("ACKNOWLEDGMENTS", "Acknowledgments"),
        ("APPENDIX A: DERIVATION OF (12)", "Appendix A: derivation of (12)"),
        ("Related Work", "Related Work"),  # not in capitals: kept as printed
        ("Self-consistent action", "Self-consistent action"),
    ],
)
def test_sentence_case(title: str, expected: str) -> None:
    assert sentence_case(title, {"AI": "AI", "LLMS": "LLMs"}) == expected


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


def _headings(lines: list[str]) -> list[tuple[int, str, str, str]]:
    return [(heading.level, heading.kind, heading.label, heading.title) for heading in find_headings(lines)]


APS = [
    "(Dated: April 3, 2012)",
    "Theoretical description of anisotropic systems.",
    "I. INTRODUCTION",
    "It is often the case that the relevant degrees of free-",
    "II. SELF-CONSISTENT ACTION IN THE",
    "LARGE z LIMIT",
    "We begin with the action describing a quantum rotor",
    "These limits are considered in turn in the following sub-",
    "sections.",
    "A. Ordered Phase",
    "Let us first assume that the system is ordered, which",
    "as found by",
    "B. Georges and co-workers",  # an initial mid-sentence
    "in the same year.",
    "B. Disordered phase",
    "Now let us consider another limit of (11), in which",
    "(1)",
    "1 2 3",
    "III. CRITICAL POINT IN N → ∞ LIMIT",
    "With the results of the preceding section in place, we",
    "ACKNOWLEDGMENTS",
    "We would like to thank Predrag Nikolic for helpful",
    "1 D. C. Johnston, Adv. Phys. 59, 803 (2010).",
    "2 D. Jérome and H. J. Schulz, Adv. Phys. 31, 299 (1982).",
    "3 A. Georges, G. Kotliar, W. Krauth and M. J. Rozenberg,",
]

ACM = [
    "ABSTRACT",
    "Large language models have introduced exciting new opportunities",
    "KEYWORDS",
    "AI-Assisted Writing, Summarization, Expert Writing, Augmented",
    "1 INTRODUCTION",
    "The advent of large language models (LLMs) [4, 27, 32] has brought",
    "1In the remainder of this work, unless otherwise specified, AI-assisted",
    "2https://platform.openai.com/examples",
    "2 CHARACTERIZING EXPOSITORY",
    "WRITING",
    "In contrast to other writing tasks, expository writing is unique.",
    "2.1 Evidence and Synthesis",
    "Formally, given a set of source documents and a collection of writing",
    "3.1 Out of Its Section",
    "described in Section",
    "3 Results show that the model is good",
    "3 DESIGNING AI SUPPORTS FOR",
    "EXPOSITORY WRITING",
    "To optimally involve LLMs to help expository writing, we argue",
    "Method",
    "Accuracy",
    "4 CONCLUSION",
    "Expository writing is genre of evidence-driven and knowledge-",
    "ACKNOWLEDGMENTS",
    "We thank the anonymous reviewers for their insightful comments",
    "REFERENCES",
    "[1] Griffin Adams, Emily Alsentzer, Mert Ketenci, Jason Zucker, and Noémie El-",
    "5 Appendix Material",
    "Appendix A: Proofs of the Theorems",
    "The proof goes as follows and is long enough to be a line.",
]

TITLE_CASE = [
    "Abstract",
    "We study things in this paper and find results worth reading.",
    "1. Introduction",
    "Deep learning has changed many fields over the last decade.",
    "2 Related Work",
    "Prior work studied similar questions in other settings, e.g.",
    "Introduction",  # a word alone on a line, after "e.g.": still not a heading (next line too short)
    "of [3].",
    "3 Our Approach",
    "We propose a new method that works well on all benchmarks.",
    "3.1 Model Architecture",
    "The model has layers and more layers and even more layers.",
    "4 Experiments",
    "We run experiments on many datasets and report the numbers.",
    "References",
    "Smith, J. 2020. A paper. Journal 1, 2.",
]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(
            APS,
            [
                (1, "section", "I", "INTRODUCTION"),
                (1, "section", "II", "SELF-CONSISTENT ACTION IN THE LARGE z LIMIT"),
                (2, "subsection", "A", "Ordered Phase"),
                (2, "subsection", "B", "Disordered phase"),
                (1, "section", "III", "CRITICAL POINT IN N → ∞ LIMIT"),
                (1, "section", "", "ACKNOWLEDGMENTS"),
            ],
            id="aps",
        ),
        pytest.param(
            ACM,
            [
                (1, "front", "", "ABSTRACT"),
                (1, "front", "", "KEYWORDS"),
                (1, "section", "1", "INTRODUCTION"),
                (1, "section", "2", "CHARACTERIZING EXPOSITORY WRITING"),
                (2, "subsection", "2.1", "Evidence and Synthesis"),
                (1, "section", "3", "DESIGNING AI SUPPORTS FOR EXPOSITORY WRITING"),
                (1, "section", "4", "CONCLUSION"),
                (1, "section", "", "ACKNOWLEDGMENTS"),
                (1, "references", "", "REFERENCES"),
                (1, "appendix", "A", "Appendix A: Proofs of the Theorems"),
            ],
            id="acm",
        ),
        pytest.param(
            TITLE_CASE,
            [
                (1, "front", "", "Abstract"),
                (1, "section", "1", "Introduction"),
                (1, "section", "2", "Related Work"),
                (1, "section", "3", "Our Approach"),
                (2, "subsection", "3.1", "Model Architecture"),
                (1, "section", "4", "Experiments"),
                (1, "references", "", "References"),
            ],
            id="title-case",
        ),
        pytest.param(["1 2 3", "0.0 0.5 1.0", "(12)", "x = 1 + 2", "E = mc2"], [], id="numbers-and-maths"),
        pytest.param(
            ["Some text ends here.", "Related work", "Prior studies looked at this question in detail."],
            [(1, "section", "", "Related work")],
            id="sentence-case-known-name",
        ),
        pytest.param(
            ["as we show in the", "Conclusion", "of this paper, things are good and fine."],
            [],
            id="mid-sentence",
        ),
    ],
)
def test_find_headings(lines: list[str], expected: list[tuple[int, str, str, str]]) -> None:
    assert _headings(lines) == expected


def test_a_wrapped_heading_spans_its_lines() -> None:
    heading = find_headings(APS)[1]
    assert (heading.start, heading.end) == (4, 6)


APS_REFERENCES = [
    "We would like to thank Predrag Nikolic for helpful",
    "terials Sciences and Engineering.",
    "1 D. C. Johnston, Adv. Phys. 59, 803 (2010).",
    "2 D. Jérome and H. J. Schulz, Adv. Phys. 31, 299 (1982).",
    "3 A. Georges, G. Kotliar, W. Krauth and M. J. Rozenberg,",
    "Rev. Mod. Phys. 68, 13 (1996).",
    "4 R. J. Baxter, Exactly Solved Models in Statistical Mechan-",
    "ics, Academic Press (1982).",
    "5 G. Semerjian, M. Tarzia and F. Zamponi, Phys. Rev. B",
    "80, 014524 (2009).",
]


@pytest.mark.parametrize(
    ("lines", "start"),
    [
        (APS_REFERENCES, 2),
        (["Text.", "[1] A. B, Title.", "[2] C. D, Title.", "[3] E. F, Title."], 1),
        (["1 One thing", "2 Two things", "and then", "ordinary text"], None),  # too few entries
        (["1 A. B, X.", "2 C. D, Y.", "3 E. F, Z.", *["text that goes on"] * 12], None),  # not at the end
        (["No numbers here.", "At all."], None),
    ],
)
def test_find_reference_list(lines: list[str], start: int | None) -> None:
    assert find_reference_list(lines) == start


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(
            APS_REFERENCES[2:],
            [
                ("1", "D. C. Johnston, Adv. Phys. 59, 803 (2010)."),
                ("2", "D. Jérome and H. J. Schulz, Adv. Phys. 31, 299 (1982)."),
                (
                    "3",
                    "A. Georges, G. Kotliar, W. Krauth and M. J. Rozenberg, Rev. Mod. Phys. 68, 13 (1996).",
                ),
                ("4", "R. J. Baxter, Exactly Solved Models in Statistical Mechanics, Academic Press (1982)."),
                ("5", "G. Semerjian, M. Tarzia and F. Zamponi, Phys. Rev. B 80, 014524 (2009)."),
            ],
            id="aps-numbers",
        ),
        pytest.param(
            [
                "[1] Griffin Adams, Emily Alsentzer, and Noémie El-",
                "hadad. 2021. What’s in a Summary?",
                "[2] Alan Baddeley. 1992. Working memory. Science 255, 5044 (1992), 556–559.",
                "[3] Hyeonsu B Kang. 2022. Threddy. arXiv preprint",
                "[12] out of sequence: part of entry 3",
            ],
            [
                ("1", "Griffin Adams, Emily Alsentzer, and Noémie Elhadad. 2021. What’s in a Summary?"),
                ("2", "Alan Baddeley. 1992. Working memory. Science 255, 5044 (1992), 556–559."),
                ("3", "Hyeonsu B Kang. 2022. Threddy. arXiv preprint [12] out of sequence: part of entry 3"),
            ],
            id="brackets",
        ),
        pytest.param(
            ["[Smi20] J. Smith. A paper.", "Journal, 2020.", "[Doe+21] J. Doe et al. Another one."],
            [("Smi20", "J. Smith. A paper. Journal, 2020."), ("Doe+21", "J. Doe et al. Another one.")],
            id="keys",
        ),
        pytest.param(
            [
                "Baddeley, A. 1992. Working memory. Science",
                "255, 556–559.",
                "Flower, L., and Hayes, J. R. 1981. A cognitive process",
                "theory of writing. C 32, 5.",
                "J. Smith, 2020. Another. Journal 1.",
            ],
            [
                ("1", "Baddeley, A. 1992. Working memory. Science 255, 556–559."),
                ("2", "Flower, L., and Hayes, J. R. 1981. A cognitive process theory of writing. C 32, 5."),
                ("3", "J. Smith, 2020. Another. Journal 1."),
            ],
            id="author-year",
        ),
        pytest.param(
            ["Shen, et al.", "[1] A. Lovelace. 1843. Notes.", "[2] C. Babbage. 1864. Passages."],
            [("1", "A. Lovelace. 1843. Notes."), ("2", "C. Babbage. 1864. Passages.")],
            id="stray-line-first",
        ),
        pytest.param([], [], id="empty"),
    ],
)
def test_split_references(lines: list[str], expected: list[tuple[str, str]]) -> None:
    assert split_references(lines, STATS) == expected
