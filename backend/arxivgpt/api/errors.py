"""Every error the API returns, mapped in one place to one JSON shape: `{"error": {"code", "message"}}`.

    TemplateError          422  template_error        (+ "line")
    ConversationNotFound   404  not_found
    InvalidInput           422  invalid_input         (and request validation; bad JSON: 400 invalid_json)
    PaperNotFound          404  not_found
    ModelServerError       502  model_server_error
    SourceUnavailable      503  upstream_unavailable
    ExtractionError        502  extraction_error
    QueueFull              429  queue_full            (+ Retry-After header)
    ModelLoadError         503  model_unavailable     (not loadable; the message says what to change)
    ModelError             500  model_error
    CacheFull              507  cache_full            (the disk holding the cache is full)
    CacheError             500  cache_error
    ShuttingDown           503  shutting_down         (+ Retry-After; a stream gets it as an `error` event)
    anything else          500  internal_error        ("internal error"; the traceback goes to the log only)

Once a summary stream has started (HTTP 200 sent), the same code and message go out as an `error` event.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from arxivgpt.errors import (
    ArxivGPTError,
    CacheError,
    CacheFull,
    ConversationNotFound,
    ExtractionError,
    InvalidInput,
    ModelError,
    ModelLoadError,
    ModelServerError,
    PaperNotFound,
    QueueFull,
    ShuttingDown,
    SourceUnavailable,
    TemplateError,
)

log = logging.getLogger(__name__)

# Most specific first: the first class the error is an instance of decides.
ERROR_TABLE: list[tuple[type[ArxivGPTError], int, str]] = [
    (TemplateError, 422, "template_error"),
    (ConversationNotFound, 404, "not_found"),
    (InvalidInput, 422, "invalid_input"),
    (PaperNotFound, 404, "not_found"),
    (ModelServerError, 502, "model_server_error"),
    (SourceUnavailable, 503, "upstream_unavailable"),
    (ExtractionError, 502, "extraction_error"),
    (QueueFull, 429, "queue_full"),
    (ModelLoadError, 503, "model_unavailable"),
    (ModelError, 500, "model_error"),
    (CacheFull, 507, "cache_full"),
    (CacheError, 500, "cache_error"),
    (ShuttingDown, 503, "shutting_down"),
]
SHUTDOWN_RETRY_AFTER = "10"
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


@dataclass
class ApiError:
    """One error as the API reports it: status, body and headers."""

    status: int
    code: str
    message: str
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status, headers=self.headers or None)


def describe(error: BaseException) -> ApiError:
    """How the API reports `error`; unknown exceptions are logged with their traceback and kept vague."""
    if isinstance(error, ArxivGPTError):
        status, code = next(((s, c) for kind, s, c in ERROR_TABLE if isinstance(error, kind)), (500, "error"))
        described = ApiError(status, code, str(error) or type(error).__name__)
        if isinstance(error, TemplateError):
            described.extra["line"] = error.line
        if isinstance(error, QueueFull):
            described.headers["Retry-After"] = str(error.retry_after)
        if isinstance(error, ShuttingDown):
            described.headers.update({"Retry-After": SHUTDOWN_RETRY_AFTER, "Connection": "close"})
        return described
    log.error("internal error: %r", error, exc_info=error)
    return ApiError(500, "internal_error", "internal error")


def validation_message(errors: Sequence[Any]) -> str:
    """Pydantic's error list as one line: `body.paper: Field required; body.stream: ...`."""
    parts = []
    for error in errors:
        where = ".".join(str(part) for part in error.get("loc", ()))
        parts.append(f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"


async def _arxivgpt_error(request: Request, error: Exception) -> JSONResponse:
    return describe(error).response()


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = error.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        detail = next(
            str(e.get("ctx", {}).get("error", "")) for e in errors if e.get("type") == "json_invalid"
        )
        message = f"the request body is not valid JSON{': ' + detail if detail else ''}"
        return ApiError(400, "invalid_json", message).response()
    return ApiError(422, "invalid_input", validation_message(errors)).response()


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    code = _HTTP_CODES.get(error.status_code, "http_error")
    headers = dict(error.headers) if error.headers else {}
    return ApiError(error.status_code, code, str(error.detail), headers=headers).response()


class CatchAll:
    """Outside the routes: an unexpected exception becomes a JSON 500 (logged once, not re-raised)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as error:
            if started:  # too late for a status code; let the server close the connection
                raise
            await describe(error).response()(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Register every handler; call after adding other middleware, so that CatchAll wraps it too."""
    app.add_exception_handler(ArxivGPTError, _arxivgpt_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_middleware(CatchAll)
