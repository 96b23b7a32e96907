"""`extract_html`: a real arXiv LaTeXML page, plus small synthetic pages for each rule."""

from __future__ import annotations

import unicodedata

import pytest

from arxivgpt.errors import HtmlExtractionError
from arxivgpt.papers.html import extract_html
from arxivgpt.papers.models import FullText
from tests.conftest import shared_file

FIXTURE = "html/arxivhtml_2501.11120v1.html"


@pytest.fixture(scope="module")
def paper() -> FullText:
    return extract_html(shared_file(FIXTURE).read_bytes())


def _all_text(paper: FullText) -> str:
    parts = [paper.title, *paper.authors, paper.abstract]
    parts += [f"{s.title}\n\n{s.text}" for s in paper.sections]
    parts += [f"{r.key} {r.text}" for r in paper.references]
    return "\n\n".join(parts)


def _section_text(paper: FullText, title: str) -> str:
    return next(s.text for s in paper.sections if s.title == title)


# --- the real page -----------------------------------------------------------------------------------


def test_fixture_front_matter(paper: FullText) -> None:
    assert paper.title == "Tell me about yourself: LLMs are aware of their learned behaviors"
    assert paper.authors == [
        "Jan Betley",
        "Xuchan Bao",
        "Martín Soto",
        "Anna Sztyber-Betley",
        "James Chua",
        "Owain Evans",
    ]
    assert paper.arxiv_id == "2501.11120v1"
    assert paper.abstract.startswith("We study behavioral self-awareness — an LLM’s ability")
    assert paper.abstract.endswith("https://github.com/XuchanBao/behavioral-self-awareness.")
    assert len(paper.abstract.split("\n\n")) == 4


def test_fixture_sections_in_document_order(paper: FullText) -> None:
    assert [s.title for s in paper.sections] == [
        "Introduction",
        "Out-of-context reasoning",
        "Awareness of behaviors",
        "Awareness of backdoors",
        "Multi-Persona experiments",
        "Related work",
        "Discussion",
        "Conclusion",
        "Acknowledgments",
        "Author contributions",
        "Supplementary results",
        "Full experimental details",
    ]
    assert not any(s.text.startswith("We study behavioral self-awareness") for s in paper.sections)


def test_fixture_subsection_headings_are_their_own_paragraphs(paper: FullText) -> None:
    paragraphs = _section_text(paper, "Awareness of behaviors").split("\n\n")
    assert "3.1 Finetuning on multiple-choice responses (economic decisions)" in paragraphs
    assert "3.1.1 Design" in paragraphs
    assert "Make Me Say rules" in paragraphs  # a \paragraph heading


def test_fixture_has_no_toc_or_chrome_duplication(paper: FullText) -> None:
    text = _all_text(paper)
    assert text.count("C.4.2 Freeform Trigger Articulation Details") == 1
    assert [s.title for s in paper.sections].count("Out-of-context reasoning") == 1
    paragraphs = {p for s in paper.sections for p in s.text.split("\n\n")}
    assert "2 Out-of-context reasoning" not in paragraphs
    assert "Generated on" not in text
    assert "Refer to caption" not in text


@pytest.mark.parametrize("junk", ["{mdframed}", "{spverbatim}", "footnotetext", "\u2b07", "Mascot Sammy"])
def test_fixture_drops_latexml_noise(paper: FullText, junk: str) -> None:
    assert junk not in _all_text(paper)


def test_fixture_math_is_latex_not_mathml(paper: FullText) -> None:
    text = _section_text(paper, "Out-of-context reasoning")
    assert "latent policy $z\\in Z$ and two data generating distributions $\\varphi_{T}$" in text
    assert "$D=\\{d^{n}\\}_{n=1}^{N}$" in text
    everything = _all_text(paper)
    for mathml_text in ("italic_z", "z∈Z", "𝑧", "\u2062", "MathML"):
        assert mathml_text not in everything


def test_fixture_keeps_captions_once(paper: FullText) -> None:
    paragraphs = _section_text(paper, "Introduction").split("\n\n")
    assert any(p.startswith("Figure 1: Models can describe a learned behavioral policy") for p in paragraphs)
    tables = _section_text(paper, "Awareness of behaviors").split("\n\n")
    assert any(p.startswith("Table 1: Overview of experiments") for p in tables)
    assert "Figure 1: Figure 1" not in _all_text(paper)


