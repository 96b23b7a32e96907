"""A template's `parts`: the default's five, and every malformed declaration refused with its reason."""

from __future__ import annotations

from typing import Any

import pytest

from arxivgpt.errors import TemplateError
from arxivgpt.papers.models import Paper
from arxivgpt.summary import prompts
from arxivgpt.summary.parts import read_parts

VARIABLES = prompts.summary_variables(
    Paper(id=None, version=None, title="T", source="html"), "", [], "English"
)


def test_the_default_template_declares_the_five_parts_with_their_counts() -> None:
    template = prompts.default_template()
    variables = VARIABLES
    specs = read_parts(prompts.exported(template, variables, "parts"))
    assert specs is not None
    assert [(s.heading, s.kind, s.min_items, s.max_items, s.ends_with) for s in specs] == [
        ("Summary", "sentence", 1, 1, ""),
        ("Key insights", "list", 3, 5, ""),
        ("Questions", "list", 3, 5, "?"),
        ("Future directions", "list", 3, 5, ""),
        ("References", "references", 5, 5, ""),
    ]
    assert specs[0].start == "In this paper, we"
    assert [len(s.guides) for s in specs] == [1, 2, 2, 2, 0]
    german = read_parts(prompts.exported(template, {**variables, "language": "Deutsch"}, "parts"))
    assert german is not None and german[0].start == ""  # no English words forced into another language
    assert not any(spec.guides for spec in german)


def test_a_template_without_parts_is_free() -> None:
    assert read_parts(prompts.exported("Summarise {{ title }}", VARIABLES, "parts")) is None


PART = {"heading": "Questions", "kind": "list", "instruction": "ask."}


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([], "non-empty list"),
        ("Summary", "non-empty list"),
        ([PART] * 9, "at most 8"),
        (["Summary"], r"parts\[0\] must be a mapping"),
        ([{**PART, "colour": "red"}], "unknown keys colour"),
        ([{**PART, "kind": "poem"}], "kind is 'poem'"),
        ([{**PART, "heading": ""}], "heading is missing"),
        ([{**PART, "heading": 3}], "heading must be a string"),
        ([{**PART, "instruction": ""}], "instruction is missing"),
        ([{**PART, "min": 0}], "min must be a whole number from 1 to 10"),
        ([{**PART, "max": 11}], "max must be a whole number"),
        ([{**PART, "min": True}], "min must be a whole number"),
        ([{**PART, "min": 4, "max": 2}], r"min \(4\) is larger than max \(2\)"),
        ([PART, PART], "same heading"),
        ([{**PART, "guides": "How {phrase}"}], "list of at most 8 strings"),
        ([{**PART, "guides": ["Why {phrase}"] * 9}], "list of at most 8 strings"),
        ([{**PART, "guides": ["How do the authors use it"]}], "with {phrase} once"),
        ([{**PART, "guides": ["{phrase} and {phrase}"]}], "with {phrase} once"),
        ([{**PART, "guides": ["How\n{phrase}"]}], "one line"),
        ([{**PART, "guides": [3]}], "one line"),
        ([{**PART, "guides": ["Why " * 15 + "{phrase}"]}], "longer than 60 characters"),
        ([{"heading": "Refs", "kind": "references", "guides": ["{phrase}"]}], "a references part has none"),
    ],
)
def test_malformed_parts_are_refused_with_what_is_wrong(parts: Any, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        read_parts(parts)


def test_a_references_part_needs_no_instruction() -> None:
    specs = read_parts([{"heading": "References", "kind": "references"}])
    assert specs is not None and (specs[0].min_items, specs[0].max_items) == (5, 10)
