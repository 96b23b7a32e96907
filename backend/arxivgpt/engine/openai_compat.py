"""An `Engine` backed by a model server that speaks the OpenAI HTTP API.

vLLM, FastChat's `openai_api_server`, llama.cpp's `llama-server` and Ollama all serve `/v1/completions`,
`/v1/chat/completions` and `/v1/models`. With `api="completions"` we send the prompt already in our
preset's format, so the server's chat template does not matter; with `api="chat"` the server applies its
own. Replies are streamed (server-sent events) and can be cancelled between pieces: cancelling closes the
HTTP response, which tells the server to stop generating.

`generate()` sends the request and raises for connection and HTTP errors; iterating the `Generation`
raises for errors in the stream. Either way only `ArxivGPTError`s come out, never `requests` exceptions.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.exceptions import ChunkedEncodingError
from urllib3.exceptions import ReadTimeoutError

from arxivgpt import __version__
from arxivgpt.engine.base import Generation, GenerationOptions, Usage
from arxivgpt.engine.stops import StopScanner
from arxivgpt.errors import ArxivGPTError, InvalidInput, ModelServerError

BASE_URL_SETTING = "ARXIVGPT_OPENAI_BASE_URL"
API_KEY_SETTING = "ARXIVGPT_OPENAI_API_KEY"
TIMEOUT_SETTING = "ARXIVGPT_OPENAI_TIMEOUT"
MODEL_SETTING = "ARXIVGPT_OPENAI_MODEL"
API_SETTING = "ARXIVGPT_OPENAI_API"
MAX_CONNECT_TIMEOUT = 10.0
"""Seconds to wait for a TCP connection, at most: a server that is up accepts at once."""
EXCERPT_CHARS = 300
_ERROR_BODY_BYTES = 16_384
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_ERRNO_REASON = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")


def normalise_base_url(url: str) -> str:
    """`http://host:port`, with or without a trailing `/` or `/v1`, as `http://host:port/v1`."""
    parts = urlsplit(url.strip())
    try:
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a port that is not a number
        valid = False
    if not valid or parts.query or parts.fragment:
        raise InvalidInput(
            f"{BASE_URL_SETTING} must be an http(s) URL such as http://127.0.0.1:8000/v1, not {url!r}"
        )
    path = parts.path.rstrip("/")
    if not path.endswith("/v1"):
        path += "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def estimate_tokens(text: str) -> int:
    """A conservative guess without a tokenizer: one token per 3 characters, rounded up.

    English runs about 4 characters per token, so this over-counts: prompts budgeted with it fit.
    """
    return math.ceil(len(text) / 3)


def iter_sse(chunks: Iterable[bytes]) -> Iterator[tuple[str, str]]:
    """Server-sent events from raw body chunks, as (field, data): field is "data" or "error".

    Lines end in `\\n`, `\\r\\n` or `\\r`; a blank line ends an event; `:` lines are comments; several
    data lines join with `\\n`. llama.cpp reports failures as `error:` lines, so those count too.
    An event cut off by the end of the body is dropped, as the SSE spec says.
    """
    field, data = "data", list[str]()
    for line in _iter_lines(chunks):
        if not line:
            if data:
                yield field, "\n".join(data)
            field, data = "data", []
            continue
        name, _, value = line.partition(":")  # a comment has no name and is skipped
        if name in ("data", "error"):
            data.append(value[1:] if value.startswith(" ") else value)
            field = "error" if name == "error" else field


def _iter_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    pending = b""
    for chunk in chunks:
        pending += chunk
        held = b"\r" if pending.endswith(b"\r") else b""  # maybe the first half of \r\n
        *lines, rest = _LINE_BREAK.split(pending[: len(pending) - len(held)])
        pending = rest + held
        yield from (line.decode("utf-8", "replace") for line in lines)
    *lines, _unterminated = _LINE_BREAK.split(pending)
    yield from (line.decode("utf-8", "replace") for line in lines)


class OpenAICompatibleEngine:
    """Generates with `model` on the server at `base_url` (e.g. `http://127.0.0.1:8000/v1`).

    `prompt_format` wraps a message in the model's prompt format (used with `api="completions"` only);
    `count_tokens` should be the model's tokenizer when the caller has one, else `estimate_tokens` is used.
    `timeout` is the seconds to wait for the server's next bytes (connecting waits at most 10 s).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        api: Literal["completions", "chat"] = "completions",
        prompt_format: Callable[[str], str] | None = None,
        context_length: int = 4096,
        count_tokens: Callable[[str], int] | None = None,
        timeout: float = 60.0,
        session: requests.Session | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, not {timeout}")
        self.base_url = normalise_base_url(base_url)
        self.model = model
        self.api = api
        self.context_length = context_length
        self.name = f"openai:{model}@{urlsplit(self.base_url).netloc.rpartition('@')[2]}"
        self.timeout = (min(timeout, MAX_CONNECT_TIMEOUT), timeout)
        self._api_key = api_key or None
        self._prompt_format = prompt_format
        self._count_tokens = count_tokens or estimate_tokens
        self._owns_session = session is None
        self.session = session or requests.Session()

    def format_prompt(self, message: str) -> str:
        if self.api == "chat" or self._prompt_format is None:
            return message
        return self._prompt_format(message)

    def count_tokens(self, text: str) -> int:
        return self._count_tokens(text)

    def prompt_tokens(self, prompt: str) -> int:
        """Our estimate: the server's own tokenizer and chat template are not known here (it over-counts)."""
        return self._count_tokens(prompt)

    def generate(self, prompt: str, options: GenerationOptions) -> Generation:
        """Send the request now; the returned `Generation` reads the streamed reply as it is iterated.

        `usage` comes from the server's final usage chunk when it sends one; otherwise it is an estimate:
        `count_tokens(prompt)` prompt tokens and one completion token per streamed piece of text.
        """
        url = f"{self.base_url}/{'chat/completions' if self.api == 'chat' else 'completions'}"
        response = self._send("POST", url, self._body(prompt, options))
        generation = Generation(pieces=iter(()))
        generation.pieces = _Stream(self, response, url, prompt, options.stop, generation).pieces()
        return generation

    def list_models(self) -> list[str]:
        """The model ids the server serves (`GET /v1/models`)."""
        url = f"{self.base_url}/models"
        with self._send("GET", url) as response:
            try:
                body = response.json()
            except requests.RequestException as error:
                raise self._request_error(error, streaming=True) from error
            except ValueError:
                raise ModelServerError(
                    f"the model server at {url} did not answer with JSON: {_excerpt(response.text)!r}"
                ) from None
        models = body.get("data") if isinstance(body, dict) else None
        if not isinstance(models, list):
            raise ModelServerError(f"the model server at {url} sent no model list: {_excerpt(str(body))!r}")
        return [m["id"] for m in models if isinstance(m, dict) and isinstance(m.get("id"), str)]

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def _body(self, prompt: str, options: GenerationOptions) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model}
        if self.api == "chat":
            body["messages"] = [{"role": "user", "content": prompt}]
        else:
            body["prompt"] = prompt
        body |= {"max_tokens": options.max_new_tokens, "temperature": options.temperature}
        body |= {"top_p": options.top_p, "stream": True, "stream_options": {"include_usage": True}}
        if options.stop:
            body["stop"] = list(options.stop)
        if options.seed is not None:
            body["seed"] = options.seed
        if options.repetition_penalty is not None:
            body["repetition_penalty"] = options.repetition_penalty  # vLLM, llama.cpp and FastChat take it
        return body

    def _send(self, method: str, url: str, body: dict[str, Any] | None = None) -> requests.Response:
        headers = {"User-Agent": f"arxivgpt-local/{__version__}"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        try:
            response = self.session.request(
                method, url, json=body, headers=headers, timeout=self.timeout, stream=True
            )
        except requests.RequestException as error:
            raise self._request_error(error, streaming=False) from error
        if response.status_code >= 400:
            with response:
                raise self._status_error(response, f"{method} {url}")
        return response

    def _request_error(self, error: requests.RequestException, *, streaming: bool) -> ArxivGPTError:
        """`error` as a message for the user: what went wrong with the server and what to check."""
        at = f"the model server at {self.base_url}"
        if isinstance(error, requests.ConnectTimeout):
            return ModelServerError(
                f"{at} did not accept a connection within {self.timeout[0]:g} s — is it running and "
                f"reachable? ({BASE_URL_SETTING})"
            )
        if isinstance(error, requests.Timeout) or _is_read_timeout(error):
            return ModelServerError(
                f"{at} sent nothing for {self.timeout[1]:g} s — it may be overloaded or stuck; check its log "
                f"or allow more time ({TIMEOUT_SETTING})"
            )
        if streaming and isinstance(error, (ChunkedEncodingError, requests.ConnectionError)):
            return ModelServerError(f"{at} closed the stream before finishing — check the server's log")
        if isinstance(error, requests.ConnectionError):
            reason = _ERRNO_REASON.search(str(error))
            because = f" ({reason[1].strip()})" if reason else ""
            return ModelServerError(
                f"could not reach the model server at {self.base_url}{because} — is it running? "
                f"({BASE_URL_SETTING})"
            )
        return ModelServerError(f"the request to {at} failed: {_excerpt(str(error))}")

    def _status_error(self, response: requests.Response, request: str) -> ArxivGPTError:
        status = response.status_code
        said = f"HTTP {status}: {_error_detail(response)}"
        if status in (401, 403):
            hint = "check" if self._api_key else "it wants an API key: set"
            return ModelServerError(f"the model server refused {request} ({said}) — {hint} {API_KEY_SETTING}")
        if status == 404 and request.endswith("/models"):
            return ModelServerError(
                f"the model server found nothing at {request} ({said}) — is {self.base_url} an "
                f"OpenAI-compatible server? ({BASE_URL_SETTING})"
            )
        if status == 404:
            return ModelServerError(
                f"the model server found nothing at {request} ({said}) — check that {self.model!r} is a "
                f"model {self.base_url}/models lists ({MODEL_SETTING}) and that the server has the "
                f"{self.api} API ({API_SETTING})"
            )
        if status >= 500:
            return ModelServerError(f"model server error for {request} ({said}) — check the server's log")
        return ModelServerError(f"the model server rejected {request} ({said})")


class _Stream:
    """One streamed reply turned into text pieces; fills in the generation's finish reason and usage.

    It holds the generation weakly, so that dropping a generation unread closes the response at once.
    """

    def __init__(
        self,
        engine: OpenAICompatibleEngine,
        response: requests.Response,
        url: str,
        prompt: str,
        stops: tuple[str, ...],
        generation: Generation,
    ) -> None:
        self._engine, self._response, self._url = engine, response, url
        self._prompt, self._cancelled = prompt, generation.cancel_event
        self._generation = weakref.ref(generation)
        weakref.finalize(generation, response.close)
        self._scanner = StopScanner(stops)
        self._finish_reason: str | None = None
        self._finished: str | None = None
        self._usage: Usage | None = None
        self._text_chunks = 0

    def pieces(self) -> Iterator[str]:
        try:
            yield from self._read()
        finally:
            self._response.close()
            if generation := self._generation():
                generation.finish_reason = self._finished
                generation.usage = self._usage or Usage(
                    self._engine.count_tokens(self._prompt), self._text_chunks
                )

    def _read(self) -> Iterator[str]:
        events, done = self._events(), False
        while not self._cancelled.is_set() and not self._scanner.stopped:
            event = next(events, None)
            if event is None or event == ("data", "[DONE]"):
                done = event is not None
                self._drain(events)
                break
            if text := self._scanner.feed(self._content(*event)):
                yield text
        if self._cancelled.is_set():
            self._finished = "cancelled"
            return
        if text := self._scanner.flush():
            yield text
        if not (done or self._finish_reason or self._scanner.stopped):
            raise ModelServerError(
                f"the model server at {self._url} closed the stream before finishing — check the server's log"
            )
        reason = "stop" if self._scanner.stopped else self._finish_reason
        self._finished = "length" if reason == "length" else "stop"

    @staticmethod
    def _drain(events: Iterator[tuple[str, str]]) -> None:
        """Read to the end of the body after `[DONE]`, so the connection can be reused."""
        with contextlib.suppress(ArxivGPTError):
            for _ in events:
                pass

    def _events(self) -> Iterator[tuple[str, str]]:
        try:
            if self._response.headers.get("Content-Type", "").startswith("application/json"):
                yield "data", self._response.text  # a server that does not stream: one chunk with everything
                yield "data", "[DONE]"
            else:
                yield from iter_sse(self._response.iter_content(chunk_size=None))
        except requests.RequestException as error:
            raise self._engine._request_error(error, streaming=True) from error

    def _content(self, field: str, data: str) -> str:
        chunk = _parse_chunk(data)
        if field == "error" or (isinstance(chunk, dict) and chunk.get("error")):
            message = _error_message(chunk) or _excerpt(data)
            raise ModelServerError(f"the model server at {self._url} failed mid-stream: {message}")
        choices = chunk.get("choices") if isinstance(chunk, dict) else None
        if (
            not isinstance(chunk, dict)
            or not isinstance(choices, list)
            or not all(isinstance(choice, dict) for choice in choices)
        ):
            raise ModelServerError(
                f"the model server at {self._url} sent an invalid stream chunk: {_excerpt(data)!r}"
            )
        self._usage = _usage(chunk.get("usage")) or self._usage
        for choice in choices:
            self._finish_reason = choice.get("finish_reason") or self._finish_reason
        text = _choice_text(choices[0]) if choices else None
        if text:
            self._text_chunks += 1
        return text or ""


def _parse_chunk(data: str) -> object:
    try:
        return json.loads(data)
    except ValueError:
        return None


def _choice_text(choice: dict[str, Any]) -> str | None:
    """`text` (completions), `delta.content` (streamed chat) or `message.content` (chat, not streamed)."""
    message = choice.get("delta") or choice.get("message")
    text = message.get("content") if isinstance(message, dict) else choice.get("text")
    return text if isinstance(text, str) else None


def _usage(usage: object) -> Usage | None:
    if not isinstance(usage, dict):
        return None
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if isinstance(prompt, int) and isinstance(completion, int):
        return Usage(prompt, completion)
    return None


def _is_read_timeout(error: requests.RequestException) -> bool:
    """requests reports a read timeout while streaming as a ConnectionError wrapping urllib3's."""
    return bool(error.args) and isinstance(error.args[0], ReadTimeoutError)


def _error_detail(response: requests.Response) -> str:
    """The server's own words from an error reply: JSON `error.message`, `message` or `detail`, or text."""
    body = b""
    try:
        for chunk in response.iter_content(chunk_size=4096):
            body += chunk
            if len(body) >= _ERROR_BODY_BYTES:
                break
    except requests.RequestException:
        pass
    text = body.decode("utf-8", "replace").strip()
    return _error_message(_parse_chunk(text)) or _excerpt(text) or response.reason or "no details"


def _error_message(body: object) -> str | None:
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        return _error_message(error)
    for said in (error, body.get("message"), body.get("detail")):
        if isinstance(said, str) and said.strip():
            return _excerpt(said)
        if said:
            return _excerpt(json.dumps(said))
    return None


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
