"""A streaming client for the reliability tests: summaries read event by event, in a thread if need be."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class StreamResult:
    status: int = 0
    events: list[tuple[str, Any]] = field(default_factory=list)
    error: str | None = None
    first_delta: threading.Event = field(default_factory=threading.Event)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    @property
    def error_codes(self) -> list[str]:
        return [data.get("code", "") for name, data in self.events if name == "error"]


def read_stream(url: str, body: dict[str, Any], into: StreamResult, leave_after: int | None = None) -> None:
    """POST a streaming summary and record its events; `leave_after` deltas, close the connection."""
    deltas = 0
    try:
        with httpx.stream(
            "POST", f"{url}/v1/summaries", json={**body, "stream": True}, timeout=30.0
        ) as response:
            into.status = response.status_code
            name = ""
            for line in response.iter_lines():
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    data = json.loads(line.removeprefix("data: "))
                    into.events.append((name, data))
                    if name == "delta":
                        deltas += 1
                        into.first_delta.set()
                        if leave_after is not None and deltas >= leave_after:
                            return
    except httpx.HTTPError as error:
        into.error = f"{type(error).__name__}: {error}"
    finally:
        into.first_delta.set()  # nobody waits forever on a stream that failed


def stream_in_thread(
    url: str, body: dict[str, Any], leave_after: int | None = None
) -> tuple[threading.Thread, StreamResult]:
    result = StreamResult()
    thread = threading.Thread(target=read_stream, args=(url, body, result, leave_after), daemon=True)
    thread.start()
    return thread, result
