from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from arxivgpt.engine.base import Generation, GenerationOptions, Usage
from arxivgpt.engine.openai_compat import (
    OpenAICompatibleEngine,
    estimate_tokens,
    iter_sse,
    normalise_base_url,
)
from arxivgpt.errors import ArxivGPTError, InvalidInput, SourceUnavailable
from tests.support.openai_server import Fault, OpenAIServer, split_pieces

REPLY = "The paper proposes a faster attention kernel. ### It is 2x quicker."
APIS = ["completions", "chat"]
MakeEngine = Callable[..., OpenAICompatibleEngine]


def vicuna(message: str) -> str:
    return f"USER: {message}\nASSISTANT:"


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    server = OpenAIServer().start()
    server.reply = REPLY
    yield server
    server.stop()


@pytest.fixture
def make_engine(server: OpenAIServer) -> Iterator[MakeEngine]:
    engines: list[OpenAICompatibleEngine] = []

    def make(**kwargs: Any) -> OpenAICompatibleEngine:
        kwargs.setdefault("timeout", 5.0)
        engine = OpenAICompatibleEngine(kwargs.pop("base_url", f"{server.url}/v1"), "test-model", **kwargs)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


def run(engine: OpenAICompatibleEngine, prompt: str = "hi", **options: Any) -> tuple[list[str], Generation]:
    generation = engine.generate(prompt, GenerationOptions(**options))
    return list(generation), generation


def run_until_error(engine: OpenAICompatibleEngine, **options: Any) -> tuple[list[str], ArxivGPTError]:
    """The pieces that arrived before the error, and the error (whether from generate() or iterating)."""
    pieces: list[str] = []
    with pytest.raises(ArxivGPTError) as raised:
        pieces.extend(engine.generate("hi", GenerationOptions(**options)))
    return pieces, raised.value


@pytest.mark.parametrize("api", APIS)
def test_streams_the_reply_piece_by_piece(make_engine: MakeEngine, api: str) -> None:
    pieces, generation = run(make_engine(api=api))
    assert "".join(pieces) == REPLY
    assert len(pieces) == len(split_pieces(REPLY))
    assert generation.finish_reason == "stop"
    assert generation.usage == Usage(prompt_tokens=1, completion_tokens=len(pieces))  # the server's count


@pytest.mark.parametrize(
    ("api", "prompt_field", "sent"),
    [
        ("completions", "prompt", "USER: What is new?\nASSISTANT:"),
        ("chat", "messages", [{"role": "user", "content": "What is new?"}]),
    ],
)
def test_request_carries_prompt_and_options(
    server: OpenAIServer, make_engine: MakeEngine, api: str, prompt_field: str, sent: object
) -> None:
    engine = make_engine(api=api, prompt_format=vicuna)
    options = {
        "max_new_tokens": 7, "temperature": 0.5, "top_p": 0.9, "stop": ("###",), "seed": 3,
        "repetition_penalty": 1.1,
    }  # fmt: skip
    run(engine, engine.format_prompt("What is new?"), **options)
    body = server.requests[-1].body
    assert server.requests[-1].path == f"/v1/{'chat/completions' if api == 'chat' else 'completions'}"
    assert body[prompt_field] == sent
    assert body["model"] == "test-model"
    assert (body["max_tokens"], body["temperature"], body["top_p"]) == (7, 0.5, 0.9)
    assert (body["stop"], body["seed"], body["stream"]) == (["###"], 3, True)
    assert body["stream_options"] == {"include_usage": True}
    assert body["repetition_penalty"] == 1.1


def test_defaults_leave_out_stop_and_seed(server: OpenAIServer, make_engine: MakeEngine) -> None:
    run(make_engine())
    assert "stop" not in server.requests[-1].body
    assert "seed" not in server.requests[-1].body
    assert "repetition_penalty" not in server.requests[-1].body


@pytest.mark.parametrize(
    ("api", "prompt_format", "formatted"),
    [
        ("completions", None, "hello"),
        ("completions", vicuna, "USER: hello\nASSISTANT:"),
        ("chat", vicuna, "hello"),  # the server applies its chat template
    ],
)
def test_format_prompt(
    make_engine: MakeEngine, api: str, prompt_format: Callable[[str], str] | None, formatted: str
) -> None:
    assert make_engine(api=api, prompt_format=prompt_format).format_prompt("hello") == formatted


