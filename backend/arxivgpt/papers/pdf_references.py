"""Reference lists in the cleaned lines of a PDF: an unheaded numbered list's start, and its entries."""

from __future__ import annotations

import re

from arxivgpt.papers.pdf_text import TextStats, join_lines

_NUMBERED_REFERENCE = re.compile(
    r"^(?:\[(?P<bracket>\d{1,4})\]\s*|(?P<plain>\d{1,4})\.?\s+(?=[^\d\s]))(?P<text>.*)$"
)
_KEYED_REFERENCE = re.compile(r"^\[(?P<key>[^\]\s][^\]]{0,30})\]\s*(?P<text>.*)$")
_PARTICLE = r"(?:van|von|der|den|de|del|della|di|da|du|la|le)"
_AUTHOR_START = re.compile(
    rf"^(?:{_PARTICLE}\s+)*[A-Z][\w'’\-]+(?:\s+(?:{_PARTICLE}|[A-Z][\w'’\-]+))*,\s*(?:[A-Z]\.|[A-Z][\w'’\-]+)"
    rf"|^(?:[A-Z]\.\s*-?\s*){{1,3}}(?:{_PARTICLE}\s+)*[A-Z][\w'’\-]+,"
)


def _reference_number(line: str) -> int | None:
    match = _NUMBERED_REFERENCE.match(line)
    return int(match["bracket"] or match["plain"]) if match else None


def find_reference_list(lines: list[str], min_entries: int = 3, max_entry_lines: int = 12) -> int | None:
    """Where an unheaded numbered list "1 …", "2 …" (or "[1] …") starts and runs to the end of `lines`.

    For papers such as APS ones that print the bibliography with no "References" heading. The numbers must
    count up from 1 with no entry longer than `max_entry_lines` lines, and reach the end.
    """
    for start, line in enumerate(lines):
        if _reference_number(line) != 1:
            continue
        expected, last = 2, start
        for index in range(start + 1, len(lines)):
            if _reference_number(lines[index]) == expected:
                expected, last = expected + 1, index
            elif index - last >= max_entry_lines:
                break
        else:
            if expected - 1 >= min_entries and len(lines) - last <= max_entry_lines:
                return start
    return None


def split_references(lines: list[str], stats: TextStats) -> list[tuple[str, str]]:
    """(key, text) for each entry of a reference list, text joined with the hyphen fix, else verbatim.

    Numbered lists ("[1] …", "1. …", "1 …") split where the next number starts a line; other bracketed
    keys ("[Smi20]") at every key; unnumbered author-year lists where a line after a full stop starts like
    an author ("Smith, J.", "J. Smith,"), keyed "1", "2", … in order.
    """
    entries: list[tuple[str, list[str]]] = []
    first = next((index for index, line in enumerate(lines[:3]) if _reference_number(line) == 1), None)
    if first is not None:  # (a stray line or two before "[1]" is dropped)
        for line in lines[first:]:
            match = _NUMBERED_REFERENCE.match(line)
            if match and int(match["bracket"] or match["plain"]) == len(entries) + 1:
                entries.append((str(len(entries) + 1), [match["text"]] if match["text"] else []))
            elif entries:
                entries[-1][1].append(line)
    elif lines and _KEYED_REFERENCE.match(lines[0]):
        for line in lines:
            match = _KEYED_REFERENCE.match(line)
            if match:
                entries.append((match["key"], [match["text"]] if match["text"] else []))
            elif entries:
                entries[-1][1].append(line)
    else:
        for line in lines:
            previous = entries[-1][1][-1] if entries and entries[-1][1] else ""
            if not entries or (previous[-1:] in (".", ")") and _AUTHOR_START.match(line)):
                entries.append((str(len(entries) + 1), [line]))
            else:
                entries[-1][1].append(line)
    return [(key, join_lines(parts, stats)) for key, parts in entries if parts]
