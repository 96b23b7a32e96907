"""A paper's passages and their BM25 index: built once per paper version and text source, kept in the store.

The stored value is one zip archive: `passages.json` (the passages and the paper's language) beside
bm25s's own index files. `INDEX_VERSION` is part of the key: when the way passages are cut or words are
counted changes, old indexes are simply not found and are built again.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from arxivgpt.ask.passages import Passage, split_passages
from arxivgpt.ask.ranking import Ranker
from arxivgpt.papers.models import Paper
from arxivgpt.store.base import PaperStore
from arxivgpt.summary.language import paper_language

log = logging.getLogger(__name__)

INDEX_VERSION = 1
CONTEXT_WEIGHT = 0.5
"""How much the conversation counts in ranking, against the question itself (1)."""
_PASSAGES = "passages.json"


def paper_key(paper: Paper) -> str:
    """The paper version a conversation and an index belong to: `2501.11120v1`, or a local file's content."""
    if paper.id is not None:
        return f"{paper.id}v{paper.version}" if paper.version else paper.id
    content = paper.model_dump_json(include={"title", "abstract", "sections"})
    return "file:" + hashlib.sha256(content.encode()).hexdigest()[:32]


@dataclass
class PaperIndex:
    passages: list[Passage]
    ranker: Ranker
    language: str
    cached: bool = False

    def ranked(self, question: str, context: str = "") -> list[tuple[Passage, float]]:
        """Every passage with its score for `question` (and, weighed less, the conversation before it), the
        best first; equal scores in document order."""
        scores = self.ranker.scores(question)
        if context.strip():
            scores = [
                a + CONTEXT_WEIGHT * b for a, b in zip(scores, self.ranker.scores(context), strict=True)
            ]
        order = sorted(range(len(self.passages)), key=lambda i: (-scores[i], i))
        return [(self.passages[i], scores[i]) for i in order]


def index_key(paper: Paper) -> str:
    return f"{paper_key(paper)}|{paper.source}|passages-v{INDEX_VERSION}"


def build_index(paper: Paper) -> PaperIndex:
    passages = split_passages(paper)
    language = paper_language(paper.title, paper.abstract, *(s.text for s in paper.sections[:3])) or "en"
    ranker = Ranker.build([f"{p.section}\n{p.text}" for p in passages], language)
    return PaperIndex(passages, ranker, language)


def load_or_build(paper: Paper, store: PaperStore) -> PaperIndex:
    """The paper's index from the store, or built now and stored."""
    key = index_key(paper)
    kept = store.get_passage_index(key)
    if kept is not None:
        try:
            return unpack(kept)
        except (ValueError, KeyError, OSError, zipfile.BadZipFile) as error:
            log.warning("the stored passage index of %s cannot be read (%s); building it again", key, error)
    index = build_index(paper)
    store.put_passage_index(key, paper.id, pack(index))
    return index


def pack(index: PaperIndex) -> bytes:
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="arxivgpt-index-") as folder:
        index.ranker.save(Path(folder))
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(folder).iterdir()):
                archive.write(path, path.name)
            meta = {"language": index.language, "passages": [p.model_dump() for p in index.passages]}
            archive.writestr(_PASSAGES, json.dumps(meta, ensure_ascii=False))
    return buffer.getvalue()


def unpack(data: bytes) -> PaperIndex:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if any("/" in name or "\\" in name or name.startswith(".") for name in archive.namelist()):
            raise ValueError("not a passage index")
        meta = json.loads(archive.read(_PASSAGES))
        passages = [Passage.model_validate(p) for p in meta["passages"]]
        with tempfile.TemporaryDirectory(prefix="arxivgpt-index-") as folder:
            archive.extractall(folder)
            ranker = Ranker.load(Path(folder), meta["language"], len(passages))
    return PaperIndex(passages, ranker, meta["language"], cached=True)
