"""Summary Markdown renders to HTML that cannot run script or leave the page unsafely."""

from __future__ import annotations

import re

import pytest

from arxivgpt.summary.render import ALLOWED_TAGS, to_html

ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="https://x.org" onclick="alert(1)">x</a>',
    "<div onmouseover=alert(1)>hover</div>",
    '<iframe src="https://evil.example"></iframe>',
    "<svg onload=alert(1)>",
    "<style>body{display:none}</style>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD4=)",
    "[click](vbscript:msgbox(1))",
    "![img](https://x.org/a.png)",
    "![img](data:image/png;base64,AAAA)",
    '<a href="javascript:alert(1)">x</a>',
    "`<script>` in code and\n\n```html\n<script>alert(1)</script>\n```",
    "> <script>alert(1)</script>",
    "| a | <script>x</script> |\n|---|---|\n| 1 | 2 |",
]


def _tags(html: str) -> list[tuple[str, dict[str, str]]]:
    """Every real tag (not escaped text) with its attributes."""
    tags = []
    for name, attributes in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)([^>]*)>", html):
        tags.append((name.lower(), dict(re.findall(r'([^\s=]+)="([^"]*)"', attributes))))
        assert re.sub(r'\s*[^\s=]+="[^"]*"', "", attributes).strip() in ("", "/"), attributes
    return tags


@pytest.mark.parametrize("markdown", ATTACKS)
def test_nothing_executable_survives(markdown: str) -> None:
    html = to_html(markdown)
    for name, attributes in _tags(html):
        assert name in ALLOWED_TAGS
        assert set(attributes) <= ({"href", "title", "rel", "target"} if name == "a" else set())
        assert re.match(r"https?://", attributes.get("href", "https://"), re.I)
    assert "<script" not in html.lower()


def test_raw_html_is_shown_as_text() -> None:
    html = to_html("Hello <script>alert(1)</script> <b>bold</b>")
    assert html == "<p>Hello &lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt;</p>\n"


def test_headings_lists_and_emphasis() -> None:
    markdown = (
        "## Summary\n\nOne **bold** and *em* ~~old~~.\n\n- a\n- b\n\n1. one\n2. two\n\n> quote\n\n---\n"
    )
    html = to_html(markdown)
    for tag in ("<h2>Summary</h2>", "<strong>bold</strong>", "<em>em</em>", "<s>old</s>", "<li>a</li>"):
        assert tag in html
    for tag in ("<ul>", "<ol>", "<blockquote>", "<hr>"):
        assert tag in html


def test_tables_render() -> None:
    html = to_html("| a | b |\n|---|--:|\n| 1 | 2 |\n")
    for tag in ("<table>", "<thead>", "<tbody>", "<tr>", "<th>a</th>", "<td>2</td>"):
        assert tag in html
    assert "style" not in html


def test_code_renders_escaped() -> None:
    html = to_html("Use `x < y`.\n\n```python\nif a < b:\n    pass\n```\n")
    assert "<code>x &lt; y</code>" in html
    assert "<pre><code>if a &lt; b:\n    pass\n</code></pre>" in html


def test_hard_line_breaks() -> None:
    assert "<br>" in to_html("one  \ntwo")


@pytest.mark.parametrize(
    ("markdown", "href"),
    [
        ("[arXiv](https://arxiv.org/abs/2303.17580)", "https://arxiv.org/abs/2303.17580"),
        ("[site](http://example.org)", "http://example.org"),
        ("<https://example.org/a>", "https://example.org/a"),
    ],
)
def test_links_open_in_a_new_tab_without_an_opener(markdown: str, href: str) -> None:
    html = to_html(markdown)
    link = re.search(r"<a [^>]*>", html)
    assert link is not None
    assert f'href="{href}"' in link.group(0)
    assert 'rel="noopener noreferrer"' in link.group(0)
    assert 'target="_blank"' in link.group(0)


def test_a_link_title_is_kept_and_other_attributes_are_not() -> None:
    html = to_html('[x](https://example.org "The title")')
    assert 'title="The title"' in html
    assert set(re.findall(r"\s([a-z]+)=", html)) == {"href", "title", "rel", "target"}


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("[rel](/relative/path)", "<p>rel</p>\n"),
        ("[ftp](ftp://example.org/file)", "<p>ftp</p>\n"),
        ("[x](#top)", "<p>x</p>\n"),
        ("[mail](mailto:a@example.org)", "<p>mail</p>\n"),
        ("<mailto:a@example.org>", "<p>mailto:a@example.org</p>\n"),
        ("[no host](https:///path)", "<p>no host</p>\n"),
        ("see [**the** code](./src) [2]", "<p>see <strong>the</strong> code [2]</p>\n"),
        ("[outer [inner](/x)](https://example.org)", None),  # nested: whatever it is, no link without href
    ],
)
def test_only_absolute_web_links_stay_links(markdown: str, html: str | None) -> None:
    """Relative and non-web links are reduced to their text: no <a> without a destination."""
    rendered = to_html(markdown)
    if html is not None:
        assert rendered == html
    assert rendered.count("<a ") == rendered.count('href="http'), rendered
    assert "<a>" not in rendered


def test_bracketed_citations_stay_text() -> None:
    assert to_html("- [3] A. Vaswani et al. \\[12\\] — why") == (
        "<ul>\n<li>[3] A. Vaswani et al. [12] — why</li>\n</ul>\n"
    )


def test_empty_markdown() -> None:
    assert to_html("") == ""


def test_a_numbered_list_keeps_its_first_number() -> None:
    assert to_html("3. three\n4. four") == '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>\n'
