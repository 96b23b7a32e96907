"""The options page's Preview of a template with nested loops: a 422 naming the line within seconds, not a
pinned core; the same for a summary request carrying that template."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arxivgpt.api import create_app
from arxivgpt.engine.fake import FakeEngine
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import FakeArxiv
from arxivgpt.settings import Settings
from arxivgpt.store import MemoryStore
from arxivgpt.summary import prompts
from tests.api.conftest import BASE_URL, BIBLIOGRAPHY, SECTIONS, metadata
from tests.support.latexml import latexml

pytestmark = pytest.mark.reliability

LOOPS = "{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}"
LOOPS += "{% endfor %}{% endfor %}{% endfor %}"
PROBLEM = f"the template did more than {prompts.MAX_RENDER_STEPS:,} steps; simplify its loops"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    arxiv = FakeArxiv()
    arxiv.add(metadata("2401.00001", "A paper"), html=latexml("A paper", BIBLIOGRAPHY, SECTIONS))
    app = create_app(
        Settings(data_dir=tmp_path), engine=FakeEngine(), resolver=PaperResolver(arxiv, MemoryStore())
    )
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("path", "template", "line"),
    [
        ("/v1/prompts/render", LOOPS, 1),
        ("/v1/prompts/render", "{{ title }}\n\n" + LOOPS, 3),
        ("/v1/summaries", "Summarise {{ title }}.\n" + LOOPS, 2),
    ],
)
def test_nested_loops_are_a_422_naming_the_line(
    client: TestClient, path: str, template: str, line: int
) -> None:
    started = time.monotonic()
    response = client.post(path, json={"template": template, "paper": "2401.00001"})
    assert time.monotonic() - started < prompts.MAX_RENDER_SECONDS + 2.0
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "template_error",
        "message": f"template line {line}: {PROBLEM}",
        "line": line,
    }
    assert client.get("/healthz").status_code == 200  # and nothing keeps the server busy
