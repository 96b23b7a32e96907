"""BM25 over a paper's passages: which passages a question is about, by the words they share.

Library: `bm25s` (BM25 as sparse matrices in numpy, maintained, no model and no other dependency; scores
every passage of a paper in well under a millisecond). The words are the ones the support check uses
(faithfulness.content_words: lower-cased, stop words out, Snowball-stemmed in the paper's language), so
"datasets" in a question meets "dataset" in a passage. No embedding model is needed; one could be added
beside it where a local model exists.

The index is saved with bm25s's own `save` and read back with its `load`; index.py packs those files
with the passages into the one value the store keeps per paper version.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import bm25s  # type: ignore[import-untyped]

from arxivgpt.summary.faithfulness import content_words

# bm25s sets its own logger to DEBUG when imported: every index it builds would reach the CLI's stderr.
logging.getLogger("bm25s").setLevel(logging.WARNING)


def words(text: str, language: str) -> list[str]:
    """What BM25 compares: the content words of `text`, stemmed."""
    return content_words(text, language)


class Ranker:
    """Scores a paper's passages (given in order when built) for a query."""

    def __init__(self, retriever: Any, language: str, size: int) -> None:
        self._retriever = retriever
        self.language = language
        self.size = size

    @classmethod
    def build(cls, documents: list[str], language: str) -> Ranker:
        retriever = bm25s.BM25()
        tokens = [words(document, language) or [""] for document in documents]
        retriever.index(tokens, show_progress=False)
        return cls(retriever, language, len(documents))

    def scores(self, query: str) -> list[float]:
        """One BM25 score per passage (0 where the passage shares no word with the query)."""
        tokens = words(query, self.language)
        if not tokens:
            return [0.0] * self.size
        return [float(score) for score in self._retriever.get_scores(tokens)]

    def save(self, folder: Path) -> None:
        """Write the index into `folder` (bm25s's own files)."""
        self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, language: str, size: int) -> Ranker:
        return cls(bm25s.BM25.load(str(folder), show_progress=False), language, size)
