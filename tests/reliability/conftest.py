"""The fault and soak suite: real server processes on loopback, the local arXiv mirror, a scripted model.

Every test module here is marked `reliability` (they run in CI with the rest); each loop is bounded and each
server is killed at the end whatever happened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import shared_file
from tests.support.arxiv_mirror import ArxivMirror
from tests.support.server_process import ServerProcess

HTML_PAPER = "2501.11120v1"  # full text from the saved LaTeXML page (shared fixtures)
HTML_FILE = "html/arxivhtml_2501.11120v1.html"
ABSTRACT_PAPERS = ["1312.2021v1", "1605.08386v1", "1707.08567v1", "1710.08557v1", "2106.09608v2"]


@pytest.fixture
def mirror() -> Iterator[ArxivMirror]:
    served = ArxivMirror().start()
    yield served
    served.stop()


ServerFactory = Callable[..., ServerProcess]


def needs_html_paper() -> str:
    """HTML_PAPER; skips the test where ../shared has no copy of it for the mirror to serve."""
    shared_file(HTML_FILE)
    return HTML_PAPER


@pytest.fixture
def start_server(mirror: ArxivMirror, tmp_path: Path) -> Iterator[ServerFactory]:
    """`start_server(**env)`: a started server process (on tmp_path/data unless `data_dir` is given)."""
    started: list[ServerProcess] = []

    def start(data_dir: Path | None = None, **env: str) -> ServerProcess:
        server = ServerProcess(mirror, data_dir or tmp_path / "data", env=env)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()
