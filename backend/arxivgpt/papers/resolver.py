"""Whatever the user has (ID, URL, local file) to a `Paper`: metadata, full text and bibliography, cached.

A full text cached before extraction kept anchors (where each paragraph is in the document) is read
again once, so that answers can link to their passages; if arXiv cannot be reached, the cached text serves.

Resolution is single-flight: concurrent requests for the same ID and version (as asked: `2303.17580` and
`2303.17580v2` are different questions) share one metadata fetch, and requests for the same paper version
share one full-text fetch and one cache write.
"""

from __future__ import annotations

import logging
from typing import Literal

from arxivgpt.errors import ExtractionError, SourceUnavailable
from arxivgpt.papers.html import extract_html
from arxivgpt.papers.ids import ArxivId, parse_arxiv_id
from arxivgpt.papers.local import load_local, local_path
from arxivgpt.papers.models import FullText, Metadata, Paper, Source
from arxivgpt.papers.pdf import extract_pdf
from arxivgpt.papers.single_flight import SingleFlight
from arxivgpt.papers.source import ArxivClient, ArxivSource, Document
from arxivgpt.settings import Settings
from arxivgpt.store import open_store
from arxivgpt.store.base import PaperStore

log = logging.getLogger(__name__)

TextSource = Literal["full", "abstract"]
FULLTEXT_ORDER: tuple[Document, ...] = ("html", "ar5iv", "pdf")
_LABELS: dict[Document, str] = {"html": "arXiv's HTML", "ar5iv": "ar5iv's HTML", "pdf": "the PDF"}


class PaperResolver:
    """Resolves papers through one arXiv seam and one store; built once per process."""

    def __init__(self, arxiv: ArxivSource, store: PaperStore, latest_ttl: float = 24 * 3600.0) -> None:
        self.arxiv = arxiv
        self.store = store
        self.latest_ttl = latest_ttl
        self._metadata_flights: SingleFlight[tuple[Metadata, bool]] = SingleFlight()
        self._fulltext_flights: SingleFlight[Paper] = SingleFlight()

    def resolve(self, text: str, source: TextSource = "full") -> Paper:
        path = local_path(text)
        if path is not None:
            return load_local(path)
        arxiv_id = parse_arxiv_id(text)
        metadata, cached = self._metadata_flights.do(arxiv_id.versioned, lambda: self._metadata(arxiv_id))
        if source == "abstract":
            return assemble(metadata, "abstract", None, [], cached)
        versioned = (metadata.id, metadata.version)
        return self._fulltext_flights.do(versioned, lambda: self._with_fulltext(metadata, cached))

    def _metadata(self, arxiv_id: ArxivId) -> tuple[Metadata, bool]:
        version = arxiv_id.version or self.store.get_latest(arxiv_id.id, self.latest_ttl)
        if version is not None:
            known = self.store.get_metadata(arxiv_id.id, version)
            if known is not None:
                return known, True
        metadata = self.arxiv.metadata(arxiv_id)
        self.store.put_metadata(metadata, latest=arxiv_id.version is None)
        return metadata, False

    def _with_fulltext(self, metadata: Metadata, cached: bool) -> Paper:
        kept = self.store.get_fulltext(metadata.id, metadata.version)
        if kept is not None and kept[1].anchored:
            return assemble(metadata, kept[0], kept[1], [], cached)
        arxiv_id = ArxivId(metadata.id, metadata.version)
        notes: list[str] = []
        for kind in FULLTEXT_ORDER:
            fulltext = self._try_document(kind, arxiv_id, notes)
            if fulltext is not None:
                self.store.put_fulltext(metadata.id, metadata.version, kind, fulltext)
                return assemble(metadata, kind, fulltext, notes, cached=False)
        if kept is not None:  # read before anchors were kept, and cannot be read again now: still the text
            return assemble(metadata, kept[0], kept[1], [], cached)
        notes.append("no full text could be had, so this is the abstract only")
        return assemble(metadata, "abstract", None, notes, cached=False)

    def _try_document(self, kind: Document, arxiv_id: ArxivId, notes: list[str]) -> FullText | None:
        label = _LABELS[kind]
        try:
            body = self.arxiv.document(kind, arxiv_id)
            if body is None:
                notes.append(f"{label} is not available for {arxiv_id}")
                return None
            return extract_pdf(body) if kind == "pdf" else extract_html(body)
        except (SourceUnavailable, ExtractionError) as error:
            log.warning("%s of %s failed: %s", label, arxiv_id, error)
            notes.append(f"{label} failed: {error}")
            return None


def assemble(
    metadata: Metadata, source: Source, fulltext: FullText | None, notes: list[str], cached: bool
) -> Paper:
    """A `Paper` from arXiv's metadata and, when there is one, the extracted text."""
    if metadata.withdrawn:
        notes = [*notes, f"arXiv marks {metadata.id}v{metadata.version} as withdrawn: {metadata.comment}"]
    return Paper(
        id=metadata.id,
        version=metadata.version,
        title=metadata.title,
        authors=metadata.authors,
        abstract=metadata.abstract or (fulltext.abstract if fulltext else ""),
        categories=metadata.categories,
        published=metadata.published,
        updated=metadata.updated,
        doi=metadata.doi,
        journal_ref=metadata.journal_ref,
        comment=metadata.comment,
        withdrawn=metadata.withdrawn,
        source=source,
        sections=fulltext.sections if fulltext else [],
        references=fulltext.references if fulltext else [],
        notes=notes,
        cached=cached,
    )


def build_resolver(settings: Settings) -> PaperResolver:
    """The resolver with the real arXiv client and the on-disk cache."""
    return PaperResolver(ArxivClient(settings), open_store(settings), settings.latest_version_ttl)
