from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from arxivgpt.errors import CacheError
from arxivgpt.papers.models import FullText, Metadata, Reference, Section
from arxivgpt.settings import Settings
from arxivgpt.store import MemoryStore, PaperStore, SqliteStore, open_store
from arxivgpt.store.sqlite import MIGRATIONS

META = Metadata(id="hep-th/9901001", version=2, title="T", authors=["A. Author"], abstract="Abs.")
TEXT = FullText(
    title="T",
    sections=[Section(title="Introduction", text="Hello $x$.")],
    references=[Reference(key="1", text="R.")],
)


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PaperStore]:
    made: PaperStore = SqliteStore(tmp_path / "c.sqlite3") if request.param == "sqlite" else MemoryStore()
    yield made
    made.close()


def test_metadata_round_trip(store: PaperStore) -> None:
    assert store.get_metadata(META.id, 2) is None
    store.put_metadata(META)
    assert store.get_metadata(META.id, 2) == META
    assert store.get_metadata(META.id, 1) is None


def test_latest_is_recorded_only_when_asked_and_expires(store: PaperStore) -> None:
    store.put_metadata(META)
    assert store.get_latest(META.id, max_age=3600) is None
    store.put_metadata(META, latest=True)
    assert store.get_latest(META.id, max_age=3600) == 2
    assert store.get_latest(META.id, max_age=-1) is None


def test_fulltext_round_trip(store: PaperStore) -> None:
    assert store.get_fulltext(META.id, 2) is None
    store.put_fulltext(META.id, 2, "pdf", TEXT)
    assert store.get_fulltext(META.id, 2) == ("pdf", TEXT)


def test_summary_round_trip(store: PaperStore) -> None:
    assert store.get_summary("k1") is None
    store.put_summary("k1", META.id, '{"summary": "x"}')
    store.put_summary("k2", None, '{"summary": "y"}')
    assert store.get_summary("k1") == '{"summary": "x"}'
    assert store.get_summary("k2") == '{"summary": "y"}'


def test_a_schema_1_cache_gains_the_summary_table(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    with sqlite3.connect(path) as db:
        MIGRATIONS[0](db)
        db.execute("PRAGMA user_version = 1")
        db.execute("INSERT INTO latest VALUES ('2401.00001', 3, 1e12)")
    store = SqliteStore(path)
    assert store.schema_version == len(MIGRATIONS)
    assert store.get_latest("2401.00001", 1e12) == 3  # data from schema 1 is kept
    store.put_summary("k", None, "{}")
    store.close()


def test_sqlite_persists_across_processes_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    first = SqliteStore(path)
    first.put_metadata(META, latest=True)
    first.put_fulltext(META.id, 2, "html", TEXT)
    first.close()
    again = SqliteStore(path)
    assert again.get_fulltext(META.id, 2) == ("html", TEXT)
    assert again.get_latest(META.id, 3600) == 2
    assert again.schema_version == len(MIGRATIONS)
    again.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_empty_old_database_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    sqlite3.connect(path).close()
    store = SqliteStore(path)
    assert store.schema_version == len(MIGRATIONS)
    store.put_metadata(META)
    store.close()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a database at all" * 200, "damaged or not an ArxivGPT cache"),
        (b"SQLite format 3\x00" + b"\xff" * 4000, "damaged or not an ArxivGPT cache"),
    ],
)
def test_a_corrupt_file_is_reported(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "c.sqlite3"
    path.write_bytes(content)
    with pytest.raises(CacheError, match=message):
        SqliteStore(path)


def test_a_cache_from_a_newer_version_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(CacheError, match="written by a newer ArxivGPT"):
        SqliteStore(path)


def test_an_unwritable_location_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CacheError, match="cannot open the cache"):
        SqliteStore(blocker / "sub" / "c.sqlite3")


def test_open_store_moves_a_damaged_cache_aside_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path)
    settings.cache_path.write_bytes(b"garbage" * 1000)
    with caplog.at_level(logging.WARNING):
        store = open_store(settings)
    assert isinstance(store, SqliteStore)
    store.close()
    (kept,) = tmp_path.glob("cache.sqlite3.damaged-*")
    assert kept.read_bytes() == b"garbage" * 1000  # kept for a look, never overwritten
    assert f"moved it to {kept}" in caplog.text
    assert "damaged or not an ArxivGPT cache" in caplog.text


def test_open_store_falls_back_to_memory_and_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with caplog.at_level(logging.WARNING):
        store = open_store(Settings(data_dir=blocker / "data"))
    assert isinstance(store, MemoryStore)
    assert "continuing without the on-disk cache" in caplog.text


def test_open_store_uses_sqlite(tmp_path: Path) -> None:
    store = open_store(Settings(data_dir=tmp_path / "new"))
    assert isinstance(store, SqliteStore)
    store.close()


def test_a_failed_migration_leaves_the_old_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.sqlite3"
    SqliteStore(path).close()

    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE extra (x)")
        db.execute("THIS IS NOT SQL")

    monkeypatch.setattr("arxivgpt.store.sqlite.MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(CacheError, match=f"to schema {len(MIGRATIONS) + 1} failed"):
        SqliteStore(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'extra'").fetchone() is None
