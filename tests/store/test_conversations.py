"""Conversations and passage indexes in both stores: whole turns or none, listed by paper, deleted whole."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from arxivgpt.errors import CacheError
from arxivgpt.store import MemoryStore, SqliteStore
from arxivgpt.store.base import PaperStore, StoredTurn


@pytest.fixture(params=["sqlite", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PaperStore]:
    made: PaperStore = SqliteStore(tmp_path / "c.sqlite3") if request.param == "sqlite" else MemoryStore()
    yield made
    made.close()


def turn(
    number: int, conversation: str = "c1", paper: str = "2401.00001", version: int | None = 1
) -> StoredTurn:
    header = f'{{"id": "{conversation}", "turns": {number}}}'
    return StoredTurn(conversation, paper, version, header, number, f'{{"number": {number}}}')


def test_turns_are_kept_in_order_with_the_latest_header(store: PaperStore) -> None:
    assert store.put_turn(turn(1))
    assert store.put_turn(turn(2))
    assert store.get_conversation("c1") == ('{"id": "c1", "turns": 2}', ['{"number": 1}', '{"number": 2}'])
    assert store.get_conversation("nope") is None


def test_a_later_turn_of_a_conversation_that_is_gone_stores_nothing(store: PaperStore) -> None:
    assert store.put_turn(turn(2, "gone")) is False
    assert store.get_conversation("gone") is None


def test_a_turn_number_is_stored_once(store: PaperStore) -> None:
    store.put_turn(turn(1))
    with pytest.raises(CacheError):
        store.put_turn(turn(1))
    assert store.get_conversation("c1") == ('{"id": "c1", "turns": 1}', ['{"number": 1}'])


def test_conversations_are_listed_by_paper_newest_first(store: PaperStore) -> None:
    store.put_turn(turn(1, "a", version=1))
    store.put_turn(turn(1, "b", version=2))
    store.put_turn(turn(1, "c", paper="2401.00002"))
    store.put_turn(turn(2, "a", version=1))  # "a" is now the newest
    assert store.list_conversations("2401.00001", None) == [
        '{"id": "a", "turns": 2}',
        '{"id": "b", "turns": 1}',
    ]
    assert store.list_conversations("2401.00001", 2) == ['{"id": "b", "turns": 1}']
    assert store.list_conversations("2401.99999", None) == []


def test_deleting_a_conversation_deletes_its_turns(store: PaperStore) -> None:
    store.put_turn(turn(1))
    store.put_turn(turn(2))
    assert store.delete_conversation("c1") is True
    assert store.get_conversation("c1") is None and store.list_conversations("2401.00001", None) == []
    assert store.delete_conversation("c1") is False
    assert store.put_turn(turn(1))  # the ID may start again


def test_passage_indexes_round_trip(store: PaperStore) -> None:
    assert store.get_passage_index("k") is None
    store.put_passage_index("k", "2401.00001", b"\x00zip\xff")
    assert store.get_passage_index("k") == b"\x00zip\xff"


def test_conversations_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    first = SqliteStore(path)
    first.put_turn(turn(1))
    first.close()
    again = SqliteStore(path)
    assert again.get_conversation("c1") == ('{"id": "c1", "turns": 1}', ['{"number": 1}'])
    again.close()


def test_a_failed_turn_leaves_no_conversation_behind(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    store = SqliteStore(path)
    with sqlite3.connect(path) as db:  # a turn row that will collide with the new conversation's first turn
        db.execute("INSERT INTO turn VALUES ('c1', 1, '{}', 0)")
    with pytest.raises(CacheError):
        store.put_turn(turn(1))
    assert store.get_conversation("c1") is None  # the conversation row was rolled back with the turn
    store.close()
