"""The cache on disk: one SQLite file (WAL), schema changes as an append-only list of migrations.

Every write is one transaction (a paper's metadata and its "latest" mark together), so a process killed at any
moment leaves whole rows or none. Opening checks the file (`PRAGMA quick_check`): a damaged one raises
`CacheDamaged` (`open_store` then moves it aside). A full disk is `CacheFull`, with what to do about it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

from arxivgpt.errors import CacheDamaged, CacheError, CacheFull
from arxivgpt.papers.models import FullText, Metadata, Source
from arxivgpt.store.base import StoredTurn


def _create_papers(db: sqlite3.Connection) -> None:
    # One statement per execute: executescript would commit the migration's transaction early.
    db.execute(
        "CREATE TABLE metadata (id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL, "
        "fetched_at REAL NOT NULL, PRIMARY KEY (id, version))"
    )
    db.execute(
        "CREATE TABLE latest (id TEXT PRIMARY KEY, version INTEGER NOT NULL, checked_at REAL NOT NULL)"
    )
    db.execute(
        "CREATE TABLE fulltext (id TEXT NOT NULL, version INTEGER NOT NULL, source TEXT NOT NULL, "
        "body TEXT NOT NULL, extracted_at REAL NOT NULL, PRIMARY KEY (id, version))"
    )


def _create_summaries(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE summary (key TEXT PRIMARY KEY, paper_id TEXT, body TEXT NOT NULL, "
        "created_at REAL NOT NULL)"
    )
    db.execute("CREATE INDEX summary_paper ON summary (paper_id)")


def _create_passage_indexes(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE passage_index (key TEXT PRIMARY KEY, paper_id TEXT, body BLOB NOT NULL, "
        "created_at REAL NOT NULL)"
    )


def _create_conversations(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE conversation (id TEXT PRIMARY KEY, paper_id TEXT NOT NULL, version INTEGER, "
        "body TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL)"
    )
    db.execute("CREATE INDEX conversation_paper ON conversation (paper_id, version)")
    db.execute(
        "CREATE TABLE turn (conversation_id TEXT NOT NULL, number INTEGER NOT NULL, body TEXT NOT NULL, "
        "created_at REAL NOT NULL, PRIMARY KEY (conversation_id, number))"
    )


# Append only: migration N (1-based) brings a database from schema N-1 to N; PRAGMA user_version records N.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _create_papers,
    _create_summaries,
    _create_passage_indexes,
    _create_conversations,
]
SQLITE_FULL = 13
Statement = tuple[str, tuple[object, ...]]
Done = TypeVar("Done")


def is_full(error: sqlite3.Error) -> bool:
    """SQLITE_FULL: the disk is full, or the database reached its `max_page_count`."""
    code = getattr(error, "sqlite_errorcode", None)  # Python 3.11+
    return code == SQLITE_FULL if code is not None else "database or disk is full" in str(error)


class SqliteStore:
    """A thread-safe `PaperStore` on one SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10.0)
        except (OSError, sqlite3.Error) as error:
            raise CacheError(f"cannot open the cache at {path}: {error}; check ARXIVGPT_DATA_DIR") from error
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._check()
            self._migrate()
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise CacheDamaged(
                f"the cache at {path} is damaged or not an ArxivGPT cache ({error}); it holds copies of "
                "arXiv data, which are fetched again, and your conversations about papers: move it aside "
                "(with its -wal and -shm files) and a new one will be started"
            ) from error

    @property
    def schema_version(self) -> int:
        return cast(int, self._db.execute("PRAGMA user_version").fetchone()[0])

    def _check(self) -> None:
        """Raise `sqlite3.DatabaseError` unless SQLite finds the file sound (a quick, O(size) scan)."""
        problems = [row[0] for row in self._db.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            raise sqlite3.DatabaseError("; ".join(map(str, problems[:3])))

    def _migrate(self) -> None:
        current = self.schema_version
        if current > len(MIGRATIONS):
            self._db.close()
            raise CacheError(
                f"the cache at {self.path} was written by a newer ArxivGPT (schema {current}, this one "
                f"knows {len(MIGRATIONS)}); upgrade ArxivGPT or set ARXIVGPT_DATA_DIR to another folder"
            )
        for number, migration in enumerate(MIGRATIONS[current:], start=current + 1):
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    migration(self._db)
                    self._db.execute(f"PRAGMA user_version = {number}")
                    self._db.execute("COMMIT")
                except sqlite3.Error as error:
                    self._db.execute("ROLLBACK")
                    self._db.close()
                    raise CacheError(
                        f"upgrading the cache at {self.path} to schema {number} failed ({error}); "
                        "delete it and it will be rebuilt"
                    ) from error

    def _query(self, sql: str, params: tuple[object, ...]) -> tuple[object, ...] | None:
        with self._lock:
            try:
                return cast("tuple[object, ...] | None", self._db.execute(sql, params).fetchone())
            except sqlite3.DatabaseError as error:
                raise CacheError(f"reading the cache at {self.path} failed: {error}") from error

    def _write(self, *statements: Statement) -> None:
        """Run `statements` as one transaction: all of them are stored, or none."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for sql, params in statements:
                    self._db.execute(sql, params)
                self._commit()
            except sqlite3.DatabaseError as error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise self._write_error(error) from error

    def _commit(self) -> None:
        self._db.execute("COMMIT")

    def _write_error(self, error: sqlite3.DatabaseError) -> CacheError:
        if is_full(error):
            return CacheFull(
                f"the cache at {self.path} cannot grow: {error}; free some disk space or point "
                "ARXIVGPT_DATA_DIR at a disk with room (nothing was stored)"
            )
        return CacheError(f"writing the cache at {self.path} failed: {error}")

    def get_metadata(self, paper_id: str, version: int) -> Metadata | None:
        row = self._query("SELECT body FROM metadata WHERE id = ? AND version = ?", (paper_id, version))
        return Metadata.model_validate_json(cast(str, row[0])) if row else None

    def put_metadata(self, metadata: Metadata, latest: bool = False) -> None:
        now = time.time()
        statements: list[Statement] = [
            (
                "INSERT OR REPLACE INTO metadata (id, version, body, fetched_at) VALUES (?, ?, ?, ?)",
                (metadata.id, metadata.version, metadata.model_dump_json(), now),
            )
        ]
        if latest:
            statements.append(
                (
                    "INSERT OR REPLACE INTO latest (id, version, checked_at) VALUES (?, ?, ?)",
                    (metadata.id, metadata.version, now),
                )
            )
        self._write(*statements)

    def get_latest(self, paper_id: str, max_age: float) -> int | None:
        row = self._query(
            "SELECT version FROM latest WHERE id = ? AND checked_at >= ?", (paper_id, time.time() - max_age)
        )
        return cast(int, row[0]) if row else None

    def get_fulltext(self, paper_id: str, version: int) -> tuple[Source, FullText] | None:
        row = self._query(
            "SELECT source, body FROM fulltext WHERE id = ? AND version = ?", (paper_id, version)
        )
        if row is None:
            return None
        return cast(Source, row[0]), FullText.model_validate_json(cast(str, row[1]))

    def put_fulltext(self, paper_id: str, version: int, source: Source, fulltext: FullText) -> None:
        self._write(
            (
                "INSERT OR REPLACE INTO fulltext (id, version, source, body, extracted_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (paper_id, version, source, fulltext.model_dump_json(), time.time()),
            )
        )

    def get_summary(self, key: str) -> str | None:
        row = self._query("SELECT body FROM summary WHERE key = ?", (key,))
        return cast(str, row[0]) if row else None

    def put_summary(self, key: str, paper_id: str | None, body: str) -> None:
        self._write(
            (
                "INSERT OR REPLACE INTO summary (key, paper_id, body, created_at) VALUES (?, ?, ?, ?)",
                (key, paper_id, body, time.time()),
            )
        )

    def get_passage_index(self, key: str) -> bytes | None:
        row = self._query("SELECT body FROM passage_index WHERE key = ?", (key,))
        return bytes(cast(bytes, row[0])) if row else None

    def put_passage_index(self, key: str, paper_id: str | None, body: bytes) -> None:
        self._write(
            (
                "INSERT OR REPLACE INTO passage_index (key, paper_id, body, created_at) VALUES (?, ?, ?, ?)",
                (key, paper_id, body, time.time()),
            )
        )

    def put_turn(self, turn: StoredTurn) -> bool:
        now = time.time()

        def store(db: sqlite3.Connection) -> bool:
            if turn.number == 1:
                db.execute(
                    "INSERT INTO conversation (id, paper_id, version, body, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (turn.conversation_id, turn.paper_id, turn.version, turn.header, now, now),
                )
            else:
                updated = db.execute(
                    "UPDATE conversation SET body = ?, updated_at = ? WHERE id = ?",
                    (turn.header, now, turn.conversation_id),
                )
                if updated.rowcount == 0:
                    return False
            db.execute(
                "INSERT INTO turn (conversation_id, number, body, created_at) VALUES (?, ?, ?, ?)",
                (turn.conversation_id, turn.number, turn.body, now),
            )
            return True

        return self._transaction(store)

    def get_conversation(self, conversation_id: str) -> tuple[str, list[str]] | None:
        row = self._query("SELECT body FROM conversation WHERE id = ?", (conversation_id,))
        if row is None:
            return None
        turns = self._all(
            "SELECT body FROM turn WHERE conversation_id = ? ORDER BY number", (conversation_id,)
        )
        return cast(str, row[0]), [cast(str, turn[0]) for turn in turns]

    def list_conversations(self, paper_id: str, version: int | None) -> list[str]:
        params: tuple[object, ...]
        if version is None:
            sql, params = "WHERE paper_id = ?", (paper_id,)
        else:
            sql, params = "WHERE paper_id = ? AND version = ?", (paper_id, version)
        rows = self._all(f"SELECT body FROM conversation {sql} ORDER BY updated_at DESC", params)
        return [cast(str, row[0]) for row in rows]

    def delete_conversation(self, conversation_id: str) -> bool:
        def delete(db: sqlite3.Connection) -> bool:
            db.execute("DELETE FROM turn WHERE conversation_id = ?", (conversation_id,))
            return db.execute("DELETE FROM conversation WHERE id = ?", (conversation_id,)).rowcount > 0

        return self._transaction(delete)

    def _all(self, sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        with self._lock:
            try:
                return cast("list[tuple[object, ...]]", self._db.execute(sql, params).fetchall())
            except sqlite3.DatabaseError as error:
                raise CacheError(f"reading the cache at {self.path} failed: {error}") from error

    def _transaction(self, work: Callable[[sqlite3.Connection], Done]) -> Done:
        """`work` in one transaction: committed when it returns something true, rolled back otherwise."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                done = work(self._db)
                if done:
                    self._commit()
                else:
                    self._db.execute("ROLLBACK")
                return done
            except sqlite3.DatabaseError as error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise self._write_error(error) from error

    def close(self) -> None:
        with self._lock:
            self._db.close()
