"""Citations are kept only when the paper's bibliography has the number; references are its own text."""

from __future__ import annotations

import random
import time

import pytest

from arxivgpt.summary.grounding import NO_BIBLIOGRAPHY, Grounded, ground
from arxivgpt.summary.models import NumberedReference

REFS = [
    NumberedReference(n=n, text=f"Author{n}, A. Paper number {n}. Journal, {1990 + n}.") for n in range(1, 49)
]
REFS[2] = NumberedReference(n=3, text="A. Vaswani et al. Attention is all you need. In NeurIPS, 2017.")
REFS[11] = NumberedReference(
    n=12,
    text="K. He, X. Zhang, S. Ren, and J. Sun. Deep residual learning for image recognition. In CVPR, 2016.",
)
TEXTS = {ref.n: ref.text for ref in REFS}


def _entry(n: int) -> str:
    return f"- [{n}] {TEXTS[n]}"


# Citations in running text: (model output, grounded, unknown)
INLINE: list[tuple[str, str | None, int]] = [
    ("Shown in [3].", "Shown in [3].", 0),
    ("Shown in [99].", "Shown in.", 1),
    ("Shown in [3, 99].", "Shown in [3].", 1),
    ("Shown in [99, 3].", "Shown in [3].", 1),
    ("Shown in [3,5;7].", "Shown in [3,5;7].", 0),
    ("Shown in [3; 99; 5].", "Shown in [3, 5].", 1),
    ("Shown in [2-4] and [2–4].", "Shown in [2-4] and [2–4].", 0),
    ("Shown in [46-50].", "Shown in [46–48].", 2),
    ("Shown in [47-49].", "Shown in [47, 48].", 1),
    ("Shown in [1-100].", "Shown in.", 1),
    ("Shown in [5-3].", "Shown in.", 1),
    ("Shown in [0].", "Shown in.", 1),
    ("Shown in [123456789012345678901234567890].", "Shown in.", 1),
    ("As [99] shows.", "As shows.", 1),
    ("Works[99]well.", "Works well.", 1),
    ("A claim (see [99]).", "A claim (see).", 1),
    ("A claim ([99]).", "A claim.", 1),
    ("A claim [[99]].", "A claim.", 1),
    ("A claim **[99]**.", "A claim.", 1),
    ("Both [1], [99].", "Both [1].", 1),
    ("Both [99], [1] agree.", "Both [1] agree.", 1),
    ("[99] starts the line.", "starts the line.", 1),
    ("- [99]", None, 1),
    ("- [99].", None, 1),
    ("[99]", None, 1),
    ("- [99] and more text", "- and more text", 1),
    ("1. [99]: an explanation", "1. an explanation", 1),
    ("  - [3] [99]", "  - [3]", 1),
    ("## Summary [99]", "## Summary", 1),
    ("> quoted [99] text", "> quoted text", 1),
]


@pytest.mark.parametrize(("line", "expected", "unknown"), INLINE)
def test_unknown_citations_are_removed_from_running_text(
    line: str, expected: str | None, unknown: int
) -> None:
    grounded = ground(f"Intro.\n{line}\nEnd.\n", REFS)
    assert grounded.summary == "Intro.\n" + (f"{expected}\n" if expected is not None else "") + "End.\n"
    assert grounded.unknown == unknown


NOT_CITATIONS = [
    "[a link](https://example.org/[99])",
    "[3](https://example.org)",
    "![99](figure.png)",
    "- [ ] a task",
    "- [x] a done task",
    "scores in $[0,1]$",
    "scores in $[0, 99]$ and $x_{[99]}$",
    "values in [0, 1]",
    "code `a[99]` here",
    "code ``a[99]`` here",
    "an escaped \\[99\\]",
    "math \\(f[99]\\) inline",
    "an escaped \\[99, 100\\] pair",
    "<https://example.org/[99]>",
    "[99]: https://example.org/reference",
    "a [word] in brackets",
]


@pytest.mark.parametrize("line", NOT_CITATIONS)
def test_links_code_math_and_task_boxes_are_untouched(line: str) -> None:
    grounded = ground(f"Text.\n{line}\n", REFS)
    assert grounded.summary == f"Text.\n{line}\n"
    assert grounded.unknown == 0


