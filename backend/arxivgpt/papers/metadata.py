"""Paper metadata from arXiv's query API, through the `arxiv` package and our polite transport."""

from __future__ import annotations

import re

import arxiv
import requests
from lxml import etree

from arxivgpt.errors import InvalidPaperId, PaperNotFound, SourceUnavailable
from arxivgpt.papers.arxiv_http import ArxivHttp
from arxivgpt.papers.ids import ArxivId, parse_arxiv_id
from arxivgpt.papers.models import Metadata

_ATOM = "{http://www.w3.org/2005/Atom}"
_WITHDRAWN = re.compile(
    r"\b(?:this (?:paper|article|submission) (?:has been|is) )?withdrawn\b", re.IGNORECASE
)


class MetadataClient:
    """Looks papers up by ID. One instance per process: it shares the process's arXiv session."""

    def __init__(self, http: ArxivHttp) -> None:
        self._api_url = http.settings.arxiv_api_url
        # Pacing and retries live in our transport, which covers every arXiv request, not only these.
        self._client = arxiv.Client(page_size=1, delay_seconds=0.0, num_retries=0)
        self._client.query_url_format = f"{self._api_url}?{{}}"
        self._client._session = http.session
        http.session.hooks["response"].append(self._check_api_response)

    def fetch(self, arxiv_id: ArxivId) -> Metadata:
        search = arxiv.Search(id_list=[arxiv_id.versioned], max_results=1)
        try:
            results = list(self._client.results(search))
        except arxiv.HTTPError as error:
            if error.status == 400:
                raise InvalidPaperId(f"arXiv's API rejected {arxiv_id} as malformed (HTTP 400)") from error
            raise SourceUnavailable(
                f"arXiv's API answered HTTP {error.status} for {arxiv_id}; try again later"
            ) from error
        except requests.RequestException as error:
            raise SourceUnavailable(
                f"arXiv's API could not be reached for {arxiv_id} ({type(error).__name__}); "
                "check your connection or try again later"
            ) from error
        if not results:
            raise PaperNotFound(f"arXiv has no paper {arxiv_id}; check the ID (and version)")
        return to_metadata(results[0])

    def _check_api_response(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        """Turn arXiv's error entries and non-feed bodies into clear errors before `arxiv` sees them."""
        if not (response.url or "").startswith(self._api_url):
            return
        body = response.content or b""
        if b"/api/errors#" in body:
            raise InvalidPaperId(f"arXiv's API rejected the request: {_error_summary(body)}")
        if response.status_code == 200 and b"<feed" not in body[:4096]:
            raise SourceUnavailable(
                "arXiv's API sent something that is not an Atom feed; try again later "
                "(or check ARXIVGPT_ARXIV_API_URL)"
            )


def _error_summary(body: bytes) -> str:
    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True, recover=True))
    except etree.XMLSyntaxError:
        return "unreadable error response"
    summary = root.find(f"{_ATOM}entry/{_ATOM}summary") if root is not None else None
    return (summary.text or "").strip() if summary is not None else "unknown error"


def to_metadata(result: arxiv.Result) -> Metadata:
    """Our `Metadata` from the `arxiv` package's `Result`."""
    parsed = parse_arxiv_id(result.entry_id)
    if parsed.version is None:
        raise SourceUnavailable(f"arXiv's API returned an entry without a version: {result.entry_id}")
    abstract = " ".join(result.summary.split())
    return Metadata(
        id=parsed.id,
        version=parsed.version,
        title=" ".join(result.title.split()),
        authors=[author.name for author in result.authors],
        abstract=abstract,
        categories=list(result.categories),
        primary_category=result.primary_category or None,
        published=result.published,
        updated=result.updated,
        doi=result.doi,
        journal_ref=result.journal_ref,
        comment=result.comment,
        withdrawn=is_withdrawn(result.comment, abstract),
    )


def is_withdrawn(comment: str | None, abstract: str) -> bool:
    """arXiv marks withdrawals in the comment ("This paper has been withdrawn") and often the abstract."""
    return bool(_WITHDRAWN.search(comment or "")) or bool(_WITHDRAWN.match(abstract))
