"""arXiv identifiers: parse whatever a user pasted (ID, `arXiv:` prefix, any arxiv.org URL) into one form.

Input is NFKC-normalised first, so full-width forms (`２１０４.１２２５５`, `ａｒＸｉｖ：`) become their ASCII
spelling; what is still not ASCII after that (Arabic-Indic digits, say) is refused: IDs are ASCII only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from arxivgpt.errors import InvalidPaperId

# Archives of old-style identifiers (before April 2007), including retired ones such as solv-int.
OLD_ARCHIVES = frozenset(
    [
        "acc-phys",
        "adap-org",
        "alg-geom",
        "ao-sci",
        "astro-ph",
        "atom-ph",
        "bayes-an",
        "chao-dyn",
        "chem-ph",
        "cmp-lg",
        "comp-gas",
        "cond-mat",
        "cs",
        "dg-ga",
        "funct-an",
        "gr-qc",
        "hep-ex",
        "hep-lat",
        "hep-ph",
        "hep-th",
        "math",
        "math-ph",
        "mtrl-th",
        "nlin",
        "nucl-ex",
        "nucl-th",
        "patt-sol",
        "physics",
        "plasm-ph",
        "q-alg",
        "q-bio",
        "q-fin",
        "quant-ph",
        "solv-int",
        "stat",
        "supr-con",
    ]
)

# [0-9], not \d: Python's \d matches every Unicode digit.
_NEW = re.compile(r"(?P<yymm>[0-9]{4})\.(?P<num>[0-9]{4,5})(?:v(?P<version>[1-9][0-9]*))?")
_OLD = re.compile(
    r"(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.[A-Za-z]{2})?/(?P<yymm>[0-9]{4})(?P<num>[0-9]{3})"
    r"(?:v(?P<version>[1-9][0-9]*))?"
)
_PREFIX = re.compile(r"^arxiv:\s*", re.IGNORECASE)
_PATH_KINDS = ("abs", "pdf", "html", "format", "ps")

EXPECTED = (
    "expected an arXiv ID such as 2303.17580, 2303.17580v2 or hep-th/9901001, an arxiv.org URL "
    "(/abs/, /pdf/ or /html/), or the path of a local PDF or arXiv HTML file"
)


@dataclass(frozen=True)
class ArxivId:
    """A canonical arXiv identifier: `id` never carries a version; `version` is None for "the latest"."""

    id: str
    version: int | None = None

    @property
    def versioned(self) -> str:
        return f"{self.id}v{self.version}" if self.version else self.id

    def with_version(self, version: int) -> ArxivId:
        return ArxivId(self.id, version)

    def __str__(self) -> str:
        return self.versioned


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse an ID or arxiv.org URL; raise `InvalidPaperId` naming what was expected."""
    raw = unicodedata.normalize("NFKC", text).strip()
    if not raw:
        raise InvalidPaperId(f"no paper given: {EXPECTED}")
    if not raw.isascii():
        odd = next(char for char in raw if not char.isascii())
        raise InvalidPaperId(
            f"{text.strip()!r} contains {odd!r} ({unicodedata.name(odd, f'U+{ord(odd):04X}')}); "
            f"arXiv IDs and URLs are ASCII only, type the digits 0-9: {EXPECTED}"
        )
    candidate = _PREFIX.sub("", raw)
    found = match_arxiv_id(candidate)
    if found is None and ("://" in candidate or _looks_like_bare_url(candidate)):
        found = match_arxiv_id(_id_from_url(raw, candidate))
    if found is None:
        raise InvalidPaperId(f"{raw!r} is not an arXiv ID: {EXPECTED}")
    return found


def match_arxiv_id(text: str) -> ArxivId | None:
    """The ID if `text` is exactly a valid new- or old-style identifier (with optional version), else None."""
    new = _NEW.fullmatch(text)
    if new:
        return _new_style(new)
    old = _OLD.fullmatch(text)
    if old:
        return _old_style(old)
    return None


def _new_style(match: re.Match[str]) -> ArxivId | None:
    yymm, num = match["yymm"], match["num"]
    if not 1 <= int(yymm[2:]) <= 12 or yymm < "0704":
        return None
    # Four-digit sequence numbers ran from 0704 to 1412, five-digit ones since 1501.
    if (len(num) == 5) != (yymm >= "1501"):
        return None
    return ArxivId(f"{yymm}.{num}", _version(match))


def _old_style(match: re.Match[str]) -> ArxivId | None:
    archive, yymm = match["archive"], match["yymm"]
    if archive not in OLD_ARCHIVES or not 1 <= int(yymm[2:]) <= 12:
        return None
    if not ("9108" <= yymm <= "9912" or "0001" <= yymm <= "0703"):
        return None
    return ArxivId(f"{archive}/{yymm}{match['num']}", _version(match))


def _version(match: re.Match[str]) -> int | None:
    return int(match["version"]) if match["version"] else None


def _looks_like_bare_url(text: str) -> bool:
    host = text.split("/", 1)[0].lower()
    return "." in host and not host[0].isdigit() and "/" in text


def _is_arxiv_host(host: str) -> bool:
    return host in ("arxiv.org", "ar5iv.org") or host.endswith((".arxiv.org", ".ar5iv.org"))


def _id_from_url(raw: str, url: str) -> str:
    try:
        parts = urlsplit(url if "://" in url else f"https://{url}")
        host = (parts.hostname or "").lower()
    except ValueError as error:  # e.g. an unclosed IPv6 bracket
        raise InvalidPaperId(f"{raw!r} is not a valid URL ({error}); {EXPECTED}") from error
    if parts.scheme not in ("http", "https") or not _is_arxiv_host(host):
        raise InvalidPaperId(f"{raw!r} is not an arXiv URL: only arxiv.org links are accepted; {EXPECTED}")
    segments = [segment for segment in parts.path.split("/") if segment]
    if len(segments) < 2 or segments[0] not in _PATH_KINDS:
        raise InvalidPaperId(f"{raw!r} does not point to a paper: {EXPECTED}")
    rest = segments[1:]
    # Old-style IDs span two segments (hep-th/9901001); HTML pages may add a file after the ID.
    if len(rest) >= 2 and _OLD.fullmatch(f"{rest[0]}/{rest[1]}".removesuffix(".pdf")):
        return f"{rest[0]}/{rest[1]}".removesuffix(".pdf")
    return rest[0].removesuffix(".pdf")
