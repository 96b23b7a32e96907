"""Settings to engine: the OpenAI-compatible path with our preset's prompt format, and the fake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from arxivgpt.engine.base import GenerationOptions
from arxivgpt.engine.factory import build_engine
from arxivgpt.engine.fake import FakeEngine
from arxivgpt.engine.prompt_formats import vicuna_v11
from arxivgpt.settings import Settings
from tests.support.openai_server import OpenAIServer


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    server = OpenAIServer(models=("lmsys/vicuna-7b-v1.5", "my-served-model")).start()
    server.reply = "A short answer."
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("model", "openai_model", "served", "formatted"),
    [
        ("vicuna-7b", None, "lmsys/vicuna-7b-v1.5", vicuna_v11("Summarize.")),
        ("vicuna-7b", "my-served-model", "my-served-model", vicuna_v11("Summarize.")),
        ("my-served-model", None, "my-served-model", "Summarize."),
    ],
)
def test_an_openai_base_url_sends_generation_to_the_server(
    server: OpenAIServer, tmp_path: Path, model: str, openai_model: str | None, served: str, formatted: str
) -> None:
    settings = Settings(
        model=model, openai_base_url=f"{server.url}/v1", openai_model=openai_model, data_dir=tmp_path
    )
    engine = build_engine(settings)
    prompt = engine.format_prompt("Summarize.")
    assert prompt == formatted
    assert engine.generate(prompt, GenerationOptions(max_new_tokens=20)).text() == "A short answer."
    body = server.requests[-1].body
    assert (body["model"], body["prompt"]) == (served, formatted)
    engine.close()


@pytest.mark.parametrize(
    ("options", "text", "finish"),
    [
        (GenerationOptions(), "one two three four", "stop"),
        (GenerationOptions(max_new_tokens=2), "one two", "length"),
        (GenerationOptions(stop=(" three",)), "one two", "stop"),
    ],
)
def test_the_fake_engine_honours_options(options: GenerationOptions, text: str, finish: str) -> None:
    engine = FakeEngine("one two three four")
    generation = engine.generate("p", options)
    assert generation.text() == text
    assert generation.finish_reason == finish
    assert engine.prompts == ["p"]


def test_the_fake_engine_can_be_cancelled() -> None:
    generation = FakeEngine("one two three four").generate("p", GenerationOptions())
    pieces = iter(generation)
    assert next(pieces) == "one"
    generation.cancel()
    assert list(pieces) == []
    assert generation.finish_reason == "cancelled"
