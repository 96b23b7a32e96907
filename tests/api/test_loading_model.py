"""The API answers while its model loads: /healthz says so, a summary waits for the model, a failed load
says why."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from arxivgpt.api import create_app
from arxivgpt.engine.background import BackgroundEngine
from arxivgpt.engine.base import Engine
from arxivgpt.engine.fake import FakeEngine
from arxivgpt.errors import ModelLoadError
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import FakeArxiv
from arxivgpt.settings import Settings
from arxivgpt.store import MemoryStore
from tests.api.conftest import BASE_URL, parse_sse


def test_a_summary_asked_while_the_model_loads_waits_for_it(
    settings: Settings, arxiv: FakeArxiv, store: MemoryStore
) -> None:
    release = threading.Event()

    def build(chosen: Callable[[str], None]) -> Engine:
        assert release.wait(10)
        return FakeEngine()

    engine = BackgroundEngine(build, "smollm2-135m")
    app = create_app(settings, engine=engine, resolver=PaperResolver(arxiv, store))
    with TestClient(app, base_url=BASE_URL) as client:
        health = client.get("/healthz").json()
        assert (health["status"], health["model"]) == ("loading", "smollm2-135m")
        assert health["message"].startswith("loading and warming up the model")
        responses: list[httpx.Response] = []
        asking = threading.Thread(
            target=lambda: responses.append(
                client.post("/v1/summaries", json={"paper": "2401.00001", "stream": True})
            )
        )
        asking.start()
        asking.join(0.3)
        assert asking.is_alive(), "the summary waits for the model"
        release.set()
        asking.join(30)
        assert responses[0].status_code == 200
        events = [name for name, _ in parse_sse(responses[0].text)]
        assert events[0] == "meta" and events[-1] == "done"
        assert client.get("/healthz").json() == {"status": "ok", "model": "fake"}
        assert client.get("/v1/models").json()["model"] == "fake"


def test_a_model_that_cannot_load_is_reported_by_healthz_and_every_summary(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", model=str(tmp_path / "missing.gguf"))
    with TestClient(create_app(settings), base_url=BASE_URL) as client:  # the real start-up path
        engine = client.app.state.engine
        assert isinstance(engine, BackgroundEngine)
        with pytest.raises(ModelLoadError):
            engine.wait(timeout=60)
        health = client.get("/healthz").json()
        assert health["status"] == "failed"
        assert "missing.gguf': no such model file or folder" in health["message"]
        response = client.post("/v1/summaries", json={"paper": "2401.00001"})
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "model_unavailable" and "no such model file" in error["message"]
