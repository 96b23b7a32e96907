"""Local PDFs and saved arXiv HTML pages: the same `Paper`, with no network at all."""

from __future__ import annotations

from pathlib import Path

from arxivgpt.errors import ExtractionError, InvalidInput
from arxivgpt.papers.html import extract_html
from arxivgpt.papers.ids import match_arxiv_id, parse_arxiv_id
from arxivgpt.papers.models import FullText, Paper, Source
from arxivgpt.papers.pdf import extract_pdf

LOCAL_SUFFIXES = (".pdf", ".html", ".htm", ".xhtml")
MAX_LOCAL_BYTES = 200_000_000


def local_path(text: str) -> Path | None:
    """The file `text` names, if it names a local PDF or HTML file rather than an arXiv ID or URL."""
    text = text.strip()
    if not text or "://" in text or match_arxiv_id(text.removeprefix("arXiv:")):
        return None
    path = Path(text).expanduser()
    if path.is_file():
        return path
    if path.suffix.lower() in LOCAL_SUFFIXES and not _is_arxiv_url(text):
        raise InvalidInput(f"no such file: {path}; give the path of a PDF or HTML file, or an arXiv ID")
    return None


def _is_arxiv_url(text: str) -> bool:
    try:
        parse_arxiv_id(text)
    except InvalidInput:
        return False
    return True


def load_local(path: Path) -> Paper:
    """Read a PDF or saved arXiv HTML page; errors name the file and what is wrong with it."""
    try:
        if path.stat().st_size > MAX_LOCAL_BYTES:
            raise InvalidInput(f"{path} is larger than {MAX_LOCAL_BYTES:,} bytes")
        data = path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror or error}") from error
    kind: Source = "pdf" if data.lstrip()[:5] == b"%PDF-" else "html"
    if kind == "html" and path.suffix.lower() == ".pdf":
        raise InvalidInput(f"{path} is not a PDF (it does not start with %PDF-)")
    try:
        fulltext = extract_pdf(data) if kind == "pdf" else extract_html(data)
    except ExtractionError as error:
        raise InvalidInput(f"{path}: {error}") from error
    return _paper_from_file(path, kind, fulltext)


def _paper_from_file(path: Path, kind: Source, fulltext: FullText) -> Paper:
    stamped = match_arxiv_id(fulltext.arxiv_id) if fulltext.arxiv_id else None
    where = f"read from {path} with no network"
    notes = [f"{where}; arXiv ID {stamped} taken from the document" if stamped else where]
    return Paper(
        id=stamped.id if stamped else None,
        version=stamped.version if stamped else None,
        title=fulltext.title or path.stem,
        authors=fulltext.authors,
        abstract=fulltext.abstract,
        source=kind,
        sections=fulltext.sections,
        references=fulltext.references,
        notes=notes,
        local_path=str(path.resolve()),
    )
