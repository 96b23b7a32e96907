"""The store seam: what the resolver keeps between runs. `SqliteStore` is real, `MemoryStore` is the fake."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

from arxivgpt.errors import CacheError
from arxivgpt.papers.models import FullText, Metadata, Source


@dataclass(frozen=True)
class StoredTurn:
    """One finished turn of a conversation, as the store keeps it (bodies are JSON)."""

    conversation_id: str
    paper_id: str
    """The paper's arXiv ID without version, or a local file's key (`file:...`)."""
    version: int | None
    header: str
    """The conversation as listed (paper, model, turns so far, ...), rewritten with every turn."""
    number: int
    """1 for the turn that starts the conversation (stored together with it), then 2, 3, ..."""
    body: str


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

    def get_passage_index(self, key: str) -> bytes | None:
        """A paper's passages and their search index, stored under `key` (paper version, source, format)."""
        ...

    def put_passage_index(self, key: str, paper_id: str | None, body: bytes) -> None: ...

    def put_turn(self, turn: StoredTurn) -> bool:
        """Store a turn (turn 1 creates the conversation, in the same transaction). False, storing nothing,
        when a later turn's conversation is gone (deleted meanwhile)."""
        ...

    def get_conversation(self, conversation_id: str) -> tuple[str, list[str]] | None:
        """The conversation's header and its turns in order; None when there is no such conversation."""
        ...

    def list_conversations(self, paper_id: str, version: int | None) -> list[str]:
        """Headers of the paper's conversations (of every version when `version` is None), newest first."""
        ...

    def delete_conversation(self, conversation_id: str) -> bool:
        """Delete it with its turns; False when there was none."""
        ...

    def close(self) -> None: ...


class MemoryStore:
    """An in-process store with the same behaviour as the SQLite one (for tests and `--no-cache`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.metadata: dict[tuple[str, int], Metadata] = {}
        self.latest: dict[str, tuple[int, float]] = {}
        self.fulltexts: dict[tuple[str, int], tuple[Source, FullText]] = {}
        self.summaries: dict[str, str] = {}
        self.passage_indexes: dict[str, bytes] = {}
        self.conversations: dict[str, tuple[StoredTurn, float]] = {}
        """The latest turn stored (its header and paper) and when."""
        self.turns: dict[str, list[str]] = {}

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

    def get_passage_index(self, key: str) -> bytes | None:
        return self.passage_indexes.get(key)

    def put_passage_index(self, key: str, paper_id: str | None, body: bytes) -> None:
        with self._lock:
            self.passage_indexes[key] = body

    def put_turn(self, turn: StoredTurn) -> bool:
        with self._lock:
            turns = self.turns.get(turn.conversation_id)
            if turns is None and turn.number > 1:
                return False
            if len(turns or []) != turn.number - 1:
                raise CacheError(
                    f"turn {turn.number} of conversation {turn.conversation_id} is stored already"
                )
            self.turns.setdefault(turn.conversation_id, []).append(turn.body)
            self.conversations[turn.conversation_id] = (turn, time.time())
            return True

    def get_conversation(self, conversation_id: str) -> tuple[str, list[str]] | None:
        kept = self.conversations.get(conversation_id)
        if kept is None:
            return None
        return kept[0].header, list(self.turns[conversation_id])

    def list_conversations(self, paper_id: str, version: int | None) -> list[str]:
        found = [
            (when, turn.header)
            for turn, when in self.conversations.values()
            if turn.paper_id == paper_id and (version is None or turn.version == version)
        ]
        return [header for _, header in sorted(found, key=lambda item: -item[0])]

    def delete_conversation(self, conversation_id: str) -> bool:
        with self._lock:
            self.turns.pop(conversation_id, None)
            return self.conversations.pop(conversation_id, None) is not None

    def close(self) -> None:
        pass
