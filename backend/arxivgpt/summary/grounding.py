"""Keep a summary's citations to the paper's own bibliography.

The model is asked to cite the numbered bibliography as `[n]`. `ground` removes every citation of a
number that is not in it, rewrites the references part with the bibliography's verbatim entries
(keeping the model's own explanations, never its rendition of a title), and drops invented
references. Code, math, links and task boxes are left alone. Grounding is idempotent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from arxivgpt.summary.models import NumberedReference

NO_BIBLIOGRAPHY = "No bibliography was available for this paper."
MAX_RANGE = 20
"""A range citation `[a-b]` may span at most this many numbers; a longer one is unknown as a whole."""

_PH_OPEN, _PH_CLOSE, _GAP = "\ue000", "\ue001", "\ue002"
_PLACEHOLDER = re.compile(f"{_PH_OPEN}(\\d+){_PH_CLOSE}")
_BLOCKS = re.compile(
    r"^[ \t]*(`{3,}(?!`)|~{3,}(?!~))[^\n]*\n.*?(?:^[ \t]*\1[`~]*[ \t]*$|\Z)"  # fenced code
    r"|\$\$.+?\$\$|^[ \t]*\\\[[ \t]*$.*?^[ \t]*\\\][ \t]*$"  # display math
    r"|^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*(?:<[^>\n]*>|[A-Za-z][\w+.-]*://\S*|mailto:\S+|[/#]\S*)"
    r"(?:[ \t]+[\"'(][^\n]*)?[ \t]*$",  # link reference definition
    re.M | re.S,
)
_INLINE = re.compile(
    r"(?<![\\`])(`+)(?!`)[^\n]+?(?<!`)\1(?!`)"  # code span
    r"|(?<![\\$\w])\$(?=[^\s$])[^$\n]*?(?<=[^\s\\])\$(?![\w$])"  # inline math
    r"|(?<!\\)\\\([^\n]{1,500}?\\\)"  # \( \) math (an escaped bracket \[ is never a citation)
    r"|(?<!\\)\]\([^)\n]*\)"  # link destination
    r"|(?<!\\)<[A-Za-z][A-Za-z0-9+.-]*:[^>\s]*>"  # autolink
)
_ITEM = r"\d+(?:[ \t]*[-–—][ \t]*\d+)?"
_CITE_BODY = rf"(?<![\\!])\[[ \t]*(?P<list>{_ITEM}(?:[ \t]*[,;][ \t]*{_ITEM})*)[ \t]*\](?!\()"
_CITE = re.compile(_CITE_BODY)
_CITE_CTX = re.compile(rf"(?P<pre>[ \t]*){_CITE_BODY}")
_LEADING_CITES = re.compile(rf"^(?:[ \t]*{_CITE_BODY}[ \t]*[,;]?)+")
_PREFIX = re.compile(r"^((?:[ \t]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+|>[ \t]?|#{1,6}[ \t]+))*[ \t]*)(.*)$")
_BULLET = re.compile(r"^([ \t]*)(?:(?:[-*+]|\d{1,9}[.)])[ \t]+|(?=\[[ \t]*\d))")
_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$|^[ \t]*\*\*([^*]+?)\*\*:?[ \t]*$")
_TIDY: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"^([-*+#>]+|\d{{1,9}}[.)]){_GAP}[ \t]*"), r"\1"),  # never turn `-[99] x` into a bullet
    (re.compile(rf"(\*\*|__|\*|_)[ \t]*{_GAP}[ \t]*\1"), _GAP),  # emphasis around nothing
    (re.compile(rf"[(\[][ \t]*{_GAP}[ \t]*[)\]]"), _GAP),  # brackets around nothing
    (re.compile(rf"{_GAP}[ \t]*[,;](?=[ \t]*\[)"), _GAP),  # separator before the next citation
    (re.compile(rf"[,;][ \t]*{_GAP}(?=[ \t]*(?:[.,;:!?)]|$))"), _GAP),  # dangling separator
    (re.compile(rf"^[ \t]*{_GAP}[ \t]*(?:[:;,.]|[—–-](?=[ \t]))?[ \t]*"), ""),  # at the start
    (re.compile(rf"[ \t]*{_GAP}(?=\w)"), " "),
    (re.compile(rf"[ \t]*{_GAP}"), ""),
]
_NOTHING_LEFT = re.compile(r"^[\s.,;:!?()\[\]*_—–-]*$")
_SEPARATOR = re.compile(
    r"([ \t]+[—–-]{1,2}[ \t]+|[ \t]*—[ \t]*|:[ \t]+"
    r"|(?:(?<=\w{3}[.!?])|(?<=\d[.!?]))[ \t]+(?=[A-Z\"“]))"  # or between sentences
)
_BIBLIKE = re.compile(
    r"(?i:\bet al\b|\bin proceedings\b|\barxiv:\s*\d|\bdoi:|\bpp\.\s*\d|\bvol\.\s*\d)"
    r"|\(\s*(?:19|20)\d\d[a-z]?\s*\)"  # (2017)
    r"|[\"“”«][^\"“”«»]{6,}[\"“”»]"  # "A Quoted Title"
    r"|^\*[^*]+\*\.?$|^_[^_]+_\.?$"  # *An Italic Title*
    r"|^(?:[A-Z][\w'’-]+,?[ \t]+(?:(?:and|&)[ \t]+)?)+(?:19|20)\d\d[a-z]?\.?$"  # Smith and Jones 2019
    r"|,[ \t]*(?:19|20)\d\d[a-z]?\.?$"  # …, 2016.
    r"|\b[A-Z]\.[ \t]?(?:[A-Z]\.[ \t]?)*[A-Z][a-z]+|\b[A-Z][a-z]+,[ \t]+[A-Z]\."  # K. He / He, K.
    r"|^In[ \t]+[A-Z]"  # In CVPR
)
_ESCAPE = re.compile(r"([\\`*_\[\]<>$])")


@dataclass(frozen=True)
class Grounded:
    summary: str
    """The Markdown with unknown citations removed and the references part rebuilt."""
    cited: list[NumberedReference]
    """Each bibliography entry the summary cites, once, in order of first citation, verbatim."""
    unknown: int
    """How many citations (numbers, or references without one) were removed."""


def ground(markdown: str, references: list[NumberedReference]) -> Grounded:
    """Keep only citations of `references`; see the module docstring."""
    entries = {ref.n: ref.text for ref in references}
    text = re.sub(f"[{_PH_OPEN}{_PH_CLOSE}{_GAP}]", "", markdown.replace("\r\n", "\n"))
    protected, saved = _protect(text)
    lines = protected.split("\n")
    start, end = _references_span(lines)
    before, dropped_before, unknown_before = _ground_lines(lines[:start], entries)
    after, dropped_after, unknown_after = _ground_lines(lines[end:], entries)
    section, dropped_section, unknown_section = _ground_references(lines[start:end], entries)
    if start < end and not entries:
        heading = section[0] if section else lines[start]
        section = _no_bibliography(heading, lines[start:end], followed=end < len(lines))
    result = [*before, *section, *after]
    if dropped_before or dropped_after or dropped_section:
        result = [ln for i, ln in enumerate(result) if ln.strip() or i == 0 or result[i - 1].strip()]
    grounded = "\n".join(result)
    cited = [NumberedReference(n=n, text=entries[n]) for n in _cited_numbers(grounded, entries)]
    return Grounded(_restore(grounded, saved), cited, unknown_before + unknown_section + unknown_after)


# Protecting code, math and links behind placeholders


def _protect(text: str) -> tuple[str, list[str]]:
    saved: list[str] = []

    def keep(match: re.Match[str]) -> str:
        saved.append(match.group(0))
        return f"{_PH_OPEN}{len(saved) - 1}{_PH_CLOSE}"

    return _INLINE.sub(keep, _BLOCKS.sub(keep, text)), saved


def _restore(text: str, saved: list[str]) -> str:
    while _PLACEHOLDER.search(text):
        text = _PLACEHOLDER.sub(lambda m: saved[int(m.group(1))], text)
    return text


# Citation groups


def _is_interval(listing: str) -> bool:
    """`[0, 1]` is an interval, not a citation (the bibliography counts from 1)."""
    return re.fullmatch(r"0[ \t]*,[ \t]*\d+", listing) is not None


def _expand(item: str) -> list[int] | None:
    """The numbers an item names; None for a reversed range or one longer than MAX_RANGE."""
    bounds = [int(x) for x in re.findall(r"\d+", item)]
    if len(bounds) == 1:
        return bounds
    low, high = bounds
    if high < low or high - low >= MAX_RANGE:
        return None
    return list(range(low, high + 1))


def _numbers(listing: str) -> list[int]:
    if _is_interval(listing):
        return []
    return [n for item in re.split(r"[ \t]*[,;][ \t]*", listing) for n in _expand(item) or []]


def _compact(numbers: list[int]) -> list[str]:
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return [f"{r[0]}–{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs]


def _rewrite(listing: str, entries: dict[int, str]) -> tuple[str | None, int]:
    """The listing with unknown numbers removed (None when none is left) and how many were unknown."""
    if _is_interval(listing):
        return listing, 0
    kept: list[str] = []
    unknown = 0
    for item in re.split(r"[ \t]*[,;][ \t]*", listing):
        numbers = _expand(item)
        if numbers is None:
            unknown += 1
            continue
        known = [n for n in numbers if n in entries]
        unknown += len(numbers) - len(known)
        kept.extend([item] if len(known) == len(numbers) else _compact(known))
    if unknown == 0:
        return listing, 0
    return (", ".join(kept) if kept else None), unknown


def _ground_line(line: str, entries: dict[int, str]) -> tuple[str | None, int]:
    """The line without unknown citations (None when nothing is left of it) and how many there were."""
    total = 0
    grounded: str | None = line
    while grounded is not None:  # until what the removals joined up holds no unknown citation either
        grounded, unknown = _ground_once(grounded, entries)
        total += unknown
        if unknown == 0:
            break
    return grounded, total


def _ground_once(line: str, entries: dict[int, str]) -> tuple[str | None, int]:
    split = _PREFIX.match(line)
    assert split is not None  # the pattern matches any line
    prefix, content = split.group(1), split.group(2)
    unknown = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal unknown
        listing, count = _rewrite(match.group("list"), entries)
        unknown += count
        if count == 0:
            return match.group(0)
        return f"{match.group('pre')}[{listing}]" if listing else f"{match.group('pre')}{_GAP}"

    content = _CITE_CTX.sub(replace, content)
    if unknown == 0:
        return line, 0
    for pattern, replacement in _TIDY:
        content = pattern.sub(replacement, content)
    content = content.rstrip()
    if _NOTHING_LEFT.match(content):
        return None, unknown
    return prefix + content, unknown


def _ground_lines(lines: list[str], entries: dict[int, str]) -> tuple[list[str], bool, int]:
    out: list[str] = []
    unknown = 0
    for line in lines:
        grounded, count = _ground_line(line, entries)
        unknown += count
        if grounded is not None:
            out.append(grounded)
    return out, len(out) < len(lines), unknown


def _cited_numbers(text: str, entries: dict[int, str]) -> list[int]:
    seen: dict[int, None] = {}
    for match in _CITE.finditer(text):
        seen.update((n, None) for n in _numbers(match.group("list")) if n in entries)
    return list(seen)


# The references part


def _references_span(lines: list[str]) -> tuple[int, int]:
    """Lines [start, end) of the references part, (len, len) when there is none."""
    headings = [(i, _heading_level(m), m.group(2) or m.group(3) or "") for i, m in _headings(lines)]
    named = [h for h in headings if "reference" in h[2].lower()]
    top = [h for h in headings if h[1] == min((h[1] for h in headings), default=0)]
    chosen = named[-1] if named else top[-1] if len(top) == 5 else None
    if chosen is None:
        return len(lines), len(lines)
    later = [i for i, level, _ in headings if i > chosen[0] and level <= chosen[1]]
    return chosen[0], later[0] if later else len(lines)


def _headings(lines: list[str]) -> Iterator[tuple[int, re.Match[str]]]:
    for i, line in enumerate(lines):
        match = _HEADING.match(line)
        if match:
            yield i, match


def _heading_level(match: re.Match[str]) -> int:
    return len(match.group(1)) if match.group(1) else 7


def _ground_references(section: list[str], entries: dict[int, str]) -> tuple[list[str], bool, int]:
    if not section:
        return [], False, 0
    heading, _, unknown = _ground_lines(section[:1], entries)
    out = list(heading)
    listed: set[int] = set()
    dropped = False
    for item in _items(section[1:]):
        lines, count = _rebuild_item(item, entries, listed)
        unknown += count
        dropped = dropped or not lines
        out.extend(lines)
    return out, dropped, unknown


def _items(lines: list[str]) -> Iterator[list[str]]:
    """Bullets with their indented continuation lines, and every other line on its own."""
    item: list[str] = []
    for line in lines:
        indented = line[:1] in (" ", "\t") and line.strip()
        continues = item and indented and not _BULLET.match(line) and not _HEADING.match(line)
        if continues:
            item.append(line)
            continue
        if item:
            yield item
        item = [line] if _BULLET.match(line) else []
        if not item:
            yield [line]
    if item:
        yield item


def _rebuild_item(item: list[str], entries: dict[int, str], listed: set[int]) -> tuple[list[str], int]:
    first = item[0]
    if not _BULLET.match(first):
        grounded, unknown = _ground_line(first, entries)
        if grounded is None:
            return [], unknown
        if _BULLET.match(grounded):  # removing a citation left a line that starts like a reference
            lines, more = _rebuild_item([grounded], entries, listed)
            return lines, unknown + more
        if not _HEADING.match(grounded) and not _CITE.search(grounded) and _BIBLIKE.search(grounded.strip()):
            return [], unknown or 1  # an invented reference written as a paragraph
        return [grounded], unknown
    indent = first[: len(first) - len(first.lstrip())]
    joined = " ".join([first.rstrip(), *(line.strip() for line in item[1:])])
    grounded, unknown = _ground_line(joined, entries)
    content = re.sub(r"\*\*|__", "", _BULLET.sub("", grounded or "", count=1))
    numbers, rest = _split_citations(content, entries)
    if not numbers:
        return [], unknown + (0 if _CITE.search(joined) else 1)
    explanation = _explanation(rest, [entries[n] for n in numbers])
    tail = ["—", explanation] if explanation else []
    fresh = [n for n in numbers if n not in listed]
    listed.update(fresh)
    bullets = [" ".join(filter(None, [f"- [{n}]", display(entries[n]), *tail])) for n in fresh]
    return [indent + bullet for bullet in bullets], unknown


def _split_citations(content: str, entries: dict[int, str]) -> tuple[list[int], str]:
    """The bullet's reference numbers and the rest of its text."""
    lead = _LEADING_CITES.match(content)
    cites = _CITE.finditer(lead.group(0) if lead else content)
    numbers = list(dict.fromkeys(n for m in cites for n in _numbers(m.group("list")) if n in entries))
    if lead:
        return numbers, content[lead.end() :]
    rest = _CITE.sub(_GAP, content)
    for pattern, replacement in _TIDY:
        rest = pattern.sub(replacement, rest)
    return numbers, rest


