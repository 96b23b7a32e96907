"""Prompt formats, byte for byte as the models were trained on them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

PromptFormatName = Literal["vicuna_v1.1", "stackllama", "chat_template"]

# FastChat's `vicuna_v1.1` template (fastchat/conversation.py), shared by Vicuna v1.1, v1.3 and v1.5.
VICUNA_SYSTEM = (
    "A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's questions."
)


def vicuna_v11(message: str) -> str:
    """One line joined by single spaces; the model's reply follows "ASSISTANT:" and ends with </s>."""
    return f"{VICUNA_SYSTEM} USER: {message} ASSISTANT:"


def stackllama(message: str) -> str:
    """TRL's StackLLaMA scripts trained on "Question: ...\\n\\nAnswer: ..."."""
    return f"Question: {message}\n\nAnswer: "


FIXED_FORMATS: dict[str, Callable[[str], str]] = {"vicuna_v1.1": vicuna_v11, "stackllama": stackllama}
