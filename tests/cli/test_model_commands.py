"""`arxivgpt models` and `arxivgpt generate` as a user runs them: real processes, the real offline model."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from arxivgpt.engine.local import TransformersEngine


def arxivgpt(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "arxivgpt", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_models_lists_presets_and_says_what_auto_picks() -> None:
    result = arxivgpt("models")
    assert result.returncode == 0, result.stderr
    for preset in ("vicuna-7b", "vicuna-7b-v1.3", "vicuna-13b", "stackllama-7b", "smollm2-135m"):
        assert f"\n{preset} " in f"\n{result.stdout}"
    assert "auto -> smollm2-135m, because there is no CUDA GPU for vicuna-7b in int8" in result.stdout
    assert re.search(
        r"^runs here: smollm2-135m \(cpu, (bf16 on \S+|fp32, no bf16 on this CPU)\)$", result.stdout, re.M
    )
    assert re.search(r"^import: torch \d+\.\d s$", result.stdout, re.M)


@pytest.mark.slow
def test_models_load_times_importing_and_loading(model_data_dir: Path, smollm2: TransformersEngine) -> None:
    result = arxivgpt("models", "--load", env={"ARXIVGPT_DATA_DIR": str(model_data_dir)})
    assert result.returncode == 0, result.stderr
    assert re.search(r"^import: transformers \d+\.\d s$", result.stdout, re.M)
    assert re.search(r"^load: smollm2-135m \(cpu, [^)]+\) in \d+\.\d s", result.stdout, re.M)


def test_models_says_when_the_configured_model_cannot_run_here() -> None:
    result = arxivgpt("models", env={"ARXIVGPT_MODEL": "./missing.gguf"})
    assert result.returncode == 1
    assert (
        "runs here: nothing: ARXIVGPT_MODEL='./missing.gguf': no such model file or folder" in result.stdout
    )


@pytest.mark.slow
def test_generate_streams_a_real_answer(model_data_dir: Path, smollm2: TransformersEngine) -> None:
    result = arxivgpt(
        "generate",
        "Summarize: transformers use attention to relate every word to every other word.",
        "--model",
        "smollm2-135m",
        "--max-new-tokens",
        "12",
        env={"ARXIVGPT_DATA_DIR": str(model_data_dir)},
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) >= 3
    assert "loaded smollm2-135m from" in result.stderr
    assert re.search(
        r"\[smollm2-135m \(cpu, (bf16 on AMX|bf16 on AVX-512-BF16|fp32, no bf16 on this CPU)\): ",
        result.stderr,
    )
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "code", "message"),
    [
        (["generate", "hi", "--model", "gpt-17"], {}, 2, "error: unknown model 'gpt-17'"),
        (["generate", "hi"], {"ARXIVGPT_PRECISION": "int4"}, 2, "error: invalid setting: precision"),
        (["generate", "hi", "--model", "vicuna-7b"], {"ARXIVGPT_DEVICE": "cuda"}, 1, "sees no CUDA GPU"),
        (["generate", "hi", "--max-new-tokens", "0"], {}, 2, "error: invalid setting: max_new_tokens"),
    ],
)
def test_generate_errors(args: list[str], env: dict[str, str], code: int, message: str) -> None:
    result = arxivgpt(*args, env=env)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
