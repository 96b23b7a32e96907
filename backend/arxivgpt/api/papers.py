"""What the API accepts as a paper: arXiv IDs and arxiv.org URLs only, never a path on the server."""

from __future__ import annotations

from arxivgpt.errors import InvalidPaperId
from arxivgpt.papers.ids import EXPECTED, parse_arxiv_id

API_EXPECTED = (
    "expected an arXiv ID such as 2303.17580, 2303.17580v2 or hep-th/9901001, or an arxiv.org URL "
    "(/abs/, /pdf/ or /html/); the API does not read local files"
)


def check_remote_paper(text: str) -> None:
    """Raise `InvalidPaperId` unless `text` is an arXiv ID or URL (local files are for the CLI)."""
    try:
        parse_arxiv_id(text)
    except InvalidPaperId as error:
        raise InvalidPaperId(str(error).replace(EXPECTED, API_EXPECTED)) from None