def _explanation(rest: str, texts: list[str]) -> str:
    """The model's own words about a reference, without anything that restates the entry."""
    rest = rest.strip()
    for text in texts:
        rest = _strip_prefix(rest, display(text))
    parts = _SEPARATOR.split(re.sub(r"^[\s:;,.—–-]+", "", rest))
    kept: list[str] = []
    for i in range(0, len(parts), 2):
        segment = parts[i].strip()
        if segment and not _restates(segment, texts):
            kept.append(f"{parts[i - 1] if kept else ''}{segment}")
    return "".join(kept).strip()


def _strip_prefix(text: str, prefix: str) -> str:
    return text[len(prefix) :].strip() if prefix and text.startswith(prefix) else text


def _restates(segment: str, texts: list[str]) -> bool:
    if _BIBLIKE.search(segment):
        return True
    words = _normalise(segment)
    return len(words) >= 12 and any(words in _normalise(text) for text in texts)


def _normalise(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def display(text: str) -> str:
    """An entry as one line of Markdown that renders as its own text."""
    flat = " ".join(re.sub(f"[{_PH_OPEN}{_PH_CLOSE}{_GAP}]", "", text).split())
    return _ESCAPE.sub(r"\\\1", flat)


def _no_bibliography(heading: str, section: list[str], followed: bool) -> list[str]:
    blanks = len(section) - len(_rstrip_blank(section))
    return [heading, "", NO_BIBLIOGRAPHY, *[""] * max(blanks, 1 if followed else 0)]


def _rstrip_blank(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines
