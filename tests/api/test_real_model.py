"""End to end with the real offline model: the API streams a grounded summary of a (small) paper."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arxivgpt.api import create_app
from arxivgpt.engine.local import TransformersEngine
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import FakeArxiv
from arxivgpt.settings import Settings
from arxivgpt.store import MemoryStore
from tests.api.conftest import BIBLIOGRAPHY, metadata
from tests.support.latexml import latexml

pytestmark = pytest.mark.slow


def sse(text: str) -> list[tuple[str, dict[str, object]]]:
    events = []
    for frame in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in frame.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


@pytest.fixture
def client(smollm2: TransformersEngine, tmp_path: Path) -> TestClient:
    arxiv = FakeArxiv()
    arxiv.add(metadata("2401.00001", "Residual attention"), html=latexml("Residual attention", BIBLIOGRAPHY))
    store = MemoryStore()
    settings = Settings(data_dir=tmp_path, max_new_tokens=48)
    app = create_app(settings, engine=smollm2, resolver=PaperResolver(arxiv, store), store=store)
    return TestClient(app, base_url="http://localhost")


def test_a_streamed_summary_from_the_real_model(client: TestClient) -> None:
    with client:
        response = client.post("/v1/summaries", json={"paper": "2401.00001", "stream": True})
        assert response.status_code == 200
        events = sse(response.text)
        names = [name for name, _ in events]
        assert names[0] == "meta" and names[-1] == "done" and set(names[1:-1]) == {"progress", "delta"}
        done = events[-1][1]
        assert done["summary"] and done["html"] and "<script" not in str(done["html"])
        assert all(reference["text"] in BIBLIOGRAPHY for reference in done["references"])  # type: ignore[index,union-attr]
        assert done["strategy"]["name"] == "full"  # type: ignore[index]
        assert done["structure"] == "parts" and done["parts"][0]["heading"] == "Summary"  # type: ignore[index]
        assert done["usage"]["completion_tokens"] > 0  # type: ignore[index]
        again = client.post("/v1/summaries", json={"paper": "2401.00001"}).json()
        assert again["cached"] is True
        assert again["summary"] == done["summary"]