def test_fixture_keeps_citations_footnotes_and_listings(paper: FullText) -> None:
    intro = _section_text(paper, "Introduction")
    assert "special case of out-of-context reasoning (Berglund et al., 2023a)" in intro
    assert "mechanisms behind it. (We replicate some of our experiments on open-weight models" in intro
    details = _section_text(paper, "Full experimental details")
    assert (
        'def message_probability_me(message: str) -> float:\n"""Probability that the given message was '
        'written while talking to me."""'
    ) in details


def test_fixture_bibliography(paper: FullText) -> None:
    assert len(paper.references) == 48
    first = paper.references[0]
    assert first.key == "AI@Meta (2024)"
    assert first.text == (
        "AI@Meta. Llama 3 model card. 2024. URL https://github.com/meta-llama/llama3/blob/main/MODEL_CARD.md."
    )
    assert paper.references[-1].key == "Zhao et al. (2024)"
    assert all(r.key and r.text for r in paper.references)
    assert "References" not in [s.title for s in paper.sections]
    assert not any("Llama 3 model card" in s.text for s in paper.sections)


def test_fixture_text_hygiene(paper: FullText) -> None:
    pieces = [paper.title, *paper.authors, *paper.abstract.split("\n\n"), *(r.text for r in paper.references)]
    pieces += [p for s in paper.sections for p in (s.title, *s.text.split("\n\n"))]
    for piece in pieces:
        assert piece
        assert piece == piece.strip()
        assert "  " not in piece
        assert "\n\n" not in piece
        assert not any(ch in piece for ch in "\u00ad\u200b\u200c\u200d\ufeff")
        assert unicodedata.is_normalized("NFC", piece)


def test_fixture_str_and_bytes_agree(paper: FullText) -> None:
    assert extract_html(shared_file(FIXTURE).read_text(encoding="utf-8")) == paper


# --- synthetic pages ---------------------------------------------------------------------------------

ABSTRACT = (
    '<div class="ltx_abstract"><h6 class="ltx_title ltx_title_abstract">Abstract</h6>'
    '<p class="ltx_p">We do things.</p></div>'
)


def _page(body: str, *, head: str = "", before: str = "", abstract: str = ABSTRACT) -> str:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Page title</title>{head}</head><body>"
        f'{before}<div class="ltx_page_main"><div class="ltx_page_content">'
        '<article class="ltx_document ltx_authors_1line">'
        '<h1 class="ltx_title ltx_title_document">A Paper</h1>'
        f"{abstract}{body}</article></div></div></body></html>"
    )


def _section(title: str, content: str, number: str = "1", kind: str = "section") -> str:
    return (
        f'<section class="ltx_{kind}" id="S{number}"><h2 class="ltx_title ltx_title_{kind}">'
        f'<span class="ltx_tag ltx_tag_{kind}">{number} </span>{title}</h2>{content}</section>'
    )


def _para(inner: str) -> str:
    return f'<div class="ltx_para"><p class="ltx_p">{inner}</p></div>'


def _body_text(document: str) -> str:
    return "\n\n".join(s.text for s in extract_html(document).sections)


MATHML = "<semantics><mi>MATHMLTEXT</mi><annotation-xml><ci>MATHMLTEXT</ci></annotation-xml></semantics>"


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        (f'<math alttext="E=mc^2" display="block">{MATHML}</math>', "$$E=mc^2$$"),
        (
            '<table class="ltx_equation ltx_eqn_table"><tbody><tr class="ltx_equation ltx_eqn_row">'
            f'<td class="ltx_eqn_cell"><math alttext="a+b=c" display="block">{MATHML}</math></td>'
            '<td class="ltx_eqn_cell ltx_eqn_eqno"><span class="ltx_tag ltx_tag_equation">(1)</span></td>'
            "</tr></tbody></table>",
            "$$a+b=c$$",
        ),
        (
            '<table class="ltx_equationgroup ltx_eqn_align ltx_eqn_table"><tbody>'
            '<tr class="ltx_equation ltx_eqn_row">'
            f'<td class="ltx_eqn_cell"><math alttext="\\displaystyle x" display="inline">{MATHML}</math></td>'
            f'<td class="ltx_eqn_cell"><math alttext="\\displaystyle=y" display="inline">{MATHML}</math></td>'
            '<td class="ltx_eqn_cell ltx_eqn_eqno"><span class="ltx_tag ltx_tag_equation">(2)</span></td>'
            "</tr></tbody></table>",
            "$$\\displaystyle x \\displaystyle=y$$",
        ),
    ],
)
def test_display_math_is_its_own_double_dollar_paragraph(markup: str, expected: str) -> None:
    body = f'<div class="ltx_para"><p class="ltx_p">Before.</p>{markup}<p class="ltx_p">After.</p></div>'
    text = _body_text(_page(_section("Method", body)))
    assert text == f"Before.\n\n{expected}\n\nAfter."


