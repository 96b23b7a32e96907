"""Errors meant to be shown to the user, each with a message that says what to do.

ArxivGPTError
├── InvalidInput            the user's input cannot be used (HTTP 400/422, exit 2)
│   ├── InvalidPaperId      not an arXiv ID, arXiv URL or readable local file
│   ├── TemplateError       a prompt template that does not compile or render (HTTP 422, names the line)
│   └── ConversationNotFound  no conversation has that ID (HTTP 404, exit 2)
├── PaperNotFound           arXiv has no such paper (HTTP 404, exit 3)
├── SourceUnavailable       arXiv failed after retries (HTTP 502/503, exit 4)
│   └── ModelServerError    the OpenAI-compatible model server failed or cannot be reached (HTTP 502)
├── ExtractionError         a document could not be turned into text
│   ├── HtmlExtractionError
│   └── PdfExtractionError
├── CacheError              the local cache file is unusable (HTTP 500)
│   ├── CacheDamaged        it is corrupt or not a cache (moved aside at start-up, and a new one made)
│   └── CacheFull           the disk (or SQLite's page limit) is full (HTTP 507)
├── ShuttingDown            the server is stopping; try again when it is back (HTTP 503)
├── QueueFull               too many summaries wait for the model (HTTP 429 with Retry-After)
└── ModelError              the language model failed (HTTP 500)
    └── ModelLoadError      it cannot be loaded as configured (the message says what to change)
"""

from __future__ import annotations


class ArxivGPTError(Exception):
    """Base class: `str(error)` is a complete, user-facing message."""


class InvalidInput(ArxivGPTError):
    pass


class InvalidPaperId(InvalidInput):
    pass


class TemplateError(InvalidInput):
    """A prompt template that cannot be used; `line` is the template line when known."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        self.problem = problem
        self.line = line
        where = f"template line {line}" if line is not None else "template"
        super().__init__(f"{where}: {problem}")


class ConversationNotFound(InvalidInput):
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


class CacheDamaged(CacheError):
    pass


class CacheFull(CacheError):
    pass


class ShuttingDown(ArxivGPTError):
    pass


class QueueFull(ArxivGPTError):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ModelError(ArxivGPTError):
    pass


class ModelLoadError(ModelError):
    pass
