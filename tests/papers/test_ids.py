from __future__ import annotations

import pytest

from arxivgpt.errors import InvalidPaperId
from arxivgpt.papers.ids import ArxivId, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2303.17580", ArxivId("2303.17580")),
        ("2303.17580v2", ArxivId("2303.17580", 2)),
        ("  2303.17580v12 \n", ArxivId("2303.17580", 12)),
        ("0704.0001", ArxivId("0704.0001")),
        ("1412.9999v3", ArxivId("1412.9999", 3)),
        ("1501.00001", ArxivId("1501.00001")),
        ("hep-th/9901001", ArxivId("hep-th/9901001")),
        ("math.GT/0309136", ArxivId("math/0309136")),
        ("solv-int/9901001v2", ArxivId("solv-int/9901001", 2)),
        ("q-bio/0703001", ArxivId("q-bio/0703001")),
        ("astro-ph/0601001", ArxivId("astro-ph/0601001")),
        ("arXiv:2303.17580", ArxivId("2303.17580")),
        ("arxiv:2303.17580v1", ArxivId("2303.17580", 1)),
        ("ARXIV: hep-th/9901001", ArxivId("hep-th/9901001")),
        ("https://arxiv.org/abs/2303.17580", ArxivId("2303.17580")),
        ("https://arxiv.org/abs/2303.17580v2", ArxivId("2303.17580", 2)),
        ("http://arxiv.org/abs/2303.17580", ArxivId("2303.17580")),
        ("https://www.arxiv.org/abs/2303.17580", ArxivId("2303.17580")),
        ("https://arxiv.org/abs/2303.17580?context=cs", ArxivId("2303.17580")),
        ("https://arxiv.org/pdf/2303.17580", ArxivId("2303.17580")),
        ("https://arxiv.org/pdf/2303.17580.pdf", ArxivId("2303.17580")),
        ("https://arxiv.org/pdf/2303.17580v3.pdf", ArxivId("2303.17580", 3)),
        ("https://arxiv.org/html/2303.17580v1", ArxivId("2303.17580", 1)),
        ("https://arxiv.org/html/2303.17580v1#S3.SS2", ArxivId("2303.17580", 1)),
        ("https://arxiv.org/html/2303.17580v1/", ArxivId("2303.17580", 1)),
        ("https://arxiv.org/html/2303.17580v1/index.html#S1", ArxivId("2303.17580", 1)),
        ("https://export.arxiv.org/abs/2303.17580", ArxivId("2303.17580")),
        ("https://ar5iv.labs.arxiv.org/html/1706.03762", ArxivId("1706.03762")),
        ("https://ar5iv.org/abs/1706.03762v5", ArxivId("1706.03762", 5)),
        ("https://arxiv.org/abs/hep-th/9901001v1", ArxivId("hep-th/9901001", 1)),
        ("https://arxiv.org/pdf/math/0309136.pdf", ArxivId("math/0309136")),
        ("https://arxiv.org/abs/math.GT/0309136", ArxivId("math/0309136")),
        ("arxiv.org/abs/2303.17580", ArxivId("2303.17580")),
        ("www.arxiv.org/pdf/2303.17580v1", ArxivId("2303.17580", 1)),
        ("https://arxiv.org/format/2303.17580", ArxivId("2303.17580")),
    ],
)
def test_accepts_every_id_and_url_form(text: str, expected: ArxivId) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "2303.1758",  # too short
        "2303.175801",  # too long
        "1412.12345",  # five digits before 2015
        "1501.1234",  # four digits after 2015
        "2313.17580",  # month 13
        "0703.1234",  # new scheme starts in 0704
        "2303.17580v0",
        "2303.17580v",
        "hep-th/990100",
        "made-up/9901001",
        "hep-th/0801001",  # old scheme ended in 0703
        "hep-th 9901001",
        "https://arxiv.org/list/cs.CL/recent",
        "https://arxiv.org/abs/",
        "https://arxiv.org/",
        "ftp://arxiv.org/abs/2303.17580",
        "https://arxiv.org/abs/not-an-id",
        "https://[::1/abs/2303.17580",
    ],
)
def test_rejects_malformed_input_naming_what_was_expected(text: str) -> None:
    with pytest.raises(InvalidPaperId, match=r"expected an arXiv ID such as 2303\.17580"):
        parse_arxiv_id(text)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/abs/2303.17580",
        "https://arxiv.org.evil.example/abs/2303.17580",
        "https://evilarxiv.org/abs/2303.17580",
        "http://127.0.0.1/abs/2303.17580",
        "evil.example/pdf/2303.17580",
    ],
)
def test_rejects_non_arxiv_hosts(url: str) -> None:
    with pytest.raises(InvalidPaperId, match=r"only arxiv\.org links are accepted"):
        parse_arxiv_id(url)


def test_versioned_form() -> None:
    assert ArxivId("hep-th/9901001", 2).versioned == "hep-th/9901001v2"
    assert str(ArxivId("2303.17580")) == "2303.17580"
    assert ArxivId("2303.17580").with_version(4) == ArxivId("2303.17580", 4)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("２１０４.１２２５５", ArxivId("2104.12255")),  # full-width digits: NFKC makes them ASCII
        ("２１０４．１２２５５ｖ２", ArxivId("2104.12255", 2)),  # full-width full stop and v
        ("ａｒＸｉｖ：２１０４.１２２５５", ArxivId("2104.12255")),
        ("https://arxiv.org/abs/２１０４.１２２５５", ArxivId("2104.12255")),
        ("hep-th／9901001", ArxivId("hep-th/9901001")),
        ("2104.12255", ArxivId("2104.12255")),  # the ASCII spelling, for comparison
    ],
)
def test_compatibility_forms_become_the_ascii_id(text: str, expected: ArxivId) -> None:
    parsed = parse_arxiv_id(text)
    assert parsed == expected
    assert parsed.versioned.isascii()


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("٢١٠٤.١٢٢٥٥", "ARABIC-INDIC DIGIT TWO"),
        ("2104.١٢٢٥٥", "ARABIC-INDIC DIGIT ONE"),
        ("२१०४.१२२५५", "DEVANAGARI DIGIT TWO"),
        ("2104.12255v٢", "ARABIC-INDIC DIGIT TWO"),
        ("hep‐th/9901001", "HYPHEN"),  # U+2010, not the ASCII hyphen-minus
        ("https://arxiv.org/abs/٢١٠٤.١٢٢٥٥", "ARABIC-INDIC DIGIT TWO"),
    ],
)
def test_other_unicode_digits_are_refused_naming_the_character(text: str, named: str) -> None:
    with pytest.raises(InvalidPaperId, match="ASCII only") as caught:
        parse_arxiv_id(text)
    assert named in str(caught.value)
    assert "expected an arXiv ID such as 2303.17580" in str(caught.value)
