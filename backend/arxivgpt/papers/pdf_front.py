"""Page 1 of a PDF: the title, the authors and an abstract printed without a heading."""

from __future__ import annotations

import re

from arxivgpt.papers.pdf_text import clean_line, letter_count, word_set

_MARKERS = "*∗†‡§¶‖⋄⋆□■◇◆○●♠♣♥♦★☆✉#"
_AFFILIATION = re.compile(
    r"@|\b(?:University|Universität|Université|Universidad|Institute|Institut|Department|Dept\.|Laboratory|"
    r"Laboratories|College|School of|Faculty|Centre|Center for|Inc\.|Corporation|GmbH|Ltd)\b"
)
_FRONT_STOP = re.compile(r"^\(?(?:Dated|Received|Submitted|Abstract|ABSTRACT|Keywords|KEYWORDS)\b")
_PARTICLES = word_set("van von der den de del della di da dos du la le ten ter")
_NOT_A_TITLE = frozenset({"title", "no title", "paper", "main", "manuscript", "document", "draft", "article"})
_INLINE_ABSTRACT = re.compile(r"^(?:Abstract|ABSTRACT)\s*[.:—–-]\s*(?P<text>\S.*)$")
_DATED = re.compile(r"^\((?:Dated|Received|Submitted)\b[^)]*\)\.?$")
_ABSTRACT_STOP = re.compile(
    r"^(?:PACS|Keywords|Key words|Index Terms|CCS Concepts|ACM Reference Format|Subject Areas)\b",
    re.IGNORECASE,
)


def meaningful_title(raw: str | None) -> str:
    """The metadata title, whitespace-normalised, or "" when it is a placeholder, a file name or an ID."""
    title = clean_line(raw or "")
    lowered = title.lower()
    if letter_count(title) < 4 or lowered in _NOT_A_TITLE or lowered.startswith("untitled"):
        return ""
    if lowered.startswith("microsoft word - ") or re.search(r"\.(?:pdf|tex|dvi|ps|docx?|rtf|txt)$", lowered):
        return ""
    if re.fullmatch(r"(?:arxiv:)?(?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[a-z]{2})?/\d{7})(?:v\d+)?", lowered):
        return ""
    return title


def _is_name(part: str) -> bool:
    tokens = part.split()
    return 2 <= len(tokens) <= 5 and all(
        token in _PARTICLES
        or (token[0].isupper() and all(char.isalpha() or char in ".-'’" for char in token))
        for token in tokens
    )


def _name_parts(line: str) -> list[str]:
    text = re.sub(rf"[\d{re.escape(_MARKERS)}]+", ",", line)
    return [part.strip() for part in re.split(r",|;|&|\band\b", text) if part.strip()]


def is_author_line(line: str) -> bool:
    """A line of names ("A. Smith,1 B. Jones2 and C. Wu"): two or more, or one with a footnote marker."""
    if _AFFILIATION.search(line) or line[:1] in _MARKERS or line[:1].isdigit():
        return False
    parts = _name_parts(line)
    marked = any(char.isdigit() or char in _MARKERS for char in line)
    return bool(parts) and all(_is_name(part) for part in parts) and (len(parts) >= 2 or marked)


def parse_authors(text: str) -> list[str]:
    """Names in a metadata /Author string ("A. Smith, B. Jones and C. Wu"); [] unless all look like names."""
    parts = _name_parts(clean_line(text))
    return parts if parts and all(_is_name(part) for part in parts) else []


def guess_title_and_authors(lines: list[str]) -> tuple[str, list[str]]:
    """Page 1's title (the lines before the author line, at most 4) and authors; "" / [] when unsure."""
    title_lines: list[str] = []
    index = 0
    while index < len(lines) and not is_author_line(lines[index]):
        line = lines[index]
        if _FRONT_STOP.match(line) or _AFFILIATION.search(line) or line[:1] in _MARKERS or line.endswith("."):
            break
        title_lines.append(line)
        index += 1
        if len(title_lines) > 4:
            return "", []
    authors: list[str] = []
    while index < len(lines) and is_author_line(lines[index]):
        authors.extend(_name_parts(lines[index]))
        index += 1
    stopped = index < len(lines) and (
        authors or _FRONT_STOP.match(lines[index]) or _AFFILIATION.search(lines[index])
    )
    return (" ".join(title_lines) if stopped else ""), authors


def find_abstract_lines(front: list[str]) -> tuple[list[str], int]:
    """The abstract in front matter without an Abstract heading, and the index in `front` just after it.

    An inline "Abstract—…" paragraph, or the block after an APS-style "(Dated: …)" line; up to a
    Keywords/PACS line or the end of the front matter. ([], 0) when there is neither.
    """
    start = next((index for index, line in enumerate(front) if _INLINE_ABSTRACT.match(line)), None)
    if start is not None:
        lines = [_INLINE_ABSTRACT.sub(r"\g<text>", front[start]), *front[start + 1 :]]
    else:
        dated = next((index for index, line in enumerate(front) if _DATED.match(line)), None)
        if dated is None:
            return [], 0
        start, lines = dated + 1, front[dated + 1 :]
    end = next((index for index, line in enumerate(lines) if _ABSTRACT_STOP.match(line)), len(lines))
    return lines[:end], start + end
