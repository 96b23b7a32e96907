"""Turn an arXiv LaTeXML HTML page (arxiv.org/html/<id>, ar5iv.labs.arxiv.org/html/<id>) into a `FullText`.

Each part of the paper (title, abstract, every top-level section, every bibliography entry) is rendered by
one recursive walk over its subtree that appends text to a buffer and cuts a paragraph at every
block-level element. Math becomes its LaTeX `alttext`, page chrome and LaTeXML failure markers are dropped,
tables keep only their captions, footnotes are kept inline in parentheses. Each paragraph of a section
keeps the id of the outermost element it starts (`S3.SS2.p1`, `S3.F2`) as its anchor: a URL fragment.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from lxml import etree, html
from lxml.html import HtmlElement

from arxivgpt.errors import HtmlExtractionError
from arxivgpt.papers.models import Anchor, FullText, Reference, Section

_USE_PDF = "Use the PDF version of the paper instead."

_DROP_TAGS = frozenset(
    {
        "script", "style", "button", "nav", "header", "footer", "img", "svg", "noscript", "iframe",
        "object", "canvas", "video", "audio", "form", "input", "select", "textarea", "dialog", "template",
    }
)  # fmt: skip
_DROP_CLASSES = frozenset(
    {
        "ltx_ERROR", "ltx_TOC", "ltx_page_navbar", "ltx_page_header", "ltx_page_footer", "ltx_page_logo",
        "ar5iv-footer", "package-alerts", "infobox", "ltx_note_mark", "ltx_note_type", "ltx_tag_note",
        "ltx_listing_data", "ltx_tabular", "ltx_graphics", "ltx_pagination", "ltx_rdf", "ltx_dates",
        "ltx_keywords", "ltx_classification", "ltx_tag_equation",
    }
)  # fmt: skip
_DROP_ROLES = frozenset({"status", "alert"})
_DROP_IDS = frozenset({"license-tr", "watermark-tr", "target-section"})
_HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCK_TAGS = _HEADING_TAGS | {
    "p", "div", "section", "article", "main", "aside", "figure", "figcaption", "blockquote", "center",
    "ul", "ol", "dl", "dt", "dd", "li", "table", "thead", "tbody", "tfoot", "tr", "pre", "hr",
}  # fmt: skip
# LaTeXML block classes that also appear on inline tags (span.ltx_p in minipages): keep words apart.
_SPACED_CLASSES = frozenset({"ltx_p", "ltx_para", "ltx_block", "ltx_inline-block", "ltx_td"})
_EQUATION_CLASSES = frozenset({"ltx_equation", "ltx_equationgroup"})
_TOP_SECTION_CLASSES = frozenset({"ltx_section", "ltx_appendix", "ltx_chapter"})
_FRONT_MATTER_CLASSES = frozenset({"ltx_note", "ltx_dates", "ltx_keywords", "ltx_classification"})

_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060-\u2064\ufeff]")
_WHITESPACE = re.compile(r"\s+")
_ARXIV_ID = r"(?:\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?![\d.])"
_PAGE_ID = re.compile(rf"(?:/(?:abs|html|pdf)/|arXiv:\s*)({_ARXIV_ID})")
_SUBJECT_CLASS = re.compile(r"^([a-z-]+)\.[A-Z]{2}/")
_TITLE_ID_PREFIX = re.compile(r"^\[[^\]]*\]\s*")


def extract_html(document: bytes | str) -> FullText:
    """Extract title, authors, abstract, sections and bibliography from an arXiv LaTeXML HTML page.

    Raises `HtmlExtractionError` when the document is empty, not HTML, an error page, or a LaTeXML
    page with neither an abstract nor any section text.
    """
    root = _parse(document)
    article = _find_article(root)
    parts = _Parts()
    _scan(article, parts, top=True)
    sections = [s for s in (_section(el, parts.bibliographies) for el in parts.sections) if s is not None]
    if not parts.sections:
        sections = _loose_section(parts)
    abstract = _block_text(parts.abstract) if parts.abstract is not None else ""
    if not abstract and not sections:
        raise HtmlExtractionError(
            "The arXiv HTML page has no abstract and no section text: LaTeXML's conversion of this paper "
            f"probably failed, so it is not a usable arXiv LaTeXML paper. {_USE_PDF}"
        )
    return FullText(
        title=_inline_text(parts.title, in_title=True) if parts.title is not None else _page_title(root),
        authors=_authors(parts.authors),
        abstract=abstract,
        sections=sections,
        references=_references(parts.bibliographies),
        arxiv_id=_arxiv_id(root),
        anchored=True,
    )


def _parse(document: bytes | str) -> HtmlElement:
    data = _to_utf8(document)
    head = data[:2048].lstrip()
    if not head:
        raise HtmlExtractionError(f"The document is empty, so it is not an arXiv LaTeXML paper. {_USE_PDF}")
    if head.startswith(b"%PDF"):
        raise HtmlExtractionError(
            "The document is a PDF, not an arXiv LaTeXML paper: extract it with the PDF extractor instead."
        )
    if b"<" not in head:
        kind = "JSON" if head[:1] in (b"{", b"[") else "plain text or binary data"
        raise HtmlExtractionError(
            f"The document is {kind}, not HTML, so it is not an arXiv LaTeXML paper. "
            f"The download may have returned an error instead of the page. {_USE_PDF}"
        )
    try:
        return html.document_fromstring(data, parser=html.HTMLParser(encoding="utf-8"))
    except (etree.ParserError, etree.XMLSyntaxError) as error:
        raise HtmlExtractionError(
            f"The document could not be parsed as HTML ({error}), so it is not an arXiv LaTeXML paper. "
            + _USE_PDF
        ) from error


def _to_utf8(document: bytes | str) -> bytes:
    """arXiv serves UTF-8; saying so avoids libxml2's Latin-1 default for pages without a charset."""
    if isinstance(document, str):
        return document.encode("utf-8", "replace")
    try:
        document.decode("utf-8")
    except UnicodeDecodeError:
        return document.decode("utf-8", "replace").encode("utf-8")
    return document


