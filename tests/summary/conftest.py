from __future__ import annotations

import pytest

from arxivgpt.engine.fake import FakeEngine
from arxivgpt.papers.models import Metadata
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import FakeArxiv
from arxivgpt.settings import Settings
from arxivgpt.store import MemoryStore
from arxivgpt.summary.pipeline import Summarizer

BIBLIOGRAPHY = [
    "A. Author. Attention is all you need. NeurIPS, 2017.",
    "B. Author. Deep residual learning. CVPR, 2016.",
    "C. Author. Language models are few-shot learners. NeurIPS, 2020.",
]


def latexml(title: str = "A paper", bibliography: list[str] | None = None) -> bytes:
    """A small arXiv LaTeXML page: abstract, three sections and (optionally) a bibliography."""
    items = "".join(
        f'<li class="ltx_bibitem" id="bib.bib{n}"><span class="ltx_tag ltx_tag_bibitem">[{n}]</span>'
        f'<span class="ltx_bibblock">{text}</span></li>'
        for n, text in enumerate(bibliography if bibliography is not None else BIBLIOGRAPHY, start=1)
    )
    sections = "".join(
        f'<section class="ltx_section" id="S{n}"><h2 class="ltx_title ltx_title_section">'
        f'<span class="ltx_tag ltx_tag_section">{n} </span>{name}</h2>'
        f'<div class="ltx_para"><p class="ltx_p">{name} text of the paper, with enough words to matter.</p>'
        "</div>"
        "</section>"
        for n, name in enumerate(["Introduction", "Method", "Conclusion"], start=1)
    )
    bib = f'<section class="ltx_bibliography"><ul class="ltx_biblist">{items}</ul></section>' if items else ""
    return (
        f'<html><body><article class="ltx_document"><h1 class="ltx_title ltx_title_document">{title}</h1>'
        f'<div class="ltx_abstract"><p class="ltx_p">The abstract.</p></div>{sections}{bib}'
        "</article></body></html>"
    ).encode()


@pytest.fixture
def arxiv() -> FakeArxiv:
    fake = FakeArxiv()
    meta = Metadata(
        id="2401.00001", version=1, title="A paper", authors=["A. Author"], abstract="The abstract."
    )
    fake.add(meta, html=latexml())
    fake.add(meta.model_copy(update={"id": "2401.00002", "title": "No refs"}), html=latexml(bibliography=[]))
    return fake


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def summarizer(arxiv: FakeArxiv, engine: FakeEngine) -> Summarizer:
    store = MemoryStore()
    return Summarizer(PaperResolver(arxiv, store), engine, store, Settings(max_queue=1))
