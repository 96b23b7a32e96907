"""Where resolved papers are kept between runs."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from arxivgpt.errors import CacheDamaged, CacheError
from arxivgpt.settings import Settings
from arxivgpt.store.base import MemoryStore, PaperStore
from arxivgpt.store.sqlite import SqliteStore

log = logging.getLogger(__name__)

__all__ = ["MemoryStore", "PaperStore", "SqliteStore", "move_aside", "open_store"]


def open_store(settings: Settings) -> PaperStore:
    """The SQLite cache. A damaged one is reported and moved aside, and a new one started; if even that
    fails, say why and carry on with an in-memory one."""
    path = settings.cache_path
    try:
        try:
            return SqliteStore(path)
        except CacheDamaged as error:
            kept = move_aside(path)
            log.warning("%s -- moved it to %s and started a new cache", error, kept)
            return SqliteStore(path)
    except CacheError as error:
        log.warning("%s -- continuing without the on-disk cache", error)
        return MemoryStore()


def move_aside(path: Path) -> Path:
    """Rename `path` and its -wal/-shm files to `<name>.damaged-<time>`; return the new name of `path`."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.replace(target.with_name(target.name + suffix))
    return target