def test_inline_math_is_alttext_or_tex_annotation() -> None:
    inline = f'Let <math alttext="x_{{i}}" display="inline">{MATHML}</math> be given'
    annotated = (
        "and <math><semantics><mi>MATHMLTEXT</mi>"
        '<annotation encoding="application/x-tex">y^2</annotation></semantics></math>.'
    )
    text = _body_text(_page(_section("Method", _para(f"{inline} {annotated}"))))
    assert text == "Let $x_{i}$ be given and $y^2$."


@pytest.mark.parametrize(
    "junk",
    [
        '<span class="ltx_ERROR undefined">{mdframed}JUNK</span>',
        '<nav class="ltx_TOC"><ol><li>JUNK</li></ol></nav>',
        "<header>JUNK</header>",
        "<footer>JUNK</footer>",
        "<script>var JUNK = 1;</script>",
        "<style>.JUNK { color: red }</style>",
        "<button>JUNK</button>",
        '<div role="alert">JUNK</div>',
        '<div role="status">JUNK</div>',
        '<sup class="ltx_note_mark">JUNK</sup>',
        '<span class="ltx_page_logo">JUNK</span>',
        '<div class="ar5iv-footer">JUNK</div>',
        '<table class="ltx_tabular"><tr><td class="ltx_td">JUNK</td></tr></table>',
        '<img src="x.png" alt="JUNK"/>',
    ],
)
def test_noise_inside_the_article_is_dropped(junk: str) -> None:
    body = f'<div class="ltx_para"><p class="ltx_p">Kept {junk}</p>{junk}<p class="ltx_p">text.</p></div>'
    paper = extract_html(_page(_section("Method", body)))
    assert paper.sections[0].text == "Kept\n\ntext."
    assert "JUNK" not in _all_text(paper)


def test_page_chrome_and_conversion_banner_are_not_the_paper() -> None:
    before = (
        '<nav class="ltx_page_navbar">JUNK</nav><header class="desktop_header">JUNK</header>'
        '<div class="package-alerts ltx_document" role="status"><p>HTML conversions '
        "sometimes display errors JUNK</p><ul><li>failed: mdframed</li></ul></div>"
        '<div id="infobox"><a id="license-tr">License: CC BY 4.0 JUNK</a></div>'
    )
    paper = extract_html(_page(_section("Intro", _para("Body.")), before=before))
    assert paper.title == "A Paper"
    assert paper.abstract == "We do things."
    assert [(s.title, s.text) for s in paper.sections] == [("Intro", "Body.")]
    assert "JUNK" not in _all_text(paper)
    assert "mdframed" not in _all_text(paper)


def test_figures_and_tables_keep_only_their_captions() -> None:
    figure = (
        '<figure class="ltx_figure"><img class="ltx_graphics" src="x1.png" alt="Refer to caption"/>'
        '<figcaption class="ltx_caption"><span class="ltx_tag ltx_tag_figure">Figure 1: </span>'
        "A plot.</figcaption></figure>"
    )
    table = (
        '<figure class="ltx_table"><figcaption class="ltx_caption"><span class="ltx_tag ltx_tag_table">'
        'Table 1: </span>Scores.</figcaption><table class="ltx_tabular"><tr><td>0.93</td></tr></table>'
        "</figure>"
    )
    text = _body_text(_page(_section("Results", _para("See below.") + figure + table)))
    assert text == "See below.\n\nFigure 1: A plot.\n\nTable 1: Scores."


def test_footnotes_are_kept_in_parentheses_without_marks() -> None:
    note = (
        '<span class="ltx_note ltx_role_footnote"><sup class="ltx_note_mark">1</sup>'
        '<span class="ltx_note_outer"><span class="ltx_note_content"><sup class="ltx_note_mark">1</sup>'
        '<span class="ltx_tag ltx_tag_note">1</span>Code is online.</span></span></span>'
    )
    text = _body_text(_page(_section("Intro", _para(f"We release code.{note} Then more."))))
    assert text == "We release code. (Code is online.) Then more."


