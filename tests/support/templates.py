"""Templates for tests: the single-prompt (free) five-part template the project shipped before parts."""

from __future__ import annotations

from pathlib import Path

FREE_TEMPLATE = (
    Path(__file__).resolve().parents[1] / "fixtures" / "templates" / "free-summary.md.j2"
).read_text(encoding="utf-8")
