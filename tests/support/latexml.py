"""Small arXiv LaTeXML pages for tests that need a paper but not a real one."""

from __future__ import annotations

from collections.abc import Sequence


def latexml(
    title: str = "A paper",
    bibliography: Sequence[str] = (),
    sections: Sequence[str] = ("Introduction", "Method", "Conclusion"),
    abstract: str = "The abstract.",
) -> bytes:
    """A page with an abstract, one paragraph per section ("<Name> text that matters.") and a bibliography."""
    items = "".join(
        f'<li class="ltx_bibitem" id="bib.bib{n}"><span class="ltx_tag ltx_tag_bibitem">[{n}]</span>'
        f'<span class="ltx_bibblock">{text}</span></li>'
        for n, text in enumerate(bibliography, start=1)
    )
    bib = f'<section class="ltx_bibliography"><ul class="ltx_biblist">{items}</ul></section>' if items else ""
    body = "".join(
        f'<section class="ltx_section" id="S{n}"><h2 class="ltx_title ltx_title_section">'
        f'<span class="ltx_tag ltx_tag_section">{n} </span>{name}</h2>'
        f'<div class="ltx_para"><p class="ltx_p">{name} text that matters.</p></div></section>'
        for n, name in enumerate(sections, start=1)
    )
    return (
        '<html><body><article class="ltx_document">'
        f'<h1 class="ltx_title ltx_title_document">{title}</h1>'
        f'<div class="ltx_abstract"><p class="ltx_p">{abstract}</p></div>{body}{bib}'
        "</article></body></html>"
    ).encode()
