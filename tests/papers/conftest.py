from __future__ import annotations

from collections.abc import Iterator

import pytest

from arxivgpt.papers.polite import PoliteGate
from arxivgpt.settings import Settings
from tests.support.arxiv_mirror import ArxivMirror


class FakeTime:
    """A clock that only moves when something sleeps: pacing is checked without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def arxiv_mirror() -> Iterator[ArxivMirror]:
    mirror = ArxivMirror().start()
    yield mirror
    mirror.stop()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def mirror_settings(arxiv_mirror: ArxivMirror, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        arxiv_api_url=f"{arxiv_mirror.url}/api/query",
        arxiv_url=arxiv_mirror.url,
        ar5iv_url=f"{arxiv_mirror.url}/ar5iv",
        arxiv_delay=3.0,
        arxiv_retries=2,
        arxiv_timeout=1.0,
        data_dir=tmp_path_factory.mktemp("data"),
    )


@pytest.fixture
def gate(fake_time: FakeTime) -> PoliteGate:
    """The real gate with the real 3 s delay, on a fake clock."""
    return PoliteGate(delay=3.0, clock=fake_time.clock, sleep=fake_time.sleep)