def _find_article(root: HtmlElement) -> HtmlElement:
    # arXiv's "conversion errors" banner also carries the ltx_document class; the paper is the <article>.
    candidates = [
        el
        for el in root.find_class("ltx_document")
        if "package-alerts" not in _classes(el) and el.get("role") not in _DROP_ROLES
    ]
    if not candidates:
        title = _page_title(root)
        shown = f' (page title: "{title[:80]}")' if title else ""
        raise HtmlExtractionError(
            f"The HTML document{shown} is not an arXiv LaTeXML paper: it has no LaTeXML document in it. "
            "It is probably an error or 'not found' page (arXiv has no HTML version of some papers). "
            + _USE_PDF
        )
    return next((el for el in candidates if el.tag == "article"), candidates[0])


@dataclass
class _Parts:
    title: HtmlElement | None = None
    authors: HtmlElement | None = None
    abstract: HtmlElement | None = None
    sections: list[HtmlElement] = field(default_factory=list)
    bibliographies: list[HtmlElement] = field(default_factory=list)
    loose: list[HtmlElement] = field(default_factory=list)


def _scan(el: HtmlElement, parts: _Parts, *, top: bool = False) -> None:
    """Find the article's parts without descending into sections (subsections stay inside them)."""
    for child in el:
        if not isinstance(child.tag, str) or child.tag == "math":
            continue
        classes = _classes(child)
        if "ltx_title_document" in classes and parts.title is None:
            parts.title = child
        elif "ltx_authors" in classes and parts.authors is None:
            parts.authors = child
        elif "ltx_abstract" in classes and parts.abstract is None:
            parts.abstract = child
        elif "ltx_bibliography" in classes:
            parts.bibliographies.append(child)
        elif child.tag == "section" and classes & _TOP_SECTION_CLASSES:
            parts.sections.append(child)
        else:
            if top and not classes & _FRONT_MATTER_CLASSES:
                parts.loose.append(child)
            _scan(child, parts)


def _section(el: HtmlElement, bibliographies: list[HtmlElement]) -> Section | None:
    heading = next((c for c in el if c.tag in _HEADING_TAGS), None)
    renderer = _Renderer(bibliographies=bibliographies)
    renderer.walk_children(el, skip=heading)
    text = renderer.text()
    if not renderer.has_content:
        return None
    return Section(title=_heading_title(heading), text=text, anchors=renderer.anchors())


