from __future__ import annotations

import pytest

from arxivgpt.engine.fake import FakeEngine
from arxivgpt.papers.models import Metadata
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import FakeArxiv
from arxivgpt.settings import Settings
from arxivgpt.store import MemoryStore
from arxivgpt.summary.pipeline import Summarizer
from tests.support.latexml import latexml

BIBLIOGRAPHY = [
    "A. Author. Attention is all you need. NeurIPS, 2017.",
    "B. Author. Deep residual learning. CVPR, 2016.",
    "C. Author. Language models are few-shot learners. NeurIPS, 2020.",
]


@pytest.fixture
def arxiv() -> FakeArxiv:
    fake = FakeArxiv()
    meta = Metadata(
        id="2401.00001", version=1, title="A paper", authors=["A. Author"], abstract="The abstract."
    )
    fake.add(meta, html=latexml(bibliography=BIBLIOGRAPHY))
    fake.add(meta.model_copy(update={"id": "2401.00002", "title": "No refs"}), html=latexml())
    return fake


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def summarizer(arxiv: FakeArxiv, engine: FakeEngine) -> Summarizer:
    store = MemoryStore()
    return Summarizer(PaperResolver(arxiv, store), engine, store, Settings(max_queue=1))
