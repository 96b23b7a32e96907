"""The arXiv seam: everything the resolver asks of arXiv. `ArxivClient` is real, `FakeArxiv` is the fake."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from arxivgpt.errors import PaperNotFound
from arxivgpt.papers.arxiv_http import ArxivHttp
from arxivgpt.papers.ids import ArxivId
from arxivgpt.papers.metadata import MetadataClient
from arxivgpt.papers.models import Metadata
from arxivgpt.settings import Settings

Document = Literal["html", "ar5iv", "pdf"]


class ArxivSource(Protocol):
    def metadata(self, arxiv_id: ArxivId) -> Metadata:
        """arXiv's record; `PaperNotFound` for unknown IDs, `SourceUnavailable` when arXiv fails."""
        ...

    def document(self, kind: Document, arxiv_id: ArxivId) -> bytes | None:
        """The paper's HTML (arXiv's own or ar5iv's) or PDF; None when arXiv has none."""
        ...


class ArxivClient:
    """The real thing: arXiv's API for metadata, arxiv.org and ar5iv for documents, on one session."""

    def __init__(self, settings: Settings, http: ArxivHttp | None = None) -> None:
        self.http = http or ArxivHttp(settings)
        self._metadata = MetadataClient(self.http)
        self._urls: dict[Document, str] = {
            "html": f"{settings.arxiv_url}/html/{{}}",
            "ar5iv": f"{settings.ar5iv_url}/html/{{}}",
            "pdf": f"{settings.arxiv_url}/pdf/{{}}",
        }

    def metadata(self, arxiv_id: ArxivId) -> Metadata:
        return self._metadata.fetch(arxiv_id)

    def document(self, kind: Document, arxiv_id: ArxivId) -> bytes | None:
        response = self.http.get(self._urls[kind].format(arxiv_id.versioned), f"the {kind} of {arxiv_id}")
        return response.content if response is not None else None

    def close(self) -> None:
        self.http.close()


@dataclass
class FakeArxiv:
    """arXiv in memory, for tests: what it holds, what it should fail with, and what was asked of it."""

    papers: dict[str, list[Metadata]] = field(default_factory=dict)
    documents: dict[tuple[Document, str], bytes] = field(default_factory=dict)
    failures: dict[str, Exception] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def add(self, metadata: Metadata, **documents: bytes) -> None:
        self.papers.setdefault(metadata.id, []).append(metadata)
        versioned = f"{metadata.id}v{metadata.version}"
        for kind, body in documents.items():
            self.documents[(kind, versioned)] = body  # type: ignore[index]

    def metadata(self, arxiv_id: ArxivId) -> Metadata:
        self._record(f"metadata {arxiv_id}")
        versions = self.papers.get(arxiv_id.id, [])
        if arxiv_id.version is not None:
            versions = [meta for meta in versions if meta.version == arxiv_id.version]
        if not versions:
            raise PaperNotFound(f"arXiv has no paper {arxiv_id}; check the ID (and version)")
        return max(versions, key=lambda meta: meta.version)

    def document(self, kind: Document, arxiv_id: ArxivId) -> bytes | None:
        self._record(f"{kind} {arxiv_id}")
        return self.documents.get((kind, arxiv_id.versioned))

    def _record(self, request: str) -> None:
        self.requests.append(request)
        failure = self.failures.get(request.split()[0])
        if failure is not None:
            raise failure