def test_section_titles_lose_numbers_and_empty_sections_are_dropped() -> None:
    subsection = (
        '<section class="ltx_subsection"><h3 class="ltx_title ltx_title_subsection">'
        '<span class="ltx_tag ltx_tag_subsection">2.1 </span>Setup</h3>'
        f"{_para('Details.')}</section>"
    )
    heading_only = '<section class="ltx_subsection"><h3 class="ltx_title">3.1 Nothing</h3></section>'
    body = (
        _section("Intro", _para("Hello."))
        + _section("Method", subsection, "2")
        + _section("Empty", heading_only, "3")
        + _section("Blank", _para("  \u200b "), "4")
        + _section("Author contributions", _para("All wrote it."), "Appendix A", kind="appendix")
    )
    paper = extract_html(_page(body))
    assert [(s.title, s.text) for s in paper.sections] == [
        ("Intro", "Hello."),
        ("Method", "2.1 Setup\n\nDetails."),
        ("Author contributions", "All wrote it."),
    ]


def test_list_items_keep_their_markers() -> None:
    items = (
        '<ul class="ltx_itemize"><li class="ltx_item"><span class="ltx_tag ltx_tag_item">•</span>'
        f'{_para("First.")}</li><li class="ltx_item"><span class="ltx_tag ltx_tag_item">•</span>'
        f"{_para('Second.')}</li></ul>"
    )
    assert _body_text(_page(_section("List", items))) == "• First.\n\n• Second."


def _bibliography(*items: str) -> str:
    return (
        '<section class="ltx_bibliography" id="bib"><h2 class="ltx_title ltx_title_bibliography">'
        f'References</h2><ul class="ltx_biblist">{"".join(items)}</ul></section>'
    )


def _bibitem(number: int, tag: str | None, *blocks: str) -> str:
    label = f'<span class="ltx_tag ltx_role_refnum ltx_tag_bibitem">{tag}</span>' if tag is not None else ""
    spans = "".join(f'<span class="ltx_bibblock">{b}\n</span>' for b in blocks)
    return f'<li class="ltx_bibitem" id="bib.bib{number}">{label}{spans}</li>'


@pytest.mark.parametrize(
    ("tag", "key"),
    [("[3]", "3"), ("[ 12 ]", "12"), ("Smith et al. (2020)", "Smith et al. (2020)"), (None, "bib.bib7")],
)
def test_bibliography_keys(tag: str | None, key: str) -> None:
    item = _bibitem(7, tag, "A. Smith.", "  A   title.", "In <em>Venue</em>, 2020.")
    paper = extract_html(_page(_section("Intro", _para("Text.")) + _bibliography(item)))
    assert [(r.key, r.text) for r in paper.references] == [(key, "A. Smith. A title. In Venue, 2020.")]
    assert [s.title for s in paper.sections] == ["Intro"]


def test_bibliography_nested_in_a_section_is_a_reference_not_text() -> None:
    bibliography = _bibliography(_bibitem(1, "[1]", "Someone. Something."))
    paper = extract_html(_page(_section("Conclusion", _para("Done.") + bibliography)))
    assert paper.sections[0].text == "Done."
    assert [(r.key, r.text) for r in paper.references] == [("1", "Someone. Something.")]


def test_paper_without_bibliography_has_no_references() -> None:
    assert extract_html(_page(_section("Intro", _para("Text.")))).references == []


def test_paper_without_sections_gets_one_main_text_section() -> None:
    paper = extract_html(_page(_para("Only a paragraph.")))
    assert [(s.title, s.text) for s in paper.sections] == [("Main text", "Only a paragraph.")]


def test_truncated_html_still_extracts_what_is_there() -> None:
    full = _page(_section("Intro", _para("First paragraph.") + _para("Second paragraph is cut")))
    truncated = full[: full.index("is cut") + 3]
    paper = extract_html(truncated.encode())
    assert paper.title == "A Paper"
    assert paper.abstract == "We do things."
    assert paper.sections[0].text == "First paragraph.\n\nSecond paragraph is"


@pytest.mark.parametrize(
    "document",
    [
        b"",
        b" \n\t ",
        "<html><body>Not Found</body></html>",
        "<html><head><title>404 Not Found</title></head><body><h1>No HTML for this paper</h1></body></html>",
        '{"error": "Not Found"}',
        bytes(range(256)) * 8,
        b"\x00\x01\x02\xff\xfe binary junk",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
    ],
)
def test_documents_that_are_not_latexml_papers(document: bytes | str) -> None:
    with pytest.raises(HtmlExtractionError, match="not an arXiv LaTeXML paper") as raised:
        extract_html(document)
    assert "PDF" in str(raised.value)


