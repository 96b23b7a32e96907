"""Shared test fixtures: where the real arXiv artefacts live, and an isolated data dir per test."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from arxivgpt.settings import Settings

if TYPE_CHECKING:
    from arxivgpt.engine.local import TransformersEngine

REPO = Path(__file__).resolve().parents[1]
TEST_FIXTURES = REPO / "tests" / "fixtures"
SHARED_ARXIV = Path(os.environ.get("ARXIVGPT_SHARED_FIXTURES", REPO.parent / "shared" / "fixtures" / "arxiv"))


def shared_file(relative: str) -> Path:
    """A file from ../shared/fixtures/arxiv (papers we may read but not commit); skips when absent."""
    path = SHARED_ARXIV / relative
    if not path.exists():
        pytest.skip(
            f"shared arXiv fixture {relative} not found under {SHARED_ARXIV} (set ARXIVGPT_SHARED_FIXTURES)"
        )
    return path


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own data dir and never sees the developer's ARXIVGPT_* settings."""
    for name in list(os.environ):
        if name.startswith("ARXIVGPT_") and name != "ARXIVGPT_SHARED_FIXTURES":
            monkeypatch.delenv(name)
    monkeypatch.setenv("ARXIVGPT_DATA_DIR", str(tmp_path / "data"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """GPU tests skip cleanly, with a reason, where PyTorch sees no CUDA device."""
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_items:
        return
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:
        has_cuda = False
    if not has_cuda:
        for item in gpu_items:
            item.add_marker(pytest.mark.skip(reason="needs a CUDA GPU (none visible to PyTorch here)"))


@pytest.fixture(scope="session")
def model_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data dir for the whole run, so the offline model's GGUF is converted once."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def smollm2(model_data_dir: Path) -> TransformersEngine:
    """The real offline model (SmolLM2-135M-Instruct), loaded once per test run, in fp32: the reference path
    gives the same text on every CPU (the bf16 fast path is compared with it in tests/engine)."""
    from arxivgpt.engine.hardware import detect
    from arxivgpt.engine.loading import choose, load

    settings = Settings(model="smollm2-135m", data_dir=model_data_dir)
    engine: TransformersEngine = load(choose("smollm2-135m", "fp32", "cpu", detect(), settings), settings)
    return engine