@pytest.mark.parametrize("fence", ["```", "~~~", "````"])
def test_code_blocks_are_untouched(fence: str) -> None:
    block = f"{fence}python\nx = a[99] + b[1]\n\n[42] ref\n{fence}\n"
    grounded = ground(f"Text [99].\n\n{block}after [3].\n", REFS)
    assert grounded.summary == f"Text.\n\n{block}after [3].\n"
    assert grounded.unknown == 1
    assert [c.n for c in grounded.cited] == [3]


@pytest.mark.parametrize("math", ["$$\nf([99]) = [0, 1]\n$$", "\\[\nf([99]) = [0, 1]\n\\]"])
def test_display_math_is_untouched(math: str) -> None:
    assert ground(f"Text.\n{math}\n", REFS).summary == f"Text.\n{math}\n"


# The references part


def _summary(references: str, before: str = "") -> str:
    return f"## Summary\nIt works [3].\n{before}\n## References\n{references}"


REFERENCES: list[tuple[str, str | None, int]] = [
    ("- [3] why it matters\n", f"{_entry(3)} — why it matters\n", 0),
    ("- [3]: why it matters\n", f"{_entry(3)} — why it matters\n", 0),
    ("- [3]\n", f"{_entry(3)}\n", 0),
    (
        '- [3] Vaswani et al. (2017). "Attention Is All You Need" — introduced the Transformer.\n',
        f"{_entry(3)} — introduced the Transformer.\n",
        0,
    ),
    ('- "Attention Is All You Need" [3]: introduced it\n', f"{_entry(3)} — introduced it\n", 0),
    ("- Foundational transformer paper [5]\n", f"{_entry(5)} — Foundational transformer paper\n", 0),
    ("- Smith and Jones 2019 [5]\n", f"{_entry(5)}\n", 0),
    ("- [5] *Paper Number Five* — a baseline\n", f"{_entry(5)} — a baseline\n", 0),
    ("- [5] Author5, A. Paper number 5. — a baseline\n", f"{_entry(5)} — a baseline\n", 0),
    ("- [5] arXiv:1706.03762 — a baseline\n", f"{_entry(5)} — a baseline\n", 0),
    ("- [5] — key idea: attention; it scales\n", f"{_entry(5)} — key idea: attention; it scales\n", 0),
    ("1. [5] a baseline\n2. [6] another\n", f"{_entry(5)} — a baseline\n{_entry(6)} — another\n", 0),
    ("* [5] a baseline\n", f"{_entry(5)} — a baseline\n", 0),
    ("[5] a baseline\n", f"{_entry(5)} — a baseline\n", 0),
    ("- **[5]** a baseline\n", f"{_entry(5)} — a baseline\n", 0),
    ("- [5, 6] both baselines\n", f"{_entry(5)} — both baselines\n{_entry(6)} — both baselines\n", 0),
    ("- [5][6] both\n", f"{_entry(5)} — both\n{_entry(6)} — both\n", 0),
    ("- [5-7]\n", f"{_entry(5)}\n{_entry(6)}\n{_entry(7)}\n", 0),
    ("- [5] builds on [6]\n", f"{_entry(5)} — builds on [6]\n", 0),
    ("- [5] a baseline\n  that is strong\n", f"{_entry(5)} — a baseline that is strong\n", 0),
    ("- [5] first\n- [5] again\n", f"{_entry(5)} — first\n", 0),
    ("- [99] Invented paper\n- [5] real\n", f"{_entry(5)} — real\n", 1),
    ("- [5, 99] mixed\n", f"{_entry(5)} — mixed\n", 1),
    ('- "An Invented Paper" by Smith et al. (2020)\n- [5] real\n', f"{_entry(5)} — real\n", 1),
    ("- Another invented one\n- [ ] a task box\n- [5] real\n", f"{_entry(5)} — real\n", 2),
    ("Here are five:\n- [5] real\n", f"Here are five:\n{_entry(5)} — real\n", 0),
    (
        "1. **[12] Deep Residual Learning** - He et al., 2016. It made depth work.\n",
        f"{_entry(12)} — It made depth work.\n",
        0,
    ),
    ('2. [12]. "Deep nets" — it made depth work.\n', f"{_entry(12)} — it made depth work.\n", 0),
    ("- [12] (He et al., 2016): depth works.\n", f"{_entry(12)} — depth works.\n", 0),
    (f"- [12] {TEXTS[12]} Depth works.\n", f"{_entry(12)} — Depth works.\n", 0),
    ("- [12] K. He and J. Sun. Depth works.\n", f"{_entry(12)} — Depth works.\n", 0),
    ("- [12] He, K. Deep nets. Depth works.\n", f"{_entry(12)} — Depth works.\n", 0),
    ("- [12] In CVPR. Depth works.\n", f"{_entry(12)} — Depth works.\n", 0),
    ("- [12] Deep nets, 2016. Depth works. It is easy.\n", f"{_entry(12)} — Depth works. It is easy.\n", 0),
    ("- [12] Used in Sec. 3 and Table 2.\n", f"{_entry(12)} — Used in Sec. 3 and Table 2.\n", 0),
    ('Smith, J. "An Invented Title Here" (2019).\n- [5] real\n', f"{_entry(5)} — real\n", 1),
]


