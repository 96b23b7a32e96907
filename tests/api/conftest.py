"""The API over a scripted model and an in-memory arXiv: no network, no model, fast."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from arxivgpt.api import create_app
from arxivgpt.engine.fake import FakeEngine
from arxivgpt.papers.models import Metadata
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import FakeArxiv
from arxivgpt.settings import Settings
from arxivgpt.store import MemoryStore

BASE_URL = "http://localhost"
BIBLIOGRAPHY = [
    "A. Vaswani et al. Attention is all you need. NeurIPS, 2017.",
    "K. He et al. Deep residual learning for image recognition. CVPR, 2016.",
    "T. Brown et al. Language models are few-shot learners. NeurIPS, 2020.",
]
REPLY = (
    "## Summary\nWe show things [1].\n\n## Key insights\n- Residual links help [2]; so does magic [99].\n"
    "<script>alert('x')</script>\n\n## Questions\n- Why?\n\n## Future directions\n- More.\n\n"
    "## References\n- [1] it started this\n- [2] depth\n"
)


def latexml(title: str, bibliography: list[str]) -> bytes:
    """A small arXiv LaTeXML page: abstract, two sections and a bibliography of `li.ltx_bibitem` entries."""
    items = "".join(
        f'<li class="ltx_bibitem" id="bib.bib{n}"><span class="ltx_tag ltx_tag_bibitem">[{n}]</span>'
        f'<span class="ltx_bibblock">{text}</span></li>'
        for n, text in enumerate(bibliography, start=1)
    )
    bib = f'<section class="ltx_bibliography"><ul class="ltx_biblist">{items}</ul></section>' if items else ""
    sections = "".join(
        f'<section class="ltx_section" id="S{n}"><h2 class="ltx_title ltx_title_section">'
        f'<span class="ltx_tag ltx_tag_section">{n} </span>{name}</h2>'
        f'<div class="ltx_para"><p class="ltx_p">{name} text that matters.</p></div></section>'
        for n, name in enumerate(["Introduction", "Conclusion"], start=1)
    )
    return (
        '<html><body><article class="ltx_document">'
        f'<h1 class="ltx_title ltx_title_document">{title}</h1>'
        f'<div class="ltx_abstract"><p class="ltx_p">Short abstract.</p></div>{sections}{bib}'
        "</article></body></html>"
    ).encode()


def metadata(paper_id: str, title: str) -> Metadata:
    return Metadata(id=paper_id, version=1, title=title, authors=["A. Author"], abstract="Short abstract.")


@pytest.fixture
def arxiv() -> FakeArxiv:
    fake = FakeArxiv()
    fake.add(metadata("2401.00001", "A paper"), html=latexml("A paper", BIBLIOGRAPHY))
    fake.add(metadata("2401.00002", "Another paper"), html=latexml("Another paper", BIBLIOGRAPHY[:1]))
    fake.add(metadata("hep-th/9901001", "An old paper"), html=latexml("An old paper", BIBLIOGRAPHY[1:]))
    return fake


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


AppFactory = Callable[..., FastAPI]


@pytest.fixture
def make_app(settings: Settings, engine: FakeEngine, arxiv: FakeArxiv, store: MemoryStore) -> AppFactory:
    """`make_app(**settings_changes)`: the app over the fixtures' fake engine, arXiv and store."""

    def make(**changes: Any) -> FastAPI:
        configured = settings.model_copy(update=changes)
        return create_app(configured, engine=engine, resolver=PaperResolver(arxiv, store))

    return make


@pytest.fixture
def client(make_app: AppFactory) -> Iterator[TestClient]:
    with TestClient(make_app(), base_url=BASE_URL) as test_client:
        yield test_client


@asynccontextmanager
async def async_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the app in this event loop, with its lifespan run (for concurrent requests)."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            yield http


def parse_sse(text: str) -> list[tuple[str, Any]]:
    """`event: NAME\\ndata: JSON\\n\\n` blocks to (name, data); fails on anything not framed that way."""
    assert text.endswith("\n\n"), text[-200:]
    events = []
    for block in text[:-2].split("\n\n"):
        lines = block.split("\n")
        assert len(lines) == 2 and lines[0].startswith("event: ") and lines[1].startswith("data: "), block
        events.append((lines[0].removeprefix("event: "), json.loads(lines[1].removeprefix("data: "))))
    return events
