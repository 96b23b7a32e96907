"""Errors meant to be shown to the user, each with a message that says what to do.

ArxivGPTError
├── InvalidInput            the user's input is not something we can work with (HTTP 400/422, exit 2)
│   └── InvalidPaperId      not an arXiv ID, arXiv URL or readable local file
├── PaperNotFound           arXiv has no such paper (HTTP 404, exit 3)
├── SourceUnavailable       arXiv (or another upstream) failed after retries (HTTP 502/503, exit 4)
├── ExtractionError         a document could not be turned into text
│   ├── HtmlExtractionError
│   └── PdfExtractionError
└── CacheError              the local cache file is unusable
"""

from __future__ import annotations


class ArxivGPTError(Exception):
    """Base class: `str(error)` is a complete, user-facing message."""


class InvalidInput(ArxivGPTError):
    pass


class InvalidPaperId(InvalidInput):
    pass


class PaperNotFound(ArxivGPTError):
    pass


class SourceUnavailable(ArxivGPTError):
    pass


class ModelServerError(SourceUnavailable):
    pass


class ExtractionError(ArxivGPTError):
    pass


class HtmlExtractionError(ExtractionError):
    pass


class PdfExtractionError(ExtractionError):
    pass


class CacheError(ArxivGPTError):
    pass


class ModelError(ArxivGPTError):
    pass


class ModelLoadError(ModelError):
    pass
