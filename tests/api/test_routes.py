"""Papers, prompts, models, health, docs, and the one error shape for everything else."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from arxivgpt.api.errors import ApiError, describe
from arxivgpt.cli.paper import paper_json
from arxivgpt.engine.presets import PRESETS
from arxivgpt.errors import (
    CacheError,
    HtmlExtractionError,
    InvalidPaperId,
    ModelLoadError,
    ModelServerError,
    PaperNotFound,
    QueueFull,
    SourceUnavailable,
    TemplateError,
)
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import FakeArxiv
from arxivgpt.store import MemoryStore
from tests.api.conftest import BIBLIOGRAPHY


@pytest.mark.parametrize(
    ("path", "paper_id"),
    [
        ("/v1/papers/2401.00001", "2401.00001"),
        ("/v1/papers/hep-th/9901001", "hep-th/9901001"),
        ("/v1/papers/hep-th/9901001v1", "hep-th/9901001"),
        ("/v1/papers/https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001"),
        ("/v1/papers/arXiv:2401.00001v1", "2401.00001"),
    ],
)
def test_papers_by_id_or_url(client: TestClient, arxiv: FakeArxiv, path: str, paper_id: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text
    paper = response.json()
    assert paper == paper_json(PaperResolver(arxiv, MemoryStore()).resolve(paper_id)) | {
        "cached": paper["cached"]
    }
    assert paper["id"] == paper_id and paper["source"] == "html"
    assert [ref["text"] for ref in paper["references"]] == (
        BIBLIOGRAPHY if paper_id == "2401.00001" else BIBLIOGRAPHY[1:]
    )


def test_papers_abstract_only(client: TestClient, arxiv: FakeArxiv) -> None:
    paper = client.get("/v1/papers/2401.00001", params={"source": "abstract"}).json()
    assert (paper["source"], paper["sections"], paper["references"]) == ("abstract", [], [])
    assert arxiv.requests == ["metadata 2401.00001"]
    assert client.get("/v1/papers/2401.00001", params={"source": "pdf"}).status_code == 422


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/v1/papers/2401.99999", 404, "not_found"),
        ("/v1/papers/nonsense", 422, "invalid_input"),
        ("/v1/papers//etc/passwd", 422, "invalid_input"),
    ],
)
def test_paper_errors(client: TestClient, path: str, status: int, code: str) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_default_prompt(client: TestClient) -> None:
    body = client.get("/v1/prompts/default").json()
    assert "{{ body }}" in body["template"]
    assert {"title", "body", "references", "language", "abstract", "sections"} <= set(body["variables"])


def test_render_a_prompt_with_the_real_paper(client: TestClient, engine: Any) -> None:
    template = (
        "{{ title }} in {{ language }}\n"
        "{% for r in references %}[{{ r.n }}] {{ r.text }}\n{% endfor %}{{ body }}"
    )
    response = client.post(
        "/v1/prompts/render", json={"template": template, "paper": "2401.00001", "language": "Deutsch"}
    )
    assert response.status_code == 200, response.text
    prompt = response.json()["prompt"]
    assert prompt.startswith("A paper in Deutsch\n[1] A. Vaswani")
    assert f"[3] {BIBLIOGRAPHY[2]}" in prompt
    assert "## Abstract\n\nShort abstract." in prompt
    assert "## Introduction\n\nIntroduction text that matters." in prompt
    assert engine.prompts == []


def test_render_the_default_template(client: TestClient) -> None:
    template = client.get("/v1/prompts/default").json()["template"]
    prompt = client.post("/v1/prompts/render", json={"template": template, "paper": "hep-th/9901001"}).json()
    assert "An old paper" in prompt["prompt"] and "Conclusion text that matters." in prompt["prompt"]


@pytest.mark.parametrize(
    ("template", "line", "message"),
    [
        ("fine\n{% if %}", 2, "template line 2:"),
        ("one\ntwo\n{{ titel }}", 3, "template line 3: 'titel' is undefined"),
        ("{{ ''.__class__.__mro__ }}", 1, "template line 1:"),
    ],
)
def test_render_errors_name_the_line(client: TestClient, template: str, line: int, message: str) -> None:
    response = client.post("/v1/prompts/render", json={"template": template, "paper": "2401.00001"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["line"]) == ("template_error", line)
    assert error["message"].startswith(message)


def test_render_needs_a_known_paper(client: TestClient) -> None:
    response = client.post("/v1/prompts/render", json={"template": "{{ title }}", "paper": "2401.99999"})
    assert response.status_code == 404


def test_models(client: TestClient) -> None:
    body = client.get("/v1/models").json()
    assert (body["model"], body["configured"], body["context_length"]) == ("fake", "auto", 4096)
    assert [p["name"] for p in body["presets"]] == list(PRESETS)
    vicuna = next(p for p in body["presets"] if p["name"] == "vicuna-7b")
    assert vicuna == {
        "name": "vicuna-7b",
        "model": "lmsys/vicuna-7b-v1.5",
        "context_length": 4096,
        "precision": "int8",
        "description": PRESETS["vicuna-7b"].description,
    }


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "model": "fake"}


def test_docs_and_openapi(client: TestClient) -> None:
    assert "swagger" in client.get("/docs").text.lower()
    schema = client.get("/openapi.json").json()
    assert {"/v1/summaries", "/v1/papers/{paper_id}", "/v1/prompts/default", "/v1/prompts/render"} <= set(
        schema["paths"]
    )
    summary = schema["paths"]["/v1/summaries"]["post"]["responses"]["200"]["content"]
    assert {"application/json", "text/event-stream"} <= set(summary)


def test_unknown_routes_and_methods_have_the_same_error_shape(client: TestClient) -> None:
    missing = client.get("/v2/nothing")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "Not Found"}}
    wrong = client.get("/v1/summaries")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


def test_malformed_json_is_400_and_bad_fields_422(client: TestClient) -> None:
    broken = client.post("/v1/summaries", content=b'{"paper": ', headers={"Content-Type": "application/json"})
    assert broken.status_code == 400
    assert broken.json()["error"]["code"] == "invalid_json"
    missing = client.post("/v1/summaries", json={})
    assert missing.status_code == 422
    assert missing.json() == {"error": {"code": "invalid_input", "message": "body.paper: Field required"}}


def test_unexpected_errors_are_500_without_details(client: TestClient, arxiv: FakeArxiv) -> None:
    arxiv.failures["metadata"] = KeyError("/home/someone/secret")
    response = client.get("/v1/papers/2401.00001")
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal_error", "message": "internal error"}}


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (TemplateError("'x' is undefined", 4), 422, "template_error"),
        (InvalidPaperId("bad id"), 422, "invalid_input"),
        (PaperNotFound("no such paper"), 404, "not_found"),
        (SourceUnavailable("arXiv is down"), 503, "upstream_unavailable"),
        (ModelServerError("vLLM is down"), 502, "model_server_error"),
        (HtmlExtractionError("garbled"), 502, "extraction_error"),
        (QueueFull("busy", retry_after=12), 429, "queue_full"),
        (ModelLoadError("set ARXIVGPT_PRECISION=nf4"), 503, "model_unavailable"),
        (CacheError("cache is locked"), 500, "cache_error"),
        (ValueError("secret"), 500, "internal_error"),
    ],
)
def test_the_error_table(error: Exception, status: int, code: str) -> None:
    described: ApiError = describe(error)
    assert (described.status, described.code) == (status, code)
    if code != "internal_error":
        assert described.message == str(error)
    assert described.headers == ({"Retry-After": "12"} if code == "queue_full" else {})
    assert ("line" in described.body["error"]) is (code == "template_error")
