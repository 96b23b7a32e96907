"""What a cache file holds after a fault: SQLite's own verdict, and whether every row is whole."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from arxivgpt.papers.models import FullText, Metadata
from arxivgpt.summary.models import SummaryResult

TABLES: dict[str, type[BaseModel]] = {"metadata": Metadata, "fulltext": FullText, "summary": SummaryResult}


@dataclass
class CacheReport:
    integrity: str
    rows: dict[str, int]
    corrupt: int  # rows whose body is not a whole, valid record


def check_cache(path: Path) -> CacheReport:
    """Open read-only (so that checking changes nothing) and read every row back through its model."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        integrity = "; ".join(str(row[0]) for row in db.execute("PRAGMA integrity_check").fetchall())
        rows: dict[str, int] = {}
        corrupt = 0
        for table, model in TABLES.items():
            bodies = [row[0] for row in db.execute(f"SELECT body FROM {table}")]
            rows[table] = len(bodies)
            for body in bodies:
                try:
                    model.model_validate_json(body)
                except ValidationError:
                    corrupt += 1
    return CacheReport(integrity, rows, corrupt)
