"""Prompt formats byte for byte (the strings are those in ../shared/FACTS.md and FastChat / TRL)."""

from __future__ import annotations

import pytest

from arxivgpt.engine.presets import PRESETS
from arxivgpt.engine.prompt_formats import FIXED_FORMATS, stackllama, vicuna_v11

VICUNA = (
    "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, "
    "detailed, and polite answers to the user's questions. USER: Summarize this paper. ASSISTANT:"
)


def test_vicuna_v11_is_fastchats_one_line_format() -> None:
    assert vicuna_v11("Summarize this paper.") == VICUNA


def test_stackllama_question_answer_format() -> None:
    assert stackllama("How do I sort a dict?") == "Question: How do I sort a dict?\n\nAnswer: "


@pytest.mark.parametrize(
    ("preset", "prompt_format", "context"),
    [
        ("vicuna-7b", "vicuna_v1.1", 4096),
        ("vicuna-7b-v1.3", "vicuna_v1.1", 2048),
        ("vicuna-13b", "vicuna_v1.1", 4096),
        ("stackllama-7b", "stackllama", 2048),
        ("smollm2-135m", "chat_template", 8192),
    ],
)
def test_presets(preset: str, prompt_format: str, context: int) -> None:
    assert (PRESETS[preset].prompt_format, PRESETS[preset].context_length) == (prompt_format, context)
    if prompt_format != "chat_template":
        assert prompt_format in FIXED_FORMATS


def test_stackllama_stops_on_the_real_eos() -> None:
    assert PRESETS["stackllama-7b"].eos_token_id == 2
    assert PRESETS["stackllama-7b"].adapter == "trl-lib/llama-7b-se-rl-peft"
