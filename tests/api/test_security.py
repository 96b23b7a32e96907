"""Only this machine's tools may call the API: Host, Origin, content type and the optional bearer token."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from arxivgpt.api import create_app
from arxivgpt.api.security import host_name, is_loopback
from arxivgpt.errors import InvalidInput
from arxivgpt.settings import UNPACKED_EXTENSION_ID, Settings
from tests.api.conftest import BASE_URL, AppFactory
from tests.conftest import REPO

PAPER = {"paper": "2401.00001"}


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("localhost", True),
        ("localhost:8765", True),
        ("LOCALHOST:8765", True),
        ("127.0.0.1:8765", True),
        ("[::1]:8765", True),
        ("[::1]", True),
        ("evil.example", False),
        ("evil.example:8765", False),
        ("localhost.evil.example", False),
        ("127.0.0.2", False),
        ("", False),
    ],
)
def test_host_header_must_be_loopback(client: TestClient, host: str, allowed: bool) -> None:
    response = client.get("/healthz", headers={"Host": host})
    if allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"


def test_the_bound_host_is_allowed_too(make_app: AppFactory) -> None:
    app = make_app(host="127.0.0.5")
    with TestClient(app, base_url="http://127.0.0.5:8765") as client:
        assert client.get("/healthz").status_code == 200


def test_binding_everywhere_needs_a_token_and_then_any_host_may_ask(make_app: AppFactory) -> None:
    with pytest.raises(InvalidInput, match=r"ARXIVGPT_API_TOKEN is required when binding to 0\.0\.0\.0"):
        make_app(host="0.0.0.0")
    with pytest.raises(InvalidInput, match="ARXIVGPT_API_TOKEN is required"):
        create_app(Settings(host="192.168.1.20", api_token=""))
    app = make_app(host="0.0.0.0", api_token="s3cret")
    with TestClient(app, base_url="http://192.168.1.20:8765") as client:
        assert client.get("/v1/models").status_code == 401
        ok = client.get("/v1/models", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (f"chrome-extension://{UNPACKED_EXTENSION_ID}", True),  # this extension, unpacked (the default)
        ("chrome-extension://abcdefghijklmnopabcdefghijklmnop", False),  # any other extension
        ("moz-extension://0b7e4f4e-1111-2222-3333-444455556666", False),
        (f"chrome-extension://{UNPACKED_EXTENSION_ID}.evil.example", False),
        ("http://localhost", True),  # same origin as the request: the /docs page
        ("https://evil.example", False),
        ("http://evil.example", False),
        ("http://localhost:3000", False),
        ("null", False),
    ],
)
def test_web_origins_are_refused(client: TestClient, origin: str, allowed: bool) -> None:
    response = client.post("/v1/summaries", json=PAPER, headers={"Origin": origin})
    assert response.status_code == (200 if allowed else 403), response.text
    if not allowed:
        message = response.json()["error"]["message"]
        assert ("ARXIVGPT_EXTENSION_ID" if "-extension:" in origin else "web pages") in message, message
        assert "access-control-allow-origin" not in response.headers


def test_another_extension_is_told_which_setting_allows_it(client: TestClient) -> None:
    origin = "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
    response = client.post("/v1/summaries", json=PAPER, headers={"Origin": origin})
    assert response.status_code == 403
    assert "ARXIVGPT_EXTENSION_ID" in response.json()["error"]["message"]


def test_the_allowed_extension_ids_are_configurable(make_app: AppFactory) -> None:
    published = "abcdefghijklmnopabcdefghijklmnop"
    app = make_app(extension_id=f"{published},{UNPACKED_EXTENSION_ID}")
    with TestClient(app, base_url=BASE_URL) as client:
        for extension in (published, UNPACKED_EXTENSION_ID):
            headers = {"Origin": f"chrome-extension://{extension}"}
            assert client.get("/v1/models", headers=headers).status_code == 200
    only = make_app(extension_id=published)
    with TestClient(only, base_url=BASE_URL) as client:
        headers = {"Origin": f"chrome-extension://{UNPACKED_EXTENSION_ID}"}
        assert client.get("/v1/models", headers=headers).status_code == 403


@pytest.mark.parametrize(
    "value", ["", "ABCDEFGHIJKLMNOPABCDEFGHIJKLMNOP", "abc", "abcdefghijklmnopabcdefghijklmnoz"]
)
def test_a_malformed_extension_id_is_refused_at_start(value: str) -> None:
    with pytest.raises(ValidationError, match="extension_id"):
        Settings(extension_id=value)


def test_the_manifest_key_gives_the_default_extension_id() -> None:
    """The default allows the unpacked extension because its manifest `key` fixes its ID (Chrome derives the
    ID from the SHA-256 of that public key: the first 32 hex digits, written with the letters a-p)."""
    manifest = json.loads((REPO / "extension" / "manifest.json").read_text())
    digest = hashlib.sha256(base64.b64decode(manifest["key"])).hexdigest()[:32]
    assert "".join(chr(ord("a") + int(c, 16)) for c in digest) == UNPACKED_EXTENSION_ID


def test_cors_preflight_from_a_web_page_is_refused(client: TestClient) -> None:
    response = client.options(
        "/v1/summaries",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/x-www-form-urlencoded", 415),
        ("multipart/form-data; boundary=x", 415),
        ("text/plain", 415),
        (None, 415),
        ("application/json; charset=utf-8", 200),
        ("Application/JSON", 200),
    ],
)
def test_post_bodies_must_be_json(client: TestClient, content_type: str | None, status: int) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/v1/summaries", content=b'{"paper": "2401.00001"}', headers=headers)
    assert response.status_code == status, response.text
    if status == 415:
        assert response.json()["error"]["code"] == "unsupported_media_type"


def test_a_form_post_is_refused(client: TestClient) -> None:
    response = client.post("/v1/summaries", data={"paper": "2401.00001"})
    assert response.status_code == 415


@pytest.fixture
def token_client(make_app: AppFactory) -> Any:
    with TestClient(make_app(api_token="s3cret"), base_url=BASE_URL) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/models"), ("GET", "/docs"), ("GET", "/openapi.json"), ("POST", "/v1/summaries")],
)
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "s3cret", "Basic czNjcmV0", "Bearer "])
def test_a_configured_token_is_required(
    token_client: TestClient, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = token_client.request(method, path, json=PAPER if method == "POST" else None, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthorized"


def test_the_right_token_passes_and_healthz_needs_none(token_client: TestClient) -> None:
    auth = {"Authorization": "Bearer s3cret"}
    assert token_client.get("/v1/models", headers=auth).status_code == 200
    assert token_client.post("/v1/summaries", json=PAPER, headers=auth).status_code == 200
    assert token_client.get("/healthz").status_code == 200


@pytest.mark.parametrize(
    ("header", "name"),
    [("localhost:8765", "localhost"), ("[::1]:1", "::1"), ("::1", "::1"), ("Example.COM", "example.com")],
)
def test_host_name(header: str, name: str) -> None:
    assert host_name(header) == name


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("192.168.1.2", False), ("example.com", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serve_runs_one_uvicorn_worker_on_the_configured_address(monkeypatch: pytest.MonkeyPatch) -> None:
    from arxivgpt.api import server

    configs: list[Any] = []

    async def serve(self: server._Server, sockets: Any = None) -> None:
        configs.append(self.config)

    monkeypatch.setattr(server._Server, "serve", serve)
    server.serve(Settings(host="127.0.0.1", port=9876))
    [config] = configs
    assert isinstance(config.app, FastAPI)
    assert (config.host, config.port, config.workers) == ("127.0.0.1", 9876, 1)
    assert config.timeout_graceful_shutdown == server.GRACEFUL_SECONDS  # no connection holds the exit
    with pytest.raises(InvalidInput, match="ARXIVGPT_API_TOKEN"):
        server.serve(Settings(host="0.0.0.0"))
    assert len(configs) == 1