def _loose_section(parts: _Parts) -> list[Section]:
    """A paper without \\section commands: its body is what the article holds outside the front matter."""
    renderer = _Renderer(bibliographies=parts.bibliographies)
    for el in parts.loose:
        renderer.walk(el)
    text = renderer.text()
    return [Section(title="Main text", text=text, anchors=renderer.anchors())] if renderer.has_content else []


def _heading_title(heading: HtmlElement | None) -> str:
    if heading is None:
        return "Untitled section"
    # "\section*{}" or a heading that is only its number: fall back to the number ("Appendix A").
    return _inline_text(heading, in_title=True) or _inline_text(heading) or "Untitled section"


class _Renderer:
    """Collects the text of a subtree as paragraphs; `has_content` is False when only headings were seen."""

    def __init__(self, *, in_title: bool = False, bibliographies: list[HtmlElement] | None = None) -> None:
        self.blocks: list[str] = []
        self.has_content = False
        self._buffer: list[str] = []
        self._in_title = in_title
        self._bibliographies = bibliographies
        self._marks: dict[int, str] = {}
        """Block index -> id of the outermost element that starts there."""

    def text(self, separator: str = "\n\n") -> str:
        self.flush()
        return separator.join(self.blocks)

    def anchors(self, separator: str = "\n\n") -> list[Anchor]:
        """Where `text(separator)`'s paragraphs start, for those that begin an element with an id."""
        self.flush()
        starts, at = [], 0
        for block in self.blocks:
            starts.append(at)
            at += len(block) + len(separator)
        return [Anchor(at=starts[i], id=self._marks[i]) for i in sorted(self._marks) if i < len(starts)]

    def _open(self, el: HtmlElement) -> None:
        """A block element begins: end the paragraph before it and remember its id for the next one."""
        self.flush()
        element_id = el.get("id")
        if element_id:
            self._marks.setdefault(len(self.blocks), element_id)

    def flush(self, *, heading: bool = False) -> None:
        text = _clean("".join(self._buffer))
        self._buffer.clear()
        if text:
            self.blocks.append(text)
            self.has_content = self.has_content or not heading

    def walk_children(self, el: HtmlElement, skip: HtmlElement | None = None) -> None:
        if el.text:
            self._buffer.append(el.text)
        for child in el:
            if child is not skip:
                self.walk(child)
            if child.tail:
                self._buffer.append(child.tail)

    def walk(self, el: HtmlElement) -> None:
        tag = el.tag
        if not isinstance(tag, str):
            return  # comment or processing instruction; its tail is the parent's business
        classes = _classes(el)
        if _dropped(el, tag, classes) or (self._in_title and classes & {"ltx_tag", "ltx_note"}):
            return
        if tag == "math":
            self._math(el)
        elif "ltx_bibliography" in classes:
            if self._bibliographies is not None and el not in self._bibliographies:
                self._bibliographies.append(el)
        elif "ltx_note" in classes:
            self._note(el)
        elif "ltx_listing" in classes:
            self._listing(el)
        elif classes & _EQUATION_CLASSES and tag in ("table", "tbody", "tr", "div"):
            self._open(el)
            self._equation(el)
        elif tag == "li":
            self._open(el)
            self._item(el)
        elif tag in _BLOCK_TAGS:
            self._open(el)
            self.walk_children(el)
            self.flush(heading=tag in _HEADING_TAGS)
        elif tag == "br" or classes & _SPACED_CLASSES:
            self._buffer.append(" ")
            self.walk_children(el)
            self._buffer.append(" ")
        else:
            self.walk_children(el)

    def _math(self, el: HtmlElement) -> None:
        latex = _latex(el)
        if not latex:
            return
        if el.get("display") == "block":
            self._display(latex)
        else:
            self._buffer.append(f"${latex}$")

    def _display(self, latex: str) -> None:
        self.flush()
        self._buffer.append(f"$${latex}$$")
        self.flush()

    def _equation(self, el: HtmlElement) -> None:
        """One `$$...$$` paragraph per equation row; align cells are joined, equation numbers dropped."""
        rows = [row for row in el.iter("tr") if next(row.iterdescendants("tr"), None) is None] or [el]
        for row in rows:
            latex = " ".join(filter(None, (_latex(math) for math in row.iter("math"))))
            if latex:
                self._display(latex)

    def _note(self, el: HtmlElement) -> None:
        inner = _Renderer()
        inner.walk_children(el)
        text = inner.text(" ")
        if text:
            self._buffer.append(f" ({text})")

    def _listing(self, el: HtmlElement) -> None:
        lines = []
        for line in el.iter():
            if "ltx_listingline" in _classes(line):
                # LaTeXML shows spaces inside listing strings as U+2423 (visible space).
                lines.append(_inline_text(line).replace("\u2423", " "))
        if not any(lines):
            self.walk_children(el)
            return
        self.flush()
        self.blocks.append("\n".join(line for line in lines if line))
        self.has_content = True

    def _item(self, el: HtmlElement) -> None:
        self.flush()
        start = len(self.blocks)
        label = next((c for c in el if "ltx_tag" in _classes(c)), None)
        self.walk_children(el, skip=label)
        self.flush()
        marker = _inline_text(label) if label is not None else ""
        if marker and len(self.blocks) > start:
            self.blocks[start] = f"{marker} {self.blocks[start]}"


