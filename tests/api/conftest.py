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
from tests.support.latexml import latexml

BASE_URL = "http://localhost"
SECTIONS = ("Introduction", "Conclusion")
BIBLIOGRAPHY = [
    "A. Vaswani et al. Attention is all you need. NeurIPS, 2017.",
    "K. He et al. Deep residual learning for image recognition. CVPR, 2016.",
    "T. Brown et al. Language models are few-shot learners. NeurIPS, 2020.",
]
# The default template primes the answer with "## Summary\n" (its answer_prefix); the model writes the rest.
PREFIX = "## Summary\n"
REPLY = (
    "We show things [1].\n\n## Key insights\n- Residual links help [2]; so does magic [99].\n"
    "<script>alert('x')</script>\n\n## Questions\n- Why?\n\n## Future directions\n- More.\n\n"
    "## References\n- [1] it started this\n- [2] depth\n"
)


def metadata(paper_id: str, title: str) -> Metadata:
    return Metadata(id=paper_id, version=1, title=title, authors=["A. Author"], abstract="Short abstract.")


@pytest.fixture
def arxiv() -> FakeArxiv:
    fake = FakeArxiv()
    fake.add(metadata("2401.00001", "A paper"), html=latexml("A paper", BIBLIOGRAPHY, SECTIONS))
    fake.add(
        metadata("2401.00002", "Another paper"), html=latexml("Another paper", BIBLIOGRAPHY[:1], SECTIONS)
    )
    fake.add(
        metadata("hep-th/9901001", "An old paper"), html=latexml("An old paper", BIBLIOGRAPHY[1:], SECTIONS)
    )
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