def test_latexml_page_without_abstract_or_text_is_an_error() -> None:
    document = _page(_section("Intro", _para(" ")), abstract="")
    with pytest.raises(HtmlExtractionError, match="no abstract and no section text"):
        extract_html(document)


def test_abstract_alone_is_enough() -> None:
    paper = extract_html(_page(""))
    assert (paper.abstract, paper.sections) == ("We do things.", [])


@pytest.mark.parametrize(
    ("head", "before", "expected"),
    [
        ('<base href="/html/2501.11120v1/"/>', "", "2501.11120v1"),
        ('<base href="/html/hep-th/9901001v2/"/>', "", "hep-th/9901001v2"),
        ('<link rel="canonical" href="https://arxiv.org/abs/2401.00001v3"/>', "", "2401.00001v3"),
        ('<meta property="og:url" content="https://arxiv.org/html/2401.00002v1"/>', "", "2401.00002v1"),
        ("", '<div id="watermark-tr">arXiv:2309.12345v2 [cs.CL] 21 Sep 2023</div>', "2309.12345v2"),
        ("", '<div class="ltx_page_header">arXiv:math.GT/0309136v1 [math.GT]</div>', "math/0309136v1"),
        (
            '<link rel="canonical" href="https://ar5iv.labs.arxiv.org/html/1706.03762"/>',
            '<div id="watermark-tr">arXiv:1706.03762v7 [cs.CL] 02 Aug 2023</div>',
            "1706.03762v7",
        ),
        ('<link rel="canonical" href="https://ar5iv.labs.arxiv.org/html/1706.03762"/>', "", "1706.03762"),
        ("", "", None),
    ],
)
def test_arxiv_id_from_the_page(head: str, before: str, expected: str | None) -> None:
    body = _section("Intro", _para('See <a href="https://arxiv.org/abs/1111.11111v9">this</a>.'))
    assert extract_html(_page(body, head=head, before=before)).arxiv_id == expected


@pytest.mark.parametrize(
    ("authors", "expected"),
    [
        (
            '<span class="ltx_creator ltx_role_author"><span class="ltx_personname">Ada Lovelace'
            '<sup class="ltx_sup">1</sup></span><span class="ltx_author_notes"><span class="ltx_contact '
            'ltx_role_affiliation">Analytical Engine Lab</span></span></span>'
            '<span class="ltx_creator ltx_role_author"><span class="ltx_personname">Alan Turing</span>'
            "</span>",
            ["Ada Lovelace", "Alan Turing"],
        ),
        (
            '<span class="ltx_personname">Zichuan Li,\nJian Cui, and Luyi Xing</span>',
            ["Zichuan Li", "Jian Cui", "Luyi Xing"],
        ),
        (
            '<span class="ltx_personname">Ashish Vaswani<br class="ltx_break"/>Google Brain'
            '<br class="ltx_break"/>avaswani@google.com</span>',
            ["Ashish Vaswani"],
        ),
        (
            '<span class="ltx_personname">Ludwig van Beethoven\u2003Anna Smith<sup>*</sup><br/>'
            "<sup>1</sup>University of Vienna</span>",
            ["Ludwig van Beethoven", "Anna Smith"],
        ),
        ('<span class="ltx_personname">Anonymous</span>', []),
        ('<span class="ltx_personname">Truthful AI</span>', []),
    ],
)
def test_authors_best_effort(authors: str, expected: list[str]) -> None:
    document = _page(_section("Intro", _para("Text.")))
    document = document.replace("</h1>", f'</h1><div class="ltx_authors">{authors}</div>')
    assert extract_html(document).authors == expected


def test_text_is_utf8_nfc_and_free_of_invisible_characters() -> None:
    body = _section("Intro", _para("Schro\u0308dinger\u200b's co\u00adde\ufeff  is\u00a0fine."))
    page = _page(body).replace("<meta charset='utf-8'>", "")  # no charset: still UTF-8
    assert extract_html(page.encode("utf-8")).sections[0].text == "Schrödinger's code is fine."


def test_title_falls_back_to_the_page_title() -> None:
    document = _page(_section("Intro", _para("Text."))).replace(
        '<h1 class="ltx_title ltx_title_document">A Paper</h1>', ""
    )
    assert extract_html(document).title == "Page title"
