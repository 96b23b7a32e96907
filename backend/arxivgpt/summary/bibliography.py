"""The references part: entries of the paper's own bibliography, the most cited first, with their reason.

Nothing here comes from the model. The ranking counts every in-text citation (citations.py); each entry
carries the sentence of the paper that cites it, quoted verbatim, as the reason it matters.
"""

from __future__ import annotations

from arxivgpt.papers.models import Paper
from arxivgpt.summary.citations import CitedReference, rank_references
from arxivgpt.summary.grounding import NO_BIBLIOGRAPHY, display
from arxivgpt.summary.models import NumberedReference

MAX_REASON_CHARS = 300


def reference_items(paper: Paper, wanted: int) -> tuple[list[str], list[NumberedReference], int]:
    """Up to `wanted` list items ("[n] entry — “citing sentence”"), the entries they name, and how many
    entries the bibliography has. No bibliography: one item that says so."""
    ranked = rank_references(paper)
    if not ranked:
        return [NO_BIBLIOGRAPHY], [], 0
    chosen = ranked[:wanted]
    items = [reference_item(ref) for ref in chosen]
    return items, [NumberedReference(n=ref.n, text=ref.text) for ref in chosen], len(ranked)


def reference_item(ref: CitedReference) -> str:
    line = f"[{ref.n}] {display(ref.text)}"
    if not ref.sentence:
        return line
    times = "once" if ref.count == 1 else f"{ref.count} times"
    return f"{line} — cited {times}, e.g. “{display(_shortened(ref.sentence))}”"


def _shortened(sentence: str) -> str:
    """A long citing sentence, cut at a word with an ellipsis (the words kept are the paper's, in order)."""
    if len(sentence) <= MAX_REASON_CHARS:
        return sentence
    cut = sentence[:MAX_REASON_CHARS].rsplit(" ", 1)[0]
    return f"{cut} …"
