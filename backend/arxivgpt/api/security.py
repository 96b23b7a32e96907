"""Who may call the API: a local server must not be reachable from web pages the user happens to visit.

    Host        only the bound host, localhost, 127.0.0.1 or [::1] (DNS rebinding); 403
    Origin      web origins (http, https, null) and other extensions are refused; this extension's
                `chrome-extension://<ARXIVGPT_EXTENSION_ID>` and same-origin pages (/docs) pass; 403
    Token       with ARXIVGPT_API_TOKEN set, `Authorization: Bearer <token>` everywhere but /healthz; 401
    JSON only   POST/PUT/PATCH bodies must be application/json (no cross-site form posts); 415

There is deliberately no CORS middleware: browsers get no permission to read responses from other origins.
When the server binds to every interface (0.0.0.0, ::) the Host check is off and the token is mandatory.
"""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from arxivgpt.api.errors import ApiError
from arxivgpt.errors import InvalidInput
from arxivgpt.settings import Settings

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})
OPEN_PATHS = frozenset({"/healthz"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings) -> None:
    """Refuse to serve beyond loopback without a token: anyone on the network could use the model."""
    if not is_loopback(settings.host) and not settings.api_token:
        raise InvalidInput(
            f"ARXIVGPT_API_TOKEN is required when binding to {settings.host}; set a long random token "
            "(the extension's options take the same one) or bind to 127.0.0.1"
        )


def host_name(host_header: str) -> str:
    """`[::1]:8765` -> `::1`, `LocalHost:80` -> `localhost`."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class SecurityMiddleware:
    """The four checks above, before any route runs (so they cover 404s and the docs too)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.token = settings.api_token or None
        bound = settings.host.strip("[]").lower()
        self.check_host = bound not in WILDCARD_HOSTS
        self.allowed_hosts = LOOPBACK_NAMES | {bound}
        self.extension_origins = settings.extension_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self.refusal(scope)
            if refusal is not None:
                await refusal.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope) -> ApiError | None:
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if self.check_host and host_name(host) not in self.allowed_hosts:
            return ApiError(403, "forbidden", f"this server answers only to localhost, not to Host {host!r}")
        origin = headers.get("origin")
        if origin is not None and not self._origin_allowed(origin, host):
            return ApiError(403, "forbidden", _origin_refusal(origin))
        if self.token and scope["path"] not in OPEN_PATHS and not self._authorized(headers):
            return ApiError(
                401,
                "unauthorized",
                "this server needs `Authorization: Bearer <ARXIVGPT_API_TOKEN>`",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if scope["method"] in BODY_METHODS:
            media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if media_type != "application/json":
                return ApiError(415, "unsupported_media_type", "send the request body as application/json")
        return None

    def _origin_allowed(self, origin: str, host: str) -> bool:
        if origin.lower() in self.extension_origins:
            return True
        parts = urlsplit(origin)
        # A page the server itself serves (/docs) posting back to it; the Host check vouches for `host`.
        return parts.scheme in ("http", "https") and bool(host) and parts.netloc.lower() == host.lower()

    def _authorized(self, headers: Headers) -> bool:
        scheme, _, credentials = headers.get("authorization", "").partition(" ")
        return (
            scheme.lower() == "bearer"
            and self.token is not None
            and hmac.compare_digest(credentials.strip().encode(), self.token.encode())
        )


def _origin_refusal(origin: str) -> str:
    if urlsplit(origin).scheme.endswith("-extension"):
        return (
            f"requests from the extension {origin} are not allowed: this server answers only the ArxivGPT "
            "extension IDs in ARXIVGPT_EXTENSION_ID (set it to this extension's ID, shown in chrome://extensions)"
        )
    return f"requests from web pages ({origin}) are not allowed"
