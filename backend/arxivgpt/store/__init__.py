"""Where resolved papers are kept between runs."""

from __future__ import annotations

import logging

from arxivgpt.errors import CacheError
from arxivgpt.settings import Settings
from arxivgpt.store.base import MemoryStore, PaperStore
from arxivgpt.store.sqlite import SqliteStore

log = logging.getLogger(__name__)

__all__ = ["MemoryStore", "PaperStore", "SqliteStore", "open_store"]


def open_store(settings: Settings) -> PaperStore:
    """The SQLite cache; if it is unusable, say why and carry on with an in-memory one."""
    try:
        return SqliteStore(settings.cache_path)
    except CacheError as error:
        log.warning("%s -- continuing without the on-disk cache", error)
        return MemoryStore()
