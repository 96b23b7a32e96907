"""Where a passage is: a URL into the document its text was read from.

    arXiv HTML     {arxiv}/html/2501.11120v1#S3.SS2.p1     (the LaTeXML id of its first paragraph)
    ar5iv          {ar5iv}/html/1111.2011v2#S2.p3
    PDF            {arxiv}/pdf/1111.2011v2#page=3          (the page it starts on; PDF viewers honour it)
    the abstract   {arxiv}/abs/2501.11120v1                 (arXiv's abstract page shows it verbatim)
    a local file   file:///.../paper.pdf#page=3            (a file that does not say which arXiv paper it is)

The arXiv hosts are the configured ones (Settings.arxiv_url, ar5iv_url): where the text was read from.
"""

from __future__ import annotations

from pathlib import Path

from arxivgpt.ask.passages import Passage
from arxivgpt.papers.models import Paper
from arxivgpt.settings import Settings


def passage_url(paper: Paper, passage: Passage, settings: Settings) -> str | None:
    """The passage's place in the document, or None when there is nothing to point at."""
    fragment = _fragment(paper, passage)
    if paper.id is not None:  # a local file that names its arXiv ID is that paper's HTML page or PDF
        versioned = f"{paper.id}v{paper.version}" if paper.version else paper.id
        if passage.part < 0 and paper.local_path is None:
            return f"{settings.arxiv_url}/abs/{versioned}"
        base = {
            "html": f"{settings.arxiv_url}/html/{versioned}",
            "ar5iv": f"{settings.ar5iv_url}/html/{versioned}",
            "pdf": f"{settings.arxiv_url}/pdf/{versioned}",
        }.get(paper.source, f"{settings.arxiv_url}/abs/{versioned}")
        return base + fragment
    if paper.local_path is not None:
        return Path(paper.local_path).as_uri() + fragment
    return None


def _fragment(paper: Paper, passage: Passage) -> str:
    if paper.source == "pdf" and passage.page is not None:
        return f"#page={passage.page}"
    if paper.source in ("html", "ar5iv") and passage.anchor:
        return f"#{passage.anchor}"
    return ""
