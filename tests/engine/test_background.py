"""The engine loading on its own thread: what it says while loading, once ready, and when loading failed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout

import pytest

from arxivgpt.engine.background import BackgroundEngine
from arxivgpt.engine.base import Engine, GenerationOptions
from arxivgpt.engine.fake import FakeEngine
from arxivgpt.errors import InvalidInput, ModelLoadError


class ClosingFake(FakeEngine):
    closed = False

    def close(self) -> None:
        self.closed = True


def gated(engine: Engine) -> tuple[BackgroundEngine, threading.Event]:
    release = threading.Event()

    def build(chosen: Callable[[str], None]) -> Engine:
        chosen("smollm2-135m (cpu, bf16 on AMX)")
        assert release.wait(10)
        return engine

    return BackgroundEngine(build, "auto"), release


def test_while_loading_it_says_so_and_calls_wait_for_the_model() -> None:
    loading, release = gated(FakeEngine("Hello there."))
    for _ in range(100):  # the build thread names the model it chose before loading it
        if loading.label != "auto":
            break
        time.sleep(0.01)
    expected = ("loading", "smollm2-135m (cpu, bf16 on AMX)", None)
    assert (loading.state, loading.display_name, loading.problem) == expected
    with pytest.raises(FutureTimeout):
        loading.wait(timeout=0.05)
    answers: list[str] = []
    caller = threading.Thread(
        target=lambda: answers.append(loading.generate("hi", GenerationOptions()).text())
    )
    caller.start()
    caller.join(0.2)
    assert caller.is_alive() and not answers  # waiting for the model, not failing
    release.set()
    caller.join(5)
    assert answers == ["Hello there."]
    assert (loading.state, loading.name, loading.display_name) == ("ready", "fake", "fake")
    assert loading.context_length == 4096 and loading.count_tokens("a b c") == 3


@pytest.mark.parametrize(
    ("error", "problem"),
    [
        (ModelLoadError("set ARXIVGPT_PRECISION=nf4"), "set ARXIVGPT_PRECISION=nf4"),
        (InvalidInput("unknown model 'gpt-17'"), "unknown model 'gpt-17'"),
        (OSError("disk quota exceeded"), "smollm2-135m could not be loaded: OSError: disk quota exceeded"),
    ],
)
def test_a_failed_load_is_a_load_error_that_says_why(error: Exception, problem: str) -> None:
    def build(chosen: Callable[[str], None]) -> Engine:
        raise error

    failed = BackgroundEngine(build, "smollm2-135m")
    with pytest.raises(ModelLoadError, match=problem):
        failed.wait(timeout=5)
    assert (failed.state, failed.problem, failed.display_name) == ("failed", problem, "smollm2-135m")


def test_closing_while_loading_closes_the_model_once_it_is_there() -> None:
    model = ClosingFake()
    loading, release = gated(model)
    loading.close()
    release.set()
    loading.wait(timeout=5)
    assert model.closed


def test_closing_a_loaded_engine_closes_its_model() -> None:
    model = ClosingFake()
    loading, release = gated(model)
    release.set()
    loading.wait(timeout=5)
    loading.close()
    assert model.closed