@pytest.mark.parametrize("api", APIS)
def test_usage_is_estimated_without_a_usage_chunk(
    server: OpenAIServer, make_engine: MakeEngine, api: str
) -> None:
    server.send_usage = False
    prompt = "a prompt of some length"
    pieces, generation = run(make_engine(api=api), prompt)
    assert generation.usage == Usage(prompt_tokens=estimate_tokens(prompt), completion_tokens=len(pieces))
    _, generation = run(make_engine(api=api, count_tokens=lambda text: 42), prompt)
    assert generation.usage.prompt_tokens == 42


def test_token_estimate_is_conservative() -> None:
    assert [estimate_tokens(text) for text in ("", "a", "abc", "abcd", "x" * 300)] == [0, 1, 1, 2, 100]


@pytest.mark.parametrize("api", APIS)
def test_max_tokens_ends_with_length(make_engine: MakeEngine, api: str) -> None:
    pieces, generation = run(make_engine(api=api), max_new_tokens=3)
    assert pieces == split_pieces(REPLY)[:3]
    assert generation.finish_reason == "length"


@pytest.mark.parametrize("honour_stop", [True, False])
@pytest.mark.parametrize("api", APIS)
def test_stop_strings_cut_the_text(
    server: OpenAIServer, make_engine: MakeEngine, api: str, honour_stop: bool
) -> None:
    server.honour_stop = honour_stop
    pieces, generation = run(make_engine(api=api), stop=(" ###",))
    assert "".join(pieces) == "The paper proposes a faster attention kernel."
    assert generation.finish_reason == "stop"


def test_stopping_early_closes_the_stream(server: OpenAIServer, make_engine: MakeEngine) -> None:
    server.honour_stop, server.delay = False, 0.02
    server.reply = "stop here ### " + "and go on " * 50
    pieces, _ = run(make_engine(), stop=("###",))
    assert "".join(pieces) == "stop here "
    assert server.wait_for_disconnect()


@pytest.mark.parametrize("api", APIS)
def test_cancel_stops_and_closes_the_connection(
    server: OpenAIServer, make_engine: MakeEngine, api: str
) -> None:
    server.delay = 0.02
    server.reply = "word " * 100
    generation = make_engine(api=api).generate("hi", GenerationOptions())
    pieces = []
    for piece in generation:
        pieces.append(piece)
        if len(pieces) == 2:
            generation.cancel()
    assert pieces == ["word", " word"]
    assert generation.finish_reason == "cancelled"
    assert generation.usage.completion_tokens == 2
    assert server.wait_for_disconnect(2.0)


@pytest.mark.parametrize("read", [0, 2])
def test_dropping_a_generation_closes_the_connection(
    server: OpenAIServer, make_engine: MakeEngine, read: int
) -> None:
    server.delay = 0.02
    server.reply = "word " * 100
    generation = make_engine().generate("hi", GenerationOptions())
    pieces = [next(generation.pieces) for _ in range(read)]
    assert len(pieces) == read
    del generation
    assert server.wait_for_disconnect(2.0)


@pytest.mark.parametrize(
    ("reported", "finish_reason"), [("length", "length"), ("eos", "stop"), ("content_filter", "stop")]
)
def test_finish_reasons(
    server: OpenAIServer, make_engine: MakeEngine, reported: str, finish_reason: str
) -> None:
    server.finish_reason = reported
    _, generation = run(make_engine())
    assert generation.finish_reason == finish_reason


def test_a_finish_reason_without_done_ends_the_stream(server: OpenAIServer, make_engine: MakeEngine) -> None:
    server.send_done = False
    pieces, generation = run(make_engine(api="chat"))
    assert "".join(pieces) == REPLY
    assert generation.finish_reason == "stop"


def test_connection_is_reused_after_a_complete_stream(server: OpenAIServer, make_engine: MakeEngine) -> None:
    engine = make_engine()
    run(engine)
    run(engine)
    assert server.requests[0].client_port == server.requests[1].client_port


def test_cancel_before_reading(server: OpenAIServer, make_engine: MakeEngine) -> None:
    generation = make_engine().generate("hi", GenerationOptions())
    generation.cancel()
    assert list(generation) == []
    assert generation.finish_reason == "cancelled"


