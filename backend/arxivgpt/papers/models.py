"""The structured paper every later stage works from.

A `Paper` is what the resolver returns: arXiv metadata, the text split into sections
(the abstract kept apart), and the paper's own bibliography, verbatim.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Source = Literal["abstract", "html", "ar5iv", "pdf"]


class Anchor(BaseModel):
    """Where a paragraph of a section's text starts, and how to point at that place in the document read."""

    at: int
    """The paragraph's first character in `Section.text`."""
    id: str | None = None
    """The LaTeXML element id of the paragraph (arXiv HTML, ar5iv): `S3.SS2.p1`, a URL fragment."""
    page: int | None = None
    """The PDF page the paragraph starts on, from 1."""


class Section(BaseModel):
    """One section of the body: its heading (without numbering noise) and plain text."""

    title: str
    text: str
    anchors: list[Anchor] = Field(default_factory=list)
    """Where its paragraphs start in the document (in `at` order); empty for text read before anchors were
    kept, or from a document that has none."""


class Reference(BaseModel):
    """One bibliography entry, `text` verbatim from the paper; `key` is its label ("1", "bib.bib3")."""

    key: str
    text: str


class FullText(BaseModel):
    """What a full-text extractor (HTML or PDF) yields, before metadata is merged in."""

    title: str = ""
    authors: list[str] = Field(default_factory=list)
    abstract: str = ""
    sections: list[Section] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    arxiv_id: str | None = None
    """The versioned arXiv ID found in the document itself (margin stamp, canonical link), if any."""
    anchored: bool = False
    """True when the extractor recorded the sections' anchors (a cached text from before did not)."""


class Metadata(BaseModel):
    """arXiv's record of a paper, as the API returns it."""

    id: str
    """The arXiv ID without version: `2303.17580`, `math/0309136`."""
    version: int
    title: str
    authors: list[str]
    abstract: str
    categories: list[str] = Field(default_factory=list)
    primary_category: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    doi: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    withdrawn: bool = False


class Paper(BaseModel):
    """A resolved paper: metadata plus the text from `source`."""

    id: str | None
    """The arXiv ID without version; None for a local file that does not say which paper it is."""
    version: int | None
    title: str
    authors: list[str] = Field(default_factory=list)
    abstract: str = ""
    categories: list[str] = Field(default_factory=list)
    published: datetime | None = None
    updated: datetime | None = None
    doi: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    withdrawn: bool = False
    source: Source
    sections: list[Section] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    """Human-readable remarks on how the paper was obtained (fallbacks taken, parts missing)."""
    cached: bool = False
    """True when everything came from the local cache, with no request to arXiv."""
    local_path: str | None = None
    """The file it was read from, for local PDFs and HTML pages."""
