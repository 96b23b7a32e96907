"""Templates are bounded in time: loops, calls and filters are counted steps, with a deadline."""

from __future__ import annotations

import threading
import time

import pytest

from arxivgpt.errors import TemplateError
from arxivgpt.papers.models import Paper, Reference, Section
from arxivgpt.summary import prompts

STEPS = f"the template did more than {prompts.MAX_RENDER_STEPS:,} steps; simplify its loops"
DEADLINE = 0.5  # the hostile cases run with a shorter deadline than the real one, to keep the tests fast
SLOW = f"the template ran for more than {DEADLINE:g} s; simplify its loops"
NESTED = "{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}"
NESTED += "{% endfor %}{% endfor %}{% endfor %}"

HOSTILE = [
    # (template, line, problem): each would run for hours, or forever, without the budget
    (NESTED, 1, STEPS),
    ("ok\n" + NESTED, 2, STEPS),
    # a loop whose `if` filters out every item never runs its body: the items are counted all the same
    ("{% for a in range(100000) %}\n{% for b in range(100000) if false %}{% endfor %}{% endfor %}", 2, STEPS),
    ("{% for a in range(100000) %}{{ range(100000)|list|length }}{% endfor %}", 1, SLOW),
    # recursion without loops: every call is a step
    ("{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}", 1, None),
    # big but memory-legal work per step: the deadline stops it
    (
        "{% set ns = namespace(s='') %}{% for a in range(100000) %}"
        "{% set ns.s = ('y' * 1000000) ~ a %}{% endfor %}",
        1,
        SLOW,
    ),
    (
        "{% for x in [[1, [2]], [3]] * 50000 recursive %}{% if x is iterable %}{{ loop(x) }}{% endif %}"
        "{% endfor %}",
        1,
        None,
    ),
]


@pytest.mark.parametrize(("template", "line", "problem"), HOSTILE)
def test_hostile_templates_stop_within_the_budget_naming_the_line(
    template: str, line: int, problem: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prompts, "MAX_RENDER_SECONDS", DEADLINE)
    started = time.monotonic()
    with pytest.raises(TemplateError) as caught:
        prompts.render(template, {})
    elapsed = time.monotonic() - started
    assert elapsed < DEADLINE + 1.0
    assert caught.value.line == line
    if problem is not None:
        assert str(caught.value) == f"template line {line}: {problem}"
    else:  # the step limit, the deadline or Python's recursion limit, whichever comes first
        assert caught.value.problem in (STEPS, SLOW) or "recursion" in caught.value.problem


def test_the_real_deadline_is_a_second_or_two() -> None:
    assert 1.0 <= prompts.MAX_RENDER_SECONDS <= 2.0
    started = time.monotonic()
    with pytest.raises(TemplateError, match=r"ran for more than 2 s"):
        prompts.render("{% for a in range(100000) %}{{ range(100000)|list|length }}{% endfor %}", {})
    assert time.monotonic() - started < prompts.MAX_RENDER_SECONDS + 1.0


def test_the_same_bound_holds_for_the_answer_prefix_pass() -> None:
    template = "{% set answer_prefix = 'x' %}" + NESTED.replace("{% for c", "{% set y = 1 %}{% for c")
    with pytest.raises(TemplateError, match="simplify its loops"):
        prompts.render_with_prefix(template, {})


def test_loops_still_behave_as_jinja2_loops() -> None:
    template = (
        "{% for x in items %}{{ loop.index }}/{{ loop.length }}{% if loop.last %}!{% endif %} {% endfor %}"
        "{% for k, v in pairs.items() %}{{ k }}={{ v }};{% else %}none{% endfor %}"
        "{% for x in [] %}x{% else %}empty{% endfor %}"
        "{% for x in [[1, [2]], [3]] recursive %}[{% if x is iterable %}{{ loop(x) }}{% else %}{{ x }}"
        "{% endif %}]{% endfor %}"
    )
    rendered = prompts.render(template, {"items": ["a", "b", "c"], "pairs": {"a": 1}})
    assert rendered == "1/3 2/3 3/3! a=1;empty[[1][[2]]][[3]]"


def test_a_loop_just_under_the_limit_renders() -> None:
    steps = prompts.MAX_RENDER_STEPS - 10  # range() itself is a call, the loop one step per item
    template = "{% for a in range(" + str(min(steps, 100_000)) + ") %}{% endfor %}done"
    assert prompts.render(template, {}) == "done"


def test_the_default_template_on_a_large_paper_stays_far_below_the_budget() -> None:
    paper = Paper(
        id="2401.00001",
        version=1,
        title="T",
        source="html",
        sections=[Section(title=f"S{i}", text="text " * 50) for i in range(200)],
        references=[Reference(key=f"b{i}", text=f"Author {i}. A title. 2020.") for i in range(1000)],
    )
    variables = prompts.summary_variables(paper, "body", prompts.numbered(paper.references), "English")
    started = time.monotonic()
    assert "## Summary" in prompts.render(prompts.default_template(), variables)
    assert time.monotonic() - started < 1.0


def test_each_thread_has_its_own_budget() -> None:
    """Concurrent renders do not share a counter: a heavy one fails, light ones beside it succeed."""
    results: dict[str, str] = {}

    def render(name: str, template: str) -> None:
        try:
            results[name] = prompts.render(template, {})
        except TemplateError as error:
            results[name] = str(error)

    light = "{% for a in range(60000) %}{% endfor %}light"
    threads = [threading.Thread(target=render, args=("heavy", NESTED))]
    threads += [threading.Thread(target=render, args=(f"light{i}", light)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results["heavy"] == f"template line 1: {STEPS}"
    assert [results[f"light{i}"] for i in range(3)] == ["light"] * 3


def test_rendering_outside_the_budget_is_refused() -> None:
    """Only `render` sets a budget: the sandbox's own render methods cannot be used to get around it."""
    compiled = prompts._compile("{% for a in range(3) %}{{ a }}{% endfor %}")
    with pytest.raises(Exception, match="render only through"):
        compiled.render()