@pytest.mark.parametrize(
    ("line_end", "comments", "chunked", "streaming"),
    [
        ("\r\n", False, True, True),
        ("\n", True, True, True),
        ("\r", True, True, True),
        ("\n", False, False, True),  # HTTP/1.0 style: the body ends when the connection closes
        ("\n", False, True, False),  # a server that answers with JSON though asked to stream
    ],
)
@pytest.mark.parametrize("api", APIS)
def test_stream_variants(
    server: OpenAIServer,
    make_engine: MakeEngine,
    api: str,
    line_end: str,
    comments: bool,
    chunked: bool,
    streaming: bool,
) -> None:
    server.line_end, server.comments = line_end, comments
    server.chunked, server.streaming = chunked, streaming
    pieces, generation = run(make_engine(api=api))
    assert "".join(pieces) == REPLY
    assert (generation.finish_reason, generation.usage.completion_tokens) == (
        "stop",
        len(split_pieces(REPLY)),
    )


@pytest.mark.parametrize(
    ("chunks", "events"),
    [
        ([b"data: a\n\n"], [("data", "a")]),
        ([b"data: a\r", b"\n\r\ndata: b\r\n\r\n"], [("data", "a"), ("data", "b")]),  # split \r\n
        ([b"data: a\rdata:b\r\r"], [("data", "a\nb")]),  # lone \r; several data lines; no space
        ([b": ping\n\nevent: x\nid: 1\ndata: a\n\n"], [("data", "a")]),  # comments and other fields
        ([b'error: {"message": "boom"}\n\n'], [("error", '{"message": "boom"}')]),  # llama.cpp
        ([b"data: a\n\ndata: cut"], [("data", "a")]),  # an unfinished event is dropped
        ([b"da", b"ta: \xc3", b"\xa9\n", b"\n"], [("data", "é")]),  # UTF-8 split across chunks
    ],
)
def test_iter_sse(chunks: list[bytes], events: list[tuple[str, str]]) -> None:
    assert list(iter_sse(chunks)) == events


def test_bearer_token(server: OpenAIServer, make_engine: MakeEngine) -> None:
    server.api_key = "sekrit"
    pieces, _ = run(make_engine(api_key="sekrit"))
    assert "".join(pieces) == REPLY
    assert server.requests[-1].headers["Authorization"] == "Bearer sekrit"
    assert make_engine(api_key="sekrit").list_models() == ["test-model"]


@pytest.mark.parametrize(("api_key", "hint"), [(None, "wants an API key"), ("wrong", "check")])
def test_unauthorised(server: OpenAIServer, make_engine: MakeEngine, api_key: str | None, hint: str) -> None:
    server.api_key = "sekrit"
    _, error = run_until_error(make_engine(api_key=api_key))
    assert isinstance(error, SourceUnavailable)
    assert "ARXIVGPT_OPENAI_API_KEY" in str(error)
    assert hint in str(error)
    assert "HTTP 401: Unauthorized" in str(error)
    if api_key is None:
        assert "Authorization" not in server.requests[-1].headers


def test_unknown_model(server: OpenAIServer) -> None:
    engine = OpenAICompatibleEngine(server.url, "no-such-model")
    with pytest.raises(SourceUnavailable) as raised:
        engine.generate("hi", GenerationOptions())
    engine.close()
    message = str(raised.value)
    assert "'no-such-model'" in message
    assert "The model `no-such-model` does not exist." in message  # the server's own words
    assert f"{server.url}/v1/models" in message


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors(server: OpenAIServer, make_engine: MakeEngine, status: int) -> None:
    server.faults.append(Fault("status", status=status, message="CUDA out of memory"))
    pieces, error = run_until_error(make_engine())
    assert pieces == []
    assert isinstance(error, SourceUnavailable)
    url = f"{server.url}/v1/completions"
    assert f"model server error for POST {url} (HTTP {status}: CUDA out of memory)" in str(error)


def test_other_client_errors_carry_the_servers_message(server: OpenAIServer, make_engine: MakeEngine) -> None:
    long = "This model's maximum context length is 4096 tokens. " * 20
    server.faults.append(Fault("status", status=400, message=long))
    _, error = run_until_error(make_engine())
    assert "rejected POST" in str(error)
    assert "HTTP 400: This model's maximum context length is 4096 tokens." in str(error)
    assert len(str(error)) < 450  # the message is cut to ~300 characters


