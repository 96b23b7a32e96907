"""The real server (`arxivgpt.api.server.serve`: uvicorn, signals and all) with a scripted model, for the
fault and soak tests in tests/reliability and `benchmarks/reliability.py`. Run as a process:

    python -m tests.support.fault_server    settings from ARXIVGPT_* (point them at the arXiv mirror)

    FAULT_PIECE_DELAY=0.02    seconds per word the fake model takes (its replies are FAULT_REPLY_WORDS long)
    FAULT_PAUSE_IN=summary    stop inside the first write to that table (metadata, fulltext, summary), before
    FAULT_MARKER=path         its COMMIT, after writing `path`: the place to `kill -9` it
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from arxivgpt.api.app import create_app
from arxivgpt.api.server import serve
from arxivgpt.engine.base import Generation, GenerationOptions
from arxivgpt.engine.fake import FakeEngine
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import ArxivClient
from arxivgpt.settings import Settings
from arxivgpt.store import open_store
from arxivgpt.store.base import PaperStore
from arxivgpt.store.sqlite import SqliteStore, Statement

PAUSE_SECONDS = 120.0  # far longer than any test waits: it is killed long before


class EndlessFakeEngine(FakeEngine):
    """A FakeEngine that always has a reply of `words` words (numbered, so every answer is long)."""

    def __init__(self, words: int, piece_delay: float) -> None:
        super().__init__(piece_delay=piece_delay)
        self.words = words

    def generate(self, prompt: str, options: GenerationOptions) -> Generation:
        self.replies.append(" ".join(f"word{i}" for i in range(self.words)))
        self.prompts.clear()  # the soak runs hundreds of generations: keep no history
        self.generations.clear()
        return super().generate(prompt, options)


class PausingStore(SqliteStore):
    """Stops inside the transaction of the first write to `table`, before COMMIT, after writing `marker`."""

    def __init__(self, path: Path, table: str, marker: Path) -> None:
        super().__init__(path)
        self.table, self.marker = table, marker
        self._pause = False

    def _write(self, *statements: Statement) -> None:
        self._pause = any(f"INTO {self.table} " in sql for sql, _ in statements)
        super()._write(*statements)

    def _commit(self) -> None:
        if self._pause and not self.marker.exists():
            self.marker.write_text(f"inside a write to {self.table}, before COMMIT\n")
            time.sleep(PAUSE_SECONDS)
        super()._commit()


def build_store(settings: Settings) -> PaperStore:
    table, marker = os.environ.get("FAULT_PAUSE_IN"), os.environ.get("FAULT_MARKER")
    if table and marker:
        return PausingStore(settings.cache_path, table, Path(marker))
    return open_store(settings)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings()
    engine = EndlessFakeEngine(
        int(os.environ.get("FAULT_REPLY_WORDS", "60")), float(os.environ.get("FAULT_PIECE_DELAY", "0.0"))
    )
    resolver = PaperResolver(ArxivClient(settings), build_store(settings), settings.latest_version_ttl)
    serve(settings, create_app(settings, engine=engine, resolver=resolver))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # SIGINT, after a clean shutdown
        sys.exit(130)
