"""Step one of the pipeline: identify a paper, fetch it politely from arXiv, extract its text.

ids.py         any ID or arxiv.org URL -> ArxivId
source.py      the arXiv seam (ArxivClient over arxiv_http.py + metadata.py; FakeArxiv)
html.py        LaTeXML HTML (arXiv, ar5iv) -> FullText
pdf.py         PDF -> FullText (pdf_text, pdf_front, pdf_headings, pdf_references do the steps)
local.py       local PDF / HTML files
resolver.py    the above plus the cache -> Paper
"""

from __future__ import annotations

from arxivgpt.papers.ids import ArxivId, parse_arxiv_id
from arxivgpt.papers.models import FullText, Metadata, Paper, Reference, Section

__all__ = ["ArxivId", "FullText", "Metadata", "Paper", "Reference", "Section", "parse_arxiv_id"]