@pytest.mark.parametrize(
    ("fault", "before", "message"),
    [
        (Fault("malformed", after=2), 2, "sent an invalid stream chunk: '{not json'"),
        (Fault("malformed", after=1, data='{"no": "choices"}'), 1, "invalid stream chunk"),
        (Fault("malformed", after=1, data='{"choices": "none"}'), 1, "invalid stream chunk"),
        (Fault("malformed", after=1, data="[1, 2]"), 1, "invalid stream chunk"),
        (Fault("error_event", after=1, message="engine died"), 1, "failed mid-stream: engine died"),
        (Fault("cut", after=3), 3, "closed the stream before finishing"),
    ],
)
@pytest.mark.parametrize("api", APIS)
def test_broken_streams(
    server: OpenAIServer, make_engine: MakeEngine, api: str, fault: Fault, before: int, message: str
) -> None:
    server.faults.append(fault)
    pieces, error = run_until_error(make_engine(api=api))
    assert pieces == split_pieces(REPLY)[:before]
    assert isinstance(error, SourceUnavailable)
    assert message in str(error)


def test_cut_off_without_chunked_encoding(server: OpenAIServer, make_engine: MakeEngine) -> None:
    server.chunked = False
    server.faults.append(Fault("cut", after=2))
    pieces, error = run_until_error(make_engine())
    assert pieces == split_pieces(REPLY)[:2]
    assert "closed the stream before finishing" in str(error)


@pytest.mark.parametrize("after", [0, 2])  # no response at all; silence mid-stream
def test_hang_times_out(server: OpenAIServer, make_engine: MakeEngine, after: int) -> None:
    server.faults.append(Fault("hang", after=after, seconds=5.0))
    started = time.monotonic()
    pieces, error = run_until_error(make_engine(timeout=0.3))
    assert time.monotonic() - started < 1.0
    assert pieces == split_pieces(REPLY)[:after]
    assert isinstance(error, SourceUnavailable)
    assert "sent nothing for 0.3 s" in str(error)
    assert "ARXIVGPT_OPENAI_TIMEOUT" in str(error)


def test_connection_refused(make_engine: MakeEngine) -> None:
    engine = make_engine(base_url="http://127.0.0.1:9")
    for attempt in (lambda: engine.generate("hi", GenerationOptions()), engine.list_models):
        with pytest.raises(SourceUnavailable) as raised:
            attempt()
        assert str(raised.value).startswith("could not reach the model server at http://127.0.0.1:9/v1")
        assert "is it running? (ARXIVGPT_OPENAI_BASE_URL)" in str(raised.value)


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("http://h:1", "http://h:1/v1"),
        ("http://h:1/", "http://h:1/v1"),
        ("http://h:1/v1", "http://h:1/v1"),
        ("http://h:1/v1/", "http://h:1/v1"),
        (" https://models.example.org/openai/v1 ", "https://models.example.org/openai/v1"),
        ("http://h:1/proxy", "http://h:1/proxy/v1"),
    ],
)
def test_base_url_normalisation(given: str, normalised: str) -> None:
    assert normalise_base_url(given) == normalised


@pytest.mark.parametrize(
    "url", ["ftp://x", "localhost:8000", "http://", "h:1/v1", "http://h:port", "http://h/?a=1"]
)
def test_base_url_rejected(url: str) -> None:
    with pytest.raises(InvalidInput, match="ARXIVGPT_OPENAI_BASE_URL"):
        OpenAICompatibleEngine(url, "m")


def test_name_and_attributes(server: OpenAIServer, make_engine: MakeEngine) -> None:
    engine = make_engine(context_length=2048, count_tokens=len)
    assert engine.name == f"openai:test-model@127.0.0.1:{server.url.rsplit(':', 1)[1]}"
    assert engine.context_length == 2048
    assert engine.count_tokens("abcd") == 4


def test_close_leaves_a_given_session_open(server: OpenAIServer) -> None:
    with requests.Session() as session:
        engine = OpenAICompatibleEngine(server.url, "test-model", session=session)
        engine.close()
        assert engine.list_models() == ["test-model"]  # still usable: the session is the caller's
        engine.close()


def test_list_models(server: OpenAIServer, make_engine: MakeEngine) -> None:
    server.models.append("other-model")
    assert make_engine().list_models() == ["test-model", "other-model"]


def test_list_models_errors(server: OpenAIServer, make_engine: MakeEngine) -> None:
    server.api_key = "sekrit"
    with pytest.raises(SourceUnavailable, match="ARXIVGPT_OPENAI_API_KEY"):
        make_engine().list_models()
    server.api_key = None
    with pytest.raises(SourceUnavailable, match="an OpenAI-compatible server"):
        make_engine(base_url=f"{server.url}/elsewhere").list_models()
