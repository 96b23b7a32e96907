"""Shared test fixtures: where the real arXiv artefacts live, and an isolated data dir per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