def _dropped(el: HtmlElement, tag: str, classes: frozenset[str]) -> bool:
    return (
        tag in _DROP_TAGS
        or not classes.isdisjoint(_DROP_CLASSES)
        or el.get("role") in _DROP_ROLES
        or el.get("id") in _DROP_IDS
    )


def _latex(math: HtmlElement) -> str:
    """The TeX source of a <math>: `alttext`, else its x-tex annotation; never the MathML text."""
    alttext = math.get("alttext")
    if alttext is None:
        tex = (a.text for a in math.iter("annotation") if a.get("encoding") == "application/x-tex")
        alttext = next(tex, None)
    return _WHITESPACE.sub(" ", alttext or "").strip()


def _inline_text(el: HtmlElement, *, in_title: bool = False) -> str:
    renderer = _Renderer(in_title=in_title)
    renderer.walk_children(el)
    return renderer.text(" ")


def _block_text(el: HtmlElement) -> str:
    """Paragraphs of a block (the abstract) without its own LaTeXML heading ("Abstract")."""
    heading = next((c for c in el if c.tag in _HEADING_TAGS), None)
    renderer = _Renderer()
    renderer.walk_children(el, skip=heading)
    return renderer.text()


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", _WHITESPACE.sub(" ", _INVISIBLE.sub("", text)).strip())


def _classes(el: HtmlElement) -> frozenset[str]:
    value = el.get("class")
    return frozenset(value.split()) if value else frozenset()


def _page_title(root: HtmlElement) -> str:
    title = root.find(".//title")
    if title is None:
        return ""
    return _TITLE_ID_PREFIX.sub("", _clean(title.text_content()))


def _references(bibliographies: list[HtmlElement]) -> list[Reference]:
    references: list[Reference] = []
    for bibliography in bibliographies:
        for item in bibliography.iter("li"):
            if "ltx_bibitem" in _classes(item):
                references.append(_reference(item, len(references) + 1))
    return references


def _reference(item: HtmlElement, number: int) -> Reference:
    tag = next((c for c in item if "ltx_tag" in _classes(c)), None)
    key = _inline_text(tag) if tag is not None else ""
    if key.startswith("[") and key.endswith("]"):
        key = key[1:-1].strip()
    blocks = [c for c in item if "ltx_bibblock" in _classes(c)]
    if blocks:
        text = " ".join(filter(None, (_inline_text(block) for block in blocks)))
    else:
        renderer = _Renderer()
        renderer.walk_children(item, skip=tag)
        text = renderer.text(" ")
    return Reference(key=key or item.get("id") or str(number), text=text)


def _arxiv_id(root: HtmlElement) -> str | None:
    """The paper's own ID from the page chrome: watermark, page header, <base>, canonical link, og:url."""
    sources: list[str] = []
    watermark = root.get_element_by_id("watermark-tr", None)
    if watermark is not None:
        sources.append(watermark.text_content())
    sources.extend(header.text_content() for header in root.find_class("ltx_page_header"))
    head = root.find("head")
    for el in head if head is not None else ():
        if el.tag == "base" or (el.tag == "link" and el.get("rel") == "canonical"):
            sources.append(el.get("href") or "")
        elif el.tag == "meta" and el.get("property") == "og:url":
            sources.append(el.get("content") or "")
    found = [_SUBJECT_CLASS.sub(r"\1/", m.group(1)) for source in sources for m in _PAGE_ID.finditer(source)]
    return next((i for i in found if re.search(r"v\d+$", i)), found[0] if found else None)