@pytest.mark.parametrize(("part", "expected", "unknown"), REFERENCES)
def test_the_references_part_is_rebuilt_from_the_bibliography(part: str, expected: str, unknown: int) -> None:
    grounded = ground(_summary(part), REFS)
    assert grounded.summary == _summary(expected)
    assert grounded.unknown == unknown


@pytest.mark.parametrize(
    "heading",
    ["## References", "## 5. References", "### Relevant references", "# REFERENCES", "**References**"],
)
def test_the_references_part_is_found_by_its_heading(heading: str) -> None:
    after = "# Afterword" if heading.startswith("# ") else "## Afterword"
    summary = f"## Summary\nText.\n{heading}\n- [5] why\n- An invented one\n{after}\n- a bullet\n"
    grounded = ground(summary, REFS)
    expected = f"## Summary\nText.\n{heading}\n{_entry(5)} — why\n{after}\n- a bullet\n"
    assert grounded.summary == expected
    assert grounded.unknown == 1


def test_the_fifth_part_is_the_references_part_whatever_its_heading() -> None:
    parts = "".join(f"## Part {i}\nText.\n" for i in range(1, 5))
    grounded = ground(parts + "## Further reading\n- [5] why\n- invented\n", REFS)
    assert grounded.summary == parts + f"## Further reading\n{_entry(5)} — why\n"
    assert grounded.unknown == 1


def test_without_a_references_part_bullets_are_only_grounded() -> None:
    summary = "## Summary\nText.\n## Reading\n- [5] why\n- an idea\n- [99] kept text\n- [98]\n"
    grounded = ground(summary, REFS)
    assert grounded.summary == "## Summary\nText.\n## Reading\n- [5] why\n- an idea\n- kept text\n"
    assert grounded.unknown == 2


def test_subheadings_stay_inside_the_references_part() -> None:
    summary = "## References\n### Foundations\n- [5] why\n### Later work\n- [6]\n## Next\n"
    expected = f"## References\n### Foundations\n{_entry(5)} — why\n### Later work\n{_entry(6)}\n## Next\n"
    assert ground(summary, REFS).summary == expected


def test_entries_are_escaped_in_markdown_but_verbatim_in_cited() -> None:
    text = "Doe, J. The *best* [12] model_v2 costs $5 and $10 for `code`.\n  Second line."
    refs = [NumberedReference(n=1, text=text)]
    grounded = ground("## References\n- [1] why\n", refs)
    escaped = r"Doe, J. The \*best\* \[12\] model\_v2 costs \$5 and \$10 for \`code\`. Second line."
    assert grounded.summary == f"## References\n- [1] {escaped} — why\n"
    assert grounded.cited == refs
    assert ground(grounded.summary, refs) == grounded


# An empty bibliography


def test_without_a_bibliography_the_references_part_says_so() -> None:
    summary = "## Summary\nIt works [3].\n\n## References\n- [3] Vaswani\n- Invented et al. (2020)\n\n"
    grounded = ground(summary, [])
    assert grounded.summary == f"## Summary\nIt works.\n\n## References\n\n{NO_BIBLIOGRAPHY}\n"
    assert grounded.unknown == 3
    assert grounded.cited == []


def test_without_a_bibliography_a_compliant_summary_is_unchanged() -> None:
    summary = f"## Summary\nIt works.\n\n## References\n\n{NO_BIBLIOGRAPHY}\n\n## Notes\nMore.\n"
    assert ground(summary, []).summary == summary
    assert ground(summary, []).unknown == 0


def test_without_a_bibliography_and_no_references_part_only_citations_go() -> None:
    grounded = ground("## Summary\nIt works [3, 4].\n", [])
    assert grounded.summary == "## Summary\nIt works.\n"
    assert grounded.unknown == 2


