"""The page-1 heuristics behind a PDF paper's title, authors and abstract."""

from __future__ import annotations

import pytest

from arxivgpt.papers.pdf_front import (
    find_abstract_lines,
    guess_title_and_authors,
    is_author_line,
    meaningful_title,
    parse_authors,
)


@pytest.mark.parametrize(
    ("raw", "title"),
    [
        ("Beyond Summarization:  Designing AI Support", "Beyond Summarization: Designing AI Support"),
        ("  A  Title\n with breaks ", "A Title with breaks"),
        ("", ""),
        (None, ""),
        ("untitled", ""),
        ("Untitled document", ""),
        ("main.tex", ""),
        ("paper.pdf", ""),
        ("Microsoft Word - draft7.docx", ""),
        ("arXiv:2304.02623v1", ""),
        ("2304.02623", ""),
        ("hep-th/9901001v2", ""),
    ],
)
def test_meaningful_title(raw: str | None, title: str) -> None:
    assert meaningful_title(raw) == title


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("James M. Murray,1 Adrian Del Maestro,1, 2 and Zlatko Tešanović1", True),
        ("Zejiang Shen†, Tal August□, Pao Siangliulue□, Kyle Lo□, Jonathan Bragg□", True),
        ("Ada Lovelace and Charles Babbage", True),
        ("Vincent van Gogh*", True),
        ("Connectivity Limit", False),  # the end of a title: one "name", no marker
        ("Beyond Summarization:", False),
        ("Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large", False),
        ("1Institute for Quantum Matter and Department of Physics and Astronomy,", False),
        ("†Massachusetts Institute of Technology, □Allen Institute for AI", False),
        ("{zjshen,dsontag}@mit.edu", False),
    ],
)
def test_is_author_line(line: str, names: bool) -> None:
    assert is_author_line(line) is names


@pytest.mark.parametrize(
    ("text", "authors"),
    [
        ("Ada Lovelace, Charles Babbage", ["Ada Lovelace", "Charles Babbage"]),
        (
            "Ada Lovelace; Charles Babbage and Alan M. Turing",
            ["Ada Lovelace", "Charles Babbage", "Alan M. Turing"],
        ),
        ("", []),
        ("LaTeX with hyperref", []),
        ("admin", []),
    ],
)
def test_parse_authors(text: str, authors: list[str]) -> None:
    assert parse_authors(text) == authors


@pytest.mark.parametrize(
    ("lines", "title", "authors"),
    [
        pytest.param(
            [
                "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large",
                "Connectivity Limit",
                "James M. Murray,1 Adrian Del Maestro,1, 2 and Zlatko Tešanović1",
                "1Institute for Quantum Matter and Department of Physics and Astronomy,",
            ],
            "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit",
            ["James M. Murray", "Adrian Del Maestro", "Zlatko Tešanović"],
            id="aps",
        ),
        pytest.param(
            ["A Single-Author Note", "Department of Physics, Some University", "Abstract"],
            "A Single-Author Note",
            [],
            id="stops-at-affiliation",
        ),
        pytest.param(["This starts with body text.", "And goes on."], "", [], id="body-text-is-not-a-title"),
        pytest.param(
            ["Line one", "Line two", "Line three", "Line four", "Line five", "Six"], "", [], id="too-long"
        ),
        pytest.param([], "", [], id="empty"),
    ],
)
def test_guess_title_and_authors(lines: list[str], title: str, authors: list[str]) -> None:
    assert guess_title_and_authors(lines) == (title, authors)


@pytest.mark.parametrize(
    ("front", "abstract", "end"),
    [
        pytest.param(
            [
                "Title",
                "Author",
                "(Dated: April 3, 2012)",
                "The abstract.",
                "Goes on.",
                "PACS numbers: 74.20.-z",
            ],
            ["The abstract.", "Goes on."],
            5,
            id="aps-dated",
        ),
        pytest.param(
            ["Title", "Abstract—We study things.", "More of it.", "Index Terms—things"],
            ["We study things.", "More of it."],
            3,
            id="ieee-inline",
        ),
        pytest.param(["Title", "Authors", "Some text."], [], 0, id="none"),
    ],
)
def test_find_abstract_lines(front: list[str], abstract: list[str], end: int) -> None:
    assert find_abstract_lines(front) == (abstract, end)
