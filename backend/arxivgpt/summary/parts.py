"""The parts a template asks for, read from its `{% set parts = [...] %}`, with their count rules.

A template that sets `parts` is written part by part (`structure: parts`, see composer.py): each part is
its own request whose prompt ends with that part's instruction, its heading is forced and its items are
counted. A template without `parts` is one prompt answered in one go, as before (`structure: free`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from arxivgpt.errors import TemplateError

PartKind = Literal["sentence", "list", "references"]
KINDS: tuple[PartKind, ...] = ("sentence", "list", "references")
MAX_PARTS = 8
MAX_ITEMS = 10
_KEYS = {"heading", "kind", "instruction", "min", "max", "ends_with", "start", "guides"}
PHRASE = "{phrase}"
MAX_GUIDES = 8
MAX_GUIDE_CHARS = 60


@dataclass(frozen=True)
class PartSpec:
    number: int
    """1-based place in the answer."""
    heading: str
    kind: PartKind
    """"sentence": exactly one sentence; "list": `min`-`max` items; "references": entries of the paper's own
    bibliography, ranked by how often the paper cites them (never written by the model)."""
    instruction: str
    min_items: int
    max_items: int
    ends_with: str = ""
    """Every item must end with this ("?" for questions)."""
    start: str = ""
    """Words the model's answer to a "sentence" part begins with ("In this paper, we")."""
    guides: tuple[str, ...] = ()
    """Openings for a re-asked item, each around one of the paper's key phrases ("How do the authors use
    {phrase}"): after an item fails its checks, the next request starts the item with one of them (for a
    "sentence" part, in place of `start`)."""

    def as_variable(self) -> dict[str, Any]:
        """What the template sees as `part` while this part is written."""
        return {
            "number": self.number,
            "heading": self.heading,
            "kind": self.kind,
            "instruction": self.instruction,
            "min": self.min_items,
            "max": self.max_items,
            "ends_with": self.ends_with,
            "start": self.start,
            "guides": list(self.guides),
        }

    def rule(self) -> str:
        """The count rule in words, for logs and the benchmark."""
        if self.kind == "sentence":
            return "one sentence"
        if self.kind == "references":
            return f"at least {self.min_items} bibliography entries (fewer only if the paper has fewer)"
        ending = f', each ending with "{self.ends_with}"' if self.ends_with else ""
        return f"{self.min_items}–{self.max_items} items{ending}"


def read_parts(value: Any) -> list[PartSpec] | None:
    """The parts a template's `parts` value declares; None when it declares none (a free template)."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not value:
        raise TemplateError("parts must be a non-empty list of {heading, kind, instruction, ...} entries")
    if len(value) > MAX_PARTS:
        raise TemplateError(f"parts lists {len(value)} parts; at most {MAX_PARTS} are allowed")
    specs = [_part(i, entry) for i, entry in enumerate(value, start=1)]
    headings = [spec.heading.lower() for spec in specs]
    if len(set(headings)) != len(headings):
        raise TemplateError("parts: two parts have the same heading")
    return specs


def _part(number: int, entry: Any) -> PartSpec:
    where = f"parts[{number - 1}]"
    if not isinstance(entry, Mapping):
        raise TemplateError(
            f"{where} must be a mapping such as {{'heading': 'Summary', 'kind': 'sentence', ...}}"
        )
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise TemplateError(
            f"{where} has unknown keys {', '.join(map(str, unknown))}; known: {', '.join(sorted(_KEYS))}"
        )
    heading = _text(entry, "heading", where, required=True)
    kind = entry.get("kind", "list")
    if kind not in KINDS:
        raise TemplateError(f"{where}.kind is {kind!r}; it must be one of {', '.join(KINDS)}")
    low, high = _counts(entry, kind, where)
    return PartSpec(
        number=number,
        heading=heading,
        kind=kind,
        instruction=_text(entry, "instruction", where, required=kind != "references"),
        min_items=low,
        max_items=high,
        ends_with=_text(entry, "ends_with", where),
        start=_text(entry, "start", where),
        guides=_guides(entry, kind, where),
    )


def _text(entry: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str:
    value = entry.get(key, "")
    if not isinstance(value, str):
        raise TemplateError(f"{where}.{key} must be a string, not {type(value).__name__}")
    if key == "heading" and "\n" in value.strip():
        raise TemplateError(f"{where}.heading must be one line")
    if required and not value.strip():
        raise TemplateError(f"{where}.{key} is missing")
    return value.strip()


def _guides(entry: Mapping[str, Any], kind: str, where: str) -> tuple[str, ...]:
    value = entry.get("guides", [])
    if not value:
        return ()
    if kind == "references":
        raise TemplateError(f"{where}.guides are openings for the model's text; a references part has none")
    if not isinstance(value, (list, tuple)) or len(value) > MAX_GUIDES:
        raise TemplateError(f"{where}.guides must be a list of at most {MAX_GUIDES} strings")
    for guide in value:
        if not isinstance(guide, str) or guide.count(PHRASE) != 1 or "\n" in guide:
            raise TemplateError(
                f"{where}.guides: {guide!r} must be one line with {PHRASE} once, "
                f"such as 'How do the authors use {PHRASE}'"
            )
        if len(guide) > MAX_GUIDE_CHARS:
            raise TemplateError(f"{where}.guides: {guide!r} is longer than {MAX_GUIDE_CHARS} characters")
    return tuple(guide.strip() for guide in value)


def _counts(entry: Mapping[str, Any], kind: str, where: str) -> tuple[int, int]:
    if kind == "sentence":
        return 1, 1
    default_high = MAX_ITEMS if kind == "references" else 5
    low, high = entry.get("min", 3 if kind == "list" else 5), entry.get("max", default_high)
    for key, value in (("min", low), ("max", high)):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ITEMS:
            raise TemplateError(f"{where}.{key} must be a whole number from 1 to {MAX_ITEMS}, not {value!r}")
    if low > high:
        raise TemplateError(f"{where}: min ({low}) is larger than max ({high})")
    return low, high
