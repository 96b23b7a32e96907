"""A corrupted or truncated cache.sqlite3 is reported and moved aside at start-up, never crashed on."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from arxivgpt.settings import Settings
from arxivgpt.store import SqliteStore, open_store
from tests.reliability.conftest import ABSTRACT_PAPERS, ServerFactory
from tests.support.cache_check import check_cache

pytestmark = pytest.mark.reliability


def _real_cache(path: Path) -> bytes:
    """A cache with a few hundred rows in it, as bytes (written by the real store, then closed)."""
    store = SqliteStore(path)
    for i in range(300):
        store.put_summary(f"key{i}", "2401.00001", '{"x": "' + "y" * 400 + '"}')
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    for companion in path.parent.glob(path.name + "*"):
        companion.unlink()
    return data


def _truncated(good: bytes) -> bytes:
    return good[: len(good) // 2]


def _page_scribbled(good: bytes) -> bytes:
    return good[:8192] + b"\x00\xff" * 2048 + good[8192 + 4096 :]


def _header_only(good: bytes) -> bytes:
    return good[:100]


def _garbage(good: bytes) -> bytes:
    return b"this is not a database" * 500


def _empty_header(good: bytes) -> bytes:
    return b"SQLite format 3\x00" + b"\xff" * 4000


DAMAGE: list[Callable[[bytes], bytes]] = [_truncated, _page_scribbled, _header_only, _garbage, _empty_header]


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda damage: damage.__name__.strip("_"))
def test_damage_is_reported_moved_aside_and_a_new_cache_started(
    tmp_path: Path, damage: Callable[[bytes], bytes], caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir()
    broken = damage(_real_cache(tmp_path / "model.sqlite3"))
    settings.cache_path.write_bytes(broken)
    with caplog.at_level(logging.WARNING):
        store = open_store(settings)
    assert isinstance(store, SqliteStore)
    store.put_summary("k", None, "{}")  # the new cache works
    assert store.get_summary("k") == "{}"
    store.close()
    (kept,) = settings.data_dir.glob("cache.sqlite3.damaged-*")
    assert kept.read_bytes() == broken
    assert "is damaged or not an ArxivGPT cache" in caplog.text
    assert f"moved it to {kept}" in caplog.text


def test_an_undamaged_cache_is_kept_as_it_is(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir()
    settings.cache_path.write_bytes(_real_cache(tmp_path / "model.sqlite3"))
    store = open_store(settings)
    assert isinstance(store, SqliteStore) and store.get_summary("key7") is not None
    store.close()
    assert not list(settings.data_dir.glob("*.damaged-*"))


@pytest.mark.parametrize("damage", [_truncated, _garbage], ids=["truncated", "garbage"])
def test_the_server_starts_on_a_damaged_cache_and_serves(
    start_server: ServerFactory, tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "cache.sqlite3").write_bytes(damage(_real_cache(tmp_path / "model.sqlite3")))
    server = start_server(data_dir)
    response = httpx.post(
        f"{server.url}/v1/summaries", json={"paper": ABSTRACT_PAPERS[0], "source": "abstract"}, timeout=30
    )
    assert response.status_code == 200, response.text
    assert "moved it to" in server.log()
    assert len(list(data_dir.glob("cache.sqlite3.damaged-*"))) == 1
    report = check_cache(data_dir / "cache.sqlite3")
    assert (report.integrity, report.corrupt, report.rows["summary"]) == ("ok", 0, 1)
