"""The store seam: what the resolver keeps between runs. `SqliteStore` is real, `MemoryStore` is the fake."""

from __future__ import annotations

import threading
import time
from typing import Protocol

from arxivgpt.papers.models import FullText, Metadata, Source


class PaperStore(Protocol):
    def get_metadata(self, paper_id: str, version: int) -> Metadata | None: ...

    def put_metadata(self, metadata: Metadata, latest: bool = False) -> None:
        """Keep `metadata`; `latest=True` records its version as the newest one arXiv has."""
        ...

    def get_latest(self, paper_id: str, max_age: float) -> int | None:
        """The latest version recorded for `paper_id` within the last `max_age` seconds."""
        ...

    def get_fulltext(self, paper_id: str, version: int) -> tuple[Source, FullText] | None: ...

    def put_fulltext(self, paper_id: str, version: int, source: Source, fulltext: FullText) -> None: ...

    def get_summary(self, key: str) -> str | None:
        """A finished summary (JSON) stored under `key`, which encodes everything it depends on."""
        ...

    def put_summary(self, key: str, paper_id: str | None, body: str) -> None: ...

    def close(self) -> None: ...


class MemoryStore:
    """An in-process store with the same behaviour as the SQLite one (for tests and `--no-cache`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.metadata: dict[tuple[str, int], Metadata] = {}
        self.latest: dict[str, tuple[int, float]] = {}
        self.fulltexts: dict[tuple[str, int], tuple[Source, FullText]] = {}
        self.summaries: dict[str, str] = {}

    def get_metadata(self, paper_id: str, version: int) -> Metadata | None:
        return self.metadata.get((paper_id, version))

    def put_metadata(self, metadata: Metadata, latest: bool = False) -> None:
        with self._lock:
            self.metadata[(metadata.id, metadata.version)] = metadata
            if latest:
                self.latest[metadata.id] = (metadata.version, time.time())

    def get_latest(self, paper_id: str, max_age: float) -> int | None:
        known = self.latest.get(paper_id)
        if known is None or time.time() - known[1] > max_age:
            return None
        return known[0]

    def get_fulltext(self, paper_id: str, version: int) -> tuple[Source, FullText] | None:
        return self.fulltexts.get((paper_id, version))

    def put_fulltext(self, paper_id: str, version: int, source: Source, fulltext: FullText) -> None:
        with self._lock:
            self.fulltexts[(paper_id, version)] = (source, fulltext)

    def get_summary(self, key: str) -> str | None:
        return self.summaries.get(key)

    def put_summary(self, key: str, paper_id: str | None, body: str) -> None:
        with self._lock:
            self.summaries[key] = body

    def close(self) -> None:
        pass
