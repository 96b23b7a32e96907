"""Table-driven tests of heading detection and heading titles in PDF extraction."""

from __future__ import annotations

import pytest

from arxivgpt.papers.pdf_headings import find_headings, sentence_case


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