# What is cited


def test_cited_lists_each_entry_once_in_order_of_first_citation() -> None:
    summary = "Text [7] and [3, 7] and [10-12].\n## References\n- [3] why\n- [44]\n"
    grounded = ground(summary, REFS)
    assert [c.n for c in grounded.cited] == [7, 3, 10, 11, 12, 44]
    assert all(c.text == TEXTS[c.n] for c in grounded.cited)


def test_a_bibliography_with_gaps() -> None:
    refs = [NumberedReference(n=n, text=f"Entry {n}.") for n in (1, 2, 5, 6, 7)]
    grounded = ground("Text [1-7].\n", refs)
    assert grounded.summary == "Text [1, 2, 5–7].\n"
    assert grounded.unknown == 2


def test_windows_line_endings() -> None:
    assert ground("Text [99].\r\nMore [3].\r\n", REFS).summary == "Text.\nMore [3].\n"


def test_an_empty_summary() -> None:
    assert ground("", REFS).summary == ""
    assert ground("", []).cited == []


# Idempotence and a property check over generated summaries

_FRAGMENTS = [
    "Claim [{a}].",
    "Claims [{a}, {b}].",
    "Range [{a}-{b}].",
    "Mixed ([{a}]; see [{b}]).",
    "`code [{a}]`",
    "$[0,{a}]$",
    "[link](https://x.org/{a})",
    "- [{a}] why it matters",
    "- [{a}] Smith et al. ({b}) — because",
    '- "Invented Title Number {a}" by Doe',
    "1. [{a}, {b}]: both",
    "- [ ] task",
    "**[{a}]** bold",
    "",
]
_HEADINGS = ["## Summary", "## Key insights", "## Questions", "## Future directions", "## References"]


def _random_summary(rng: random.Random) -> str:
    lines: list[str] = []
    for heading in _HEADINGS:
        lines.append(heading)
        for _ in range(rng.randint(0, 6)):
            a, b = rng.randint(0, 60), rng.randint(0, 60)
            lines.append(rng.choice(_FRAGMENTS).format(a=a, b=b))
    return "\n".join(lines) + rng.choice(["", "\n"])


@pytest.mark.parametrize("seed", range(40))
def test_grounding_generated_summaries(seed: int) -> None:
    rng = random.Random(seed)
    refs = REFS[: rng.choice([0, 5, 48])]
    texts = [ref.text for ref in refs]
    grounded = ground(_random_summary(rng), refs)
    assert all(c.text in texts and c.text == texts[c.n - 1] for c in grounded.cited)
    assert len({c.n for c in grounded.cited}) == len(grounded.cited)
    again = ground(grounded.summary, refs)
    assert again.summary == grounded.summary
    assert again.unknown == 0
    assert again.cited == grounded.cited


@pytest.mark.parametrize("case", INLINE + REFERENCES, ids=lambda case: repr(case[0])[:40])
def test_grounding_is_idempotent(case: tuple[str, str | None, int]) -> None:
    first = ground(_summary(case[0]), REFS)
    assert ground(first.summary, REFS) == Grounded(first.summary, first.cited, 0)


_SOUPS = ["[]()`$*_-–—,;:.!? \n\t#>0123456789abcXYZ\"'\\<>", "[] 0123456789,-\n#- abc", "[]()`$ 1259\n- #"]


@pytest.mark.parametrize("seed", range(60))
def test_grounding_character_soup_is_stable(seed: int) -> None:
    rng = random.Random(seed)
    soup = "".join(rng.choice(_SOUPS[seed % 3]) for _ in range(rng.choice([50, 500, 2000])))
    refs = REFS[: (0, 5, 48)[seed % 3]]
    grounded = ground(("## References\n" if seed % 2 else "") + soup, refs)
    again = ground(grounded.summary, refs)
    assert (again.summary, again.unknown, again.cited) == (grounded.summary, 0, grounded.cited)


@pytest.mark.parametrize(
    "text", ["`" * 20_000, "$" * 20_000, "[1, " * 5_000, "\\(" * 10_000, "- " + "Smith " * 5_000 + "2019"]
)
def test_pathological_input_is_quick(text: str) -> None:
    started = time.perf_counter()
    ground("## References\n" + text, REFS)
    assert time.perf_counter() - started < 2
