"""A local stand-in for an OpenAI-compatible model server (vLLM, FastChat, llama.cpp, Ollama), with faults.

    GET  /v1/models               the configured model ids
    POST /v1/completions          `reply` for the prompt, streamed (SSE: one word-ish piece per `data:` event,
    POST /v1/chat/completions     a usage chunk when asked for, `data: [DONE]`) or as one JSON reply

Generation is deterministic: the pieces of `reply` (a string, or a function of the prompt), cut at the first
`stop` string and after `max_tokens` pieces. A configured `api_key` must come as a bearer token (401
otherwise); an unknown model gets vLLM's 404. Every request is recorded, with whether the client went away
before the reply was complete. `faults` script what goes wrong next (see `Fault`).

Tests build it directly (tests/engine/test_openai_compat.py); `python -m tests.support.openai_server` runs it
by hand and prints the settings that point the backend at it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

FaultKind = Literal["status", "malformed", "cut", "hang", "error_event"]


@dataclass
class Fault:
    """What goes wrong with the next completion request.

    status       HTTP `status` with a JSON error carrying `message`, instead of a reply
    malformed    `data: <data>` (default `{not json`) after `after` pieces
    cut          the connection closed after `after` pieces, without `[DONE]` (or the end of the chunked body)
    hang         silence for `seconds` after `after` pieces; with `after=0`, before the response headers
    error_event  a `data: {"error": ...}` event after `after` pieces, as vLLM sends when generation fails
    """

    kind: FaultKind
    after: int = 0
    status: int = 500
    message: str = "scripted failure"
    seconds: float = 5.0
    data: str = "{not json"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any = None
    client_port: int = 0
    disconnected: bool = False
    """The client closed the connection before the reply was complete."""


class ClientGone(Exception):
    pass


def echo(prompt: str) -> str:
    return f"You said: {prompt}"


def split_pieces(text: str) -> list[str]:
    """Word-ish pieces, like tokens: each word with the whitespace before it."""
    return re.findall(r"\s*\S+|\s+$", text)


class OpenAIServer:
    def __init__(self, models: tuple[str, ...] = ("test-model",), port: int = 0) -> None:
        self.models = list(models)
        self.reply: str | Callable[[str], str] = echo
        self.delay = 0.0
        """Seconds before each streamed event."""
        self.api_key: str | None = None
        self.send_usage = True
        """Send the final usage chunk when the request asks for it (`stream_options.include_usage`)."""
        self.send_done = True
        """End streams with `data: [DONE]` (the finish reason alone ends them otherwise)."""
        self.finish_reason: str | None = None
        """Report this finish reason instead of "stop" or "length"."""
        self.honour_stop = True
        self.streaming = True
        """False: answer with one JSON reply even when asked to stream."""
        self.chunked = True
        """False: stream as HTTP/1.0 does, the end of the body being the closed connection."""
        self.line_end = "\n"
        self.comments = False
        """Put a `: keep-alive` comment line in every event."""
        self.faults: deque[Fault] = deque()
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.openai = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def settings_env(self) -> dict[str, str]:
        return {"ARXIVGPT_OPENAI_BASE_URL": f"{self.url}/v1", "ARXIVGPT_OPENAI_MODEL": self.models[0]}

    def start(self) -> OpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def record(self, request: Recorded) -> Recorded:
        with self._lock:
            self.requests.append(request)
        return request

    def wait_for_disconnect(self, timeout: float = 2.0) -> bool:
        """Whether the last request's client went away, polling for up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.requests and self.requests[-1].disconnected:
                return True
            time.sleep(0.01)
        return False

    def next_fault(self) -> Fault | None:
        with self._lock:
            return self.faults.popleft() if self.faults else None

    def plan(self, prompt: str, body: dict[str, Any]) -> tuple[list[str], str]:
        """The pieces to send and the finish reason."""
        text = self.reply if isinstance(self.reply, str) else self.reply(prompt)
        stops = body.get("stop") or []
        stops = [stops] if isinstance(stops, str) else stops
        cuts = [text.find(stop) for stop in stops if stop and self.honour_stop]
        cut = min((i for i in cuts if i >= 0), default=-1)
        pieces = split_pieces(text[:cut] if cut >= 0 else text)
        limit = body.get("max_tokens") or len(pieces)
        finish = self.finish_reason or ("length" if len(pieces) > limit else "stop")
        return pieces[:limit], finish


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def handle(self) -> None:
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):  # the client left between requests
            super().handle()

    @property
    def openai(self) -> OpenAIServer:
        return self.server.openai  # type: ignore[attr-defined,no-any-return]

    def do_GET(self) -> None:
        self._record()
        if not self._authorised():
            return
        if self.path.rstrip("/") != "/v1/models":
            self._json(404, {"detail": "Not Found"})
            return
        models = [{"id": m, "object": "model", "created": 0, "owned_by": "test"} for m in self.openai.models]
        self._json(200, {"object": "list", "data": models})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        record = self._record()
        try:
            record.body = json.loads(raw)
        except ValueError:
            self._json(400, {"error": {"message": "body is not JSON", "code": 400}})
            return
        try:
            self._complete(record)
        except ClientGone:
            record.disconnected = True
            self.close_connection = True

    def _record(self) -> Recorded:
        headers = dict(self.headers.items())
        return self.openai.record(
            Recorded(self.command, self.path, headers, client_port=self.client_address[1])
        )

    def _complete(self, record: Recorded) -> None:
        api = {"/v1/completions": "completions", "/v1/chat/completions": "chat"}.get(self.path)
        if api is None:
            self._json(404, {"detail": "Not Found"})
            return
        if not self._authorised():
            return
        body = record.body
        if body.get("model") not in self.openai.models:
            message = f"The model `{body.get('model')}` does not exist."
            self._json(404, {"error": {"message": message, "type": "NotFoundError", "code": 404}})
            return
        fault = self.openai.next_fault()
        if fault and fault.kind == "status":
            self._json(fault.status, {"error": {"message": fault.message, "code": fault.status}})
            return
        if fault and fault.kind == "hang" and fault.after == 0:
            self._wait(fault.seconds)
            self.close_connection = True
            return
        prompt = body.get("prompt") if api == "completions" else body["messages"][-1]["content"]
        pieces, finish = self.openai.plan(str(prompt), body)
        usage = {"prompt_tokens": len(str(prompt).split()), "completion_tokens": len(pieces)}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        if body.get("stream") and self.openai.streaming:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            self._stream(api, pieces, finish, usage if include_usage else None, fault)
        else:
            self._json(200, _reply(api, body["model"], "".join(pieces), finish, usage))

    def _stream(
        self, api: str, pieces: list[str], finish: str, usage: dict[str, int] | None, fault: Fault | None
    ) -> None:
        self._start_stream()
        if api == "chat":
            self._event(_chunk(api, "", None, role=True))
        for index, piece in enumerate(pieces):
            if fault and fault.after == index:
                self._fault(fault)
                return
            self._event(_chunk(api, piece, None))
        if fault:
            self._fault(fault)
            return
        self._event(_chunk(api, "", finish))
        if usage and self.openai.send_usage:
            self._event({"id": "cmpl-test", "object": "chunk", "created": 0, "choices": [], "usage": usage})
        if self.openai.send_done:
            self._send_event("[DONE]")
        self._end_stream()

    def _fault(self, fault: Fault) -> None:
        if fault.kind == "malformed":
            self._send_event(fault.data)
        elif fault.kind == "error_event":
            self._event({"error": {"message": fault.message, "type": "InternalServerError", "code": 500}})
            self._send_event("[DONE]")
            self._end_stream()
            return
        elif fault.kind == "hang":
            self._wait(fault.seconds)
        self.close_connection = True  # and no end of the chunked body: the stream is cut off

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        if self.openai.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()

    def _event(self, chunk: dict[str, Any]) -> None:
        self._send_event(json.dumps(chunk))

    def _send_event(self, data: str) -> None:
        self._wait(self.openai.delay)
        end = self.openai.line_end
        comment = f": keep-alive{end}" if self.openai.comments else ""
        self._write(f"{comment}data: {data}{end}{end}".encode())

    def _end_stream(self) -> None:
        if self.openai.chunked:
            self._write(b"", framed=True)

    def _write(self, data: bytes, framed: bool = False) -> None:
        if self.openai.chunked and (data or framed):
            data = f"{len(data):x}\r\n".encode() + data + b"\r\n"
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError) as error:
            raise ClientGone from error

    def _wait(self, seconds: float) -> None:
        """Sleep, but notice at once when the client closes the connection."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            readable, _, _ = select.select([self.connection], [], [], max(left, 0))
            if readable and _peer_closed(self.connection):
                raise ClientGone
            if left <= 0:
                return
            if readable:
                time.sleep(min(left, 0.01))  # unexpected bytes from the client: keep waiting

    def _authorised(self) -> bool:
        key = self.openai.api_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self._json(401, {"error": "Unauthorized"})
        return False

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


def _peer_closed(connection: socket.socket) -> bool:
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _chunk(api: str, text: str, finish: str | None, role: bool = False) -> dict[str, Any]:
    if api == "chat":
        delta = {"role": "assistant", "content": text} if role else ({"content": text} if text else {})
        choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish}
        kind = "chat.completion.chunk"
    else:
        choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
        kind = "text_completion"
    return {"id": "cmpl-test", "object": kind, "created": 0, "model": "test", "choices": [choice]}


def _reply(api: str, model: str, text: str, finish: str, usage: dict[str, int]) -> dict[str, Any]:
    if api == "chat":
        message = {"role": "assistant", "content": text}
        choice: dict[str, Any] = {"index": 0, "message": message, "finish_reason": finish}
        kind = "chat.completion"
    else:
        choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
        kind = "text_completion"
    return {
        "id": "cmpl-test",
        "object": kind,
        "created": 0,
        "model": model,
        "choices": [choice],
        "usage": usage,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8011)
    parser.add_argument("--model", default="test-model")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds between streamed pieces")
    args = parser.parse_args()
    server = OpenAIServer(models=(args.model,), port=args.port).start()
    server.delay = args.delay
    for name, value in server.settings_env().items():
        print(f"export {name}={value}")
    print("# echoing prompts back; Ctrl-C stops", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