# Words that mark a line of an author block as an affiliation, not a name.
_AFFILIATION_WORDS = frozenset(
    {
        "university", "universität", "université", "universidad", "universita", "institute", "institut",
        "instituto", "laboratory", "laboratories", "lab", "labs", "department", "dept", "school", "college",
        "faculty", "center", "centre", "inc", "corp", "corporation", "ltd", "llc", "gmbh", "research",
        "academy", "hospital", "foundation", "group", "team", "company", "technology", "technologies",
        "science", "sciences", "google", "microsoft", "meta", "deepmind", "openai", "anthropic", "nvidia",
        "amazon", "apple", "ibm", "intel", "alibaba", "tencent", "baidu", "huawei", "bytedance", "national",
        "ministry", "email", "equal", "contribution", "correspondence", "corresponding", "author", "authors",
        "affiliation",
    }
)  # fmt: skip
_NAME_PARTICLES = frozenset(
    {"de", "del", "della", "der", "den", "di", "da", "dos", "das", "du", "van", "von", "la", "le", "ter"}
)
_NAME_SEPARATORS = re.compile(r"(?:\s*(?:[,;&\u2002-\u2008\u3000]|\band\b)\s*)+")
_NAME_MARKS = "*†‡§¶∗⋆♯♮♭#∘◇⋄0123456789 "
_AUTHOR_SKIP_CLASSES = frozenset(
    {"ltx_note", "ltx_contact", "ltx_author_notes", "ltx_role_affiliation", "ltx_role_email", "ltx_ERROR"}
)
_AUTHOR_CELL_TAGS = frozenset({"div", "p", "td", "tr", "table"})
_AUTHOR_CELL_CLASSES = frozenset({"ltx_td", "ltx_tr", "ltx_p"})


def _authors(block: HtmlElement | None) -> list[str]:
    """Best effort: names line by line until a line that holds no name (affiliations, emails) starts."""
    if block is None:
        return []
    names: list[str] = []
    for person in block.find_class("ltx_personname"):
        raw: list[str] = []
        _author_text(person, raw)
        for cell in "".join(raw).split("\f"):
            names.extend(_names_in_cell(cell))
    return list(dict.fromkeys(names))


def _author_text(el: HtmlElement, out: list[str]) -> None:
    """Raw text with superscripts dropped, "\\n" for line breaks and "\\f" around table/block cells."""
    if el.text:
        out.append(el.text)
    for child in el:
        tag, classes = child.tag, _classes(child)
        if isinstance(tag, str) and tag not in ("sup", "math") and classes.isdisjoint(_AUTHOR_SKIP_CLASSES):
            cell = tag in _AUTHOR_CELL_TAGS or not classes.isdisjoint(_AUTHOR_CELL_CLASSES)
            out.append("\f" if cell else "\n" if tag == "br" else "")
            _author_text(child, out)
            out.append("\f" if cell else "")
        if child.tail:
            out.append(child.tail)


def _names_in_cell(cell: str) -> list[str]:
    names: list[str] = []
    for line in cell.split("\n"):
        candidates = [_clean(c).strip(_NAME_MARKS) for c in _NAME_SEPARATORS.split(_INVISIBLE.sub("", line))]
        candidates = [c for c in candidates if c]
        if not candidates:
            continue
        found = [c for c in candidates if _looks_like_name(c)]
        if not found:
            break
        names.extend(found)
    return names


def _looks_like_name(text: str) -> bool:
    tokens = text.split()
    if not 2 <= len(tokens) <= 5 or any(ch.isdigit() or ch in "@()[]{}:/|" for ch in text):
        return False
    for token in tokens:
        lowered = token.lower().strip(".,")
        if lowered in _AFFILIATION_WORDS:
            return False
        if lowered in _NAME_PARTICLES:
            continue
        # A capitalised word; not an acronym like "AI" or "UK" (initials such as "J.R." keep their dots).
        if not token[0].isupper() or (len(token) > 1 and token.isalpha() and token.isupper()):
            return False
    return True
