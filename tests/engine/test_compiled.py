"""The compiled decode step over a static key/value cache, with the real offline model on the CPU.

On a GPU this is the fast path (ARXIVGPT_FAST_GPU); on the CPU it is slower than eager and runs only when
asked for (`compile_decode="on"`), which is what lets CI check it: the same greedy text as the eager fp32
reference, the cache reused across requests, cancellation, and the fall-back when compiling fails.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from transformers import CompileConfig, StaticCache

from arxivgpt.engine import local
from arxivgpt.engine.base import GenerationOptions
from arxivgpt.engine.compiled import forget_compiled
from arxivgpt.engine.hardware import detect
from arxivgpt.engine.kv_cache import PreallocatedCache
from arxivgpt.engine.loading import choose, load
from arxivgpt.engine.local import TransformersEngine
from arxivgpt.settings import Settings
from tests.engine.test_local_engine import DIVERGENCE_PROMPTS, assert_cancel_stops_within_a_token

pytestmark = pytest.mark.slow
GREEDY = GenerationOptions(max_new_tokens=20)


def compiled_engine(data_dir: Path) -> TransformersEngine:
    settings = Settings(model="smollm2-135m", data_dir=data_dir, compile_decode="on")
    engine: TransformersEngine = load(choose("smollm2-135m", "fp32", "cpu", detect(), settings), settings)
    return engine


@pytest.fixture(scope="module")
def compiled(model_data_dir: Path) -> Iterator[TransformersEngine]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("TORCHINDUCTOR_CACHE_DIR", raising=False)
        engine = compiled_engine(model_data_dir)
        yield engine
    engine.close()


def test_the_engine_compiles_at_load_and_says_so(compiled: TransformersEngine, model_data_dir: Path) -> None:
    assert compiled.compiled
    assert compiled.name == "smollm2-135m (cpu, fp32, compiled decode)"
    assert isinstance(compiled.prefix_cache.owned, StaticCache)
    assert compiled.timings.warm_up_s is not None and compiled.timings.load_s is not None
    assert any((model_data_dir / "torch-compile").rglob("*")), "the compiled graphs are kept in the data dir"


@pytest.mark.parametrize("message", DIVERGENCE_PROMPTS)
def test_compiled_greedy_text_is_the_eager_reference_text(
    compiled: TransformersEngine, smollm2: TransformersEngine, message: str
) -> None:
    prompt = smollm2.format_prompt(message)
    reference = smollm2.generate(prompt, GREEDY).text()
    first = compiled.generate(prompt, GREEDY)
    assert first.text() == reference
    again = compiled.generate(prompt, GREEDY)  # the static cache cropped to the shared prompt
    assert again.text() == reference
    assert again.usage.cached_tokens == again.usage.prompt_tokens - 1


def test_cancel_stops_the_compiled_engine_within_a_token(compiled: TransformersEngine) -> None:
    assert_cancel_stops_within_a_token(compiled)


def _failing_backend(graph: Any, example_inputs: Any, **options: Any) -> Any:
    raise RuntimeError("the compiler is broken on this machine")


def _broken_compile_config(device: str) -> CompileConfig:
    config = CompileConfig(backend=_failing_backend)
    config._compile_all_devices = True  # type: ignore[assignment]
    return config


def test_a_compile_failure_falls_back_to_eager_with_one_log_line(
    smollm2: TransformersEngine,
    tmp_path: Path,
    model_data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(local, "compile_config", _broken_compile_config)
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "inductor"))
    with caplog.at_level(logging.WARNING, logger="arxivgpt.engine.local"):
        engine = compiled_engine(model_data_dir)
    try:
        failures = [r for r in caplog.records if "compiling the decode step" in r.getMessage()]
        assert len(failures) == 1
        assert (
            "(RuntimeError: the compiler is broken on this machine); decoding without compile from now on"
            in (failures[0].getMessage())
        )
        assert not engine.compiled and engine.name == "smollm2-135m (cpu, fp32)"
        assert isinstance(engine.prefix_cache.owned, PreallocatedCache)
        prompt = engine.format_prompt(DIVERGENCE_PROMPTS[0])
        started = time.perf_counter()
        assert engine.generate(prompt, GREEDY).text() == smollm2.generate(prompt, GREEDY).text()
        assert time.perf_counter() - started < 30
    finally:
        engine.close()


def test_a_request_whose_compiled_step_fails_goes_on_eagerly_from_the_tokens_it_streamed(
    smollm2: TransformersEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first token comes from the eager prefill; the failure comes at the second. The reader sees the
    reference text once: nothing repeated, nothing lost."""
    monkeypatch.setattr(local, "compile_config", _broken_compile_config)
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "inductor"))
    prompt = smollm2.format_prompt(DIVERGENCE_PROMPTS[1])
    expected = smollm2.generate(prompt, GREEDY)
    reference = expected.text()
    engine = TransformersEngine(
        smollm2.model,
        smollm2.tokenizer,
        name="smollm2-135m (cpu, fp32, compiled decode)",
        context_length=smollm2.context_length,
        repetition_penalty=1.15,
        compiled=True,
    )  # no warm-up: the first request compiles
    try:
        generation = engine.generate(prompt, GREEDY)
        assert generation.text() == reference
        assert generation.usage.completion_tokens == expected.usage.completion_tokens
        assert not engine.compiled
    finally:
        forget_compiled(smollm2.model)
        engine.close()


@pytest.mark.gpu
def test_the_fast_gpu_path(model_data_dir: Path) -> None:
    """ARXIVGPT_FAST_GPU on CUDA: torchao int8, CUDA graphs, the static cache reused across requests."""
    pytest.importorskip("torchao")
    settings = Settings(model="smollm2-135m", data_dir=model_data_dir, fast_gpu=True)
    engine = load(choose("smollm2-135m", "int8", "cuda", detect(), settings), settings)
    try:
        assert engine.name == "smollm2-135m (cuda, int8 torchao, compiled decode)", engine.name
        prompt = engine.format_prompt(DIVERGENCE_PROMPTS[0])
        first = engine.generate(prompt, GREEDY).text()
        again = engine.generate(prompt, GREEDY)
        assert first.strip() and again.text() == first
        assert again.usage.cached_tokens == again.usage.prompt_tokens - 1
        assert_cancel_stops_within_a_token(engine)
    finally:
        engine.close()
