"""Table-driven tests of finding and splitting reference lists in PDF extraction."""

from __future__ import annotations

import pytest

from arxivgpt.papers.pdf_references import find_reference_list, split_references
from tests.papers.test_pdf_text import STATS

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
