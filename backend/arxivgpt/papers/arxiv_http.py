"""The one HTTP path to arXiv: allowed hosts only, polite pacing, retries that honour Retry-After."""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from arxivgpt import __version__
from arxivgpt.errors import SourceUnavailable
from arxivgpt.papers.polite import PoliteGate, process_gate
from arxivgpt.settings import Settings

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"arxivgpt-local/{__version__}"


class ForbiddenHost(requests.RequestException):
    """A request (or a redirect) aimed at a host that is not arXiv's."""


class ResponseTooLarge(requests.RequestException):
    pass


class PoliteAdapter(HTTPAdapter):
    """Transport for every arXiv request, including those the `arxiv` package makes.

    Each attempt takes a turn at the process-wide gate and reads the whole body inside it, so
    pacing and "one connection at a time" hold for everything. 429/5xx, timeouts and dropped
    connections are retried with backoff; a Retry-After header is obeyed (up to `max_backoff`).
    """

    def __init__(self, settings: Settings, gate: PoliteGate) -> None:
        super().__init__(pool_connections=1, pool_maxsize=1, max_retries=0)
        self._hosts = settings.arxiv_hosts
        self._retries = settings.arxiv_retries
        self._timeout = settings.arxiv_timeout
        self._max_backoff = settings.arxiv_max_backoff
        self._max_bytes = settings.max_pdf_bytes
        self._gate = gate

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        host = urlsplit(request.url or "").hostname or ""
        if host not in self._hosts:
            raise ForbiddenHost(f"refusing to fetch {request.url}: {host!r} is not a configured arXiv host")
        kwargs["stream"] = True
        kwargs["timeout"] = kwargs.get("timeout") or self._timeout
        for attempt in range(self._retries + 1):
            last_try = attempt == self._retries
            try:
                response = self._attempt(request, kwargs)
            except (requests.ConnectionError, requests.Timeout) as error:
                if last_try:
                    raise
                self._back_off(attempt, None, f"{type(error).__name__} from {request.url}")
                continue
            if response.status_code not in RETRY_STATUSES or last_try:
                return response
            self._back_off(attempt, response.headers, f"HTTP {response.status_code} from {request.url}")
        raise AssertionError("unreachable")

    def _attempt(self, request: requests.PreparedRequest, kwargs: dict[str, Any]) -> requests.Response:
        with self._gate.turn():
            response = super().send(request, **kwargs)
            try:
                response._content = self._read_body(response)
            finally:
                response.close()
        return response

    def _read_body(self, response: requests.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.raw.stream(64 * 1024, decode_content=True):
            size += len(chunk)
            if size > self._max_bytes:
                raise ResponseTooLarge(f"{response.url} is larger than {self._max_bytes:,} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _back_off(self, attempt: int, headers: Mapping[str, str] | None, reason: str) -> None:
        asked = retry_after_seconds(headers.get("Retry-After")) if headers else None
        wait = asked if asked is not None else max(self._gate.delay, 1.0) * 2**attempt
        wait = min(wait, self._max_backoff)
        log.warning("%s; retrying in %.1f s (retry %d of %d)", reason, wait, attempt + 1, self._retries)
        self._gate.defer(wait)


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class ArxivHttp:
    """A `requests.Session` that can reach arXiv and nothing else, shared by all arXiv fetches."""

    def __init__(self, settings: Settings, gate: PoliteGate | None = None) -> None:
        self.settings = settings
        self.gate = gate or process_gate(settings.arxiv_delay)
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        adapter = PoliteAdapter(settings, self.gate)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def get(self, url: str, what: str) -> requests.Response | None:
        """GET `url`; None on 404/410; `SourceUnavailable` (naming `what`) when arXiv can't be reached."""
        started = time.perf_counter()
        try:
            response = self.session.get(url, allow_redirects=True)
        except (ForbiddenHost, ResponseTooLarge) as error:
            raise SourceUnavailable(f"could not fetch {what}: {error}") from error
        except requests.RequestException as error:
            raise SourceUnavailable(
                f"arXiv could not be reached for {what} after {self.settings.arxiv_retries} retries "
                f"({type(error).__name__}); check your connection or try again later"
            ) from error
        log.debug("GET %s -> %d in %.2f s", url, response.status_code, time.perf_counter() - started)
        if response.status_code in (404, 410):
            return None
        if response.status_code != 200:
            raise SourceUnavailable(
                f"arXiv answered HTTP {response.status_code} for {what} after "
                f"{self.settings.arxiv_retries} retries; try again later"
            )
        return response

    def close(self) -> None:
        self.session.close()
