"""Prompt templates: the defaults shipped in `prompts/`, and safe rendering of user-supplied ones.

Templates are Jinja2, rendered in a sandbox with strict undefined variables. Every failure
(syntax, unknown variable, unsafe access, runtime error, size, time) becomes a `TemplateError` whose
message names the template line and the problem, e.g. `template line 3: 'titel' is undefined`.

A render is bounded in memory (sizes are checked before a value is built) and in time: the compiled code
counts a step for every loop iteration, call and filter, and checks a deadline at each step, so nested loops
stop within `MAX_RENDER_SECONDS` with `template line N: the template did more than ... steps`.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any

from jinja2 import Environment, StrictUndefined, Template, TemplateSyntaxError, UndefinedError, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from arxivgpt.errors import TemplateError
from arxivgpt.papers.models import Paper, Reference
from arxivgpt.summary.models import NumberedReference

MAX_TEMPLATE_BYTES = 32 * 1024
MAX_OUTPUT_CHARS = 2 * 1024 * 1024
MAX_RENDER_STEPS = 200_000  # the default template takes a few hundred on a paper with 100 references
MAX_RENDER_SECONDS = 2.0
TEMPLATE_NAMES = ("summary.md.j2", "map.md.j2", "ask.md.j2")
_REPO_PROMPTS = Path(__file__).resolve().parents[3] / "prompts"
_TEMPLATE_FILE = "<template>"


def default_template(name: str = "summary.md.j2") -> str:
    """The text of a default template: from the installed package, else from the repository."""
    if name not in TEMPLATE_NAMES:
        raise ValueError(f"unknown default template {name!r}; there are {', '.join(TEMPLATE_NAMES)}")
    packaged = resources.files("arxivgpt") / "prompts" / name
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    in_repo = _REPO_PROMPTS / name
    if in_repo.is_file():
        return in_repo.read_text(encoding="utf-8")
    raise FileNotFoundError(
        f"the default prompt template {name} is missing: it is neither in the installed package "
        f"(arxivgpt/prompts/) nor in {_REPO_PROMPTS}; reinstall arxivgpt"
    )


def _refuse(what: str) -> SecurityError:
    return SecurityError(f"{what} would exceed the output limit of {MAX_OUTPUT_CHARS:,} characters")


def _check_numbers(values: Iterable[Any]) -> None:
    """Refuse numbers that would make a string or list larger than the output limit (widths, counts)."""
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_OUTPUT_CHARS:
            raise SecurityError(f"the number {value} is too large here")


def _size(value: Any, budget: int = MAX_OUTPUT_CHARS) -> int:
    """Roughly how many characters `str(value)` has, counting no further than just past `budget`."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if not isinstance(value, (list, tuple, set, frozenset)):
        return len(str(value))
    total = 2 * len(value)
    for item in value:
        if total > budget:
            break
        total += _size(item, budget - total)
    return total


def _check_joined(separator: Any, items: list[Any]) -> None:
    if isinstance(separator, str) and len(separator) * len(items) + _size(items) > MAX_OUTPUT_CHARS:
        raise _refuse("join")


def _check_replaced(text: Any, old: Any, new: Any) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        count = text.count(old) if old else len(text) + 1
        if len(text) + count * len(new) > MAX_OUTPUT_CHARS:
            raise _refuse("replace")


def _check_binop(operator_name: str, left: Any, right: Any) -> None:
    if operator_name == "**" and isinstance(right, int) and abs(right) > 64:
        raise SecurityError("exponents above 64 are not allowed")
    if operator_name == "%":
        _check_numbers(right if isinstance(right, tuple) else (right,))
    if operator_name == "*":
        for sized, count in ((left, right), (right, left)):
            if isinstance(sized, Sized) and isinstance(count, int) and len(sized) * count > MAX_OUTPUT_CHARS:
                raise _refuse("the repetition")
    sized = isinstance(left, Sized) and isinstance(right, Sized)
    if operator_name == "+" and sized and len(left) + len(right) > MAX_OUTPUT_CHARS:
        raise _refuse("the sum")


def _check_result(value: Any) -> Any:
    if isinstance(value, (str, list, tuple, dict)) and len(value) > MAX_OUTPUT_CHARS:
        raise _refuse("a value")
    return value


def _finalize(value: Any) -> Any:
    """What `{{ … }}` prints goes through here: a container must not print as a huge string."""
    if _size(value) > MAX_OUTPUT_CHARS:
        raise _refuse("printing a value")
    return value


def _guarded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)  # keeps jinja2's pass_context/pass_environment marks
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _step()
        _check_numbers((*args, *kwargs.values()))
        passed = 1 if args and isinstance(args[0], (EvalContext, Context, Environment)) else 0
        data = list(args[passed:])
        if name == "join" and data:
            data[0] = list(data[0])
            _check_joined(data[1] if len(data) > 1 else kwargs.get("d", ""), data[0])
        if name == "replace" and len(data) >= 3:
            _check_replaced(*data[:3])
        return _check_result(function(*args[:passed], *data, **kwargs))

    return guarded


@dataclass
class _Budget:
    deadline: float
    steps: int = 0


_RENDERING = threading.local()  # each thread renders with its own budget


@contextmanager
def _render_budget() -> Iterator[None]:
    """Bound the render in this block: at most MAX_RENDER_STEPS steps, all within MAX_RENDER_SECONDS."""
    outer = getattr(_RENDERING, "budget", None)
    _RENDERING.budget = _Budget(deadline=time.monotonic() + MAX_RENDER_SECONDS)
    try:
        yield
    finally:
        _RENDERING.budget = outer


def _step() -> None:
    """One loop iteration, call or filter; raises once the render has done too much or run too long."""
    budget: _Budget | None = getattr(_RENDERING, "budget", None)
    if budget is None:
        raise SecurityError("templates render only through arxivgpt.summary.prompts.render")
    budget.steps += 1
    if budget.steps > MAX_RENDER_STEPS:
        raise SecurityError(f"the template did more than {MAX_RENDER_STEPS:,} steps; simplify its loops")
    if time.monotonic() > budget.deadline:
        raise SecurityError(f"the template ran for more than {MAX_RENDER_SECONDS:g} s; simplify its loops")


def _count_loops(template: nodes.Template) -> nodes.Template:
    """Every `{% for x in it %}` iterates `environment.counted(it)` (jinja2 allows no custom node types)."""
    for loop in template.find_all(nodes.For):
        counted = nodes.EnvironmentAttribute("counted", lineno=loop.iter.lineno)
        loop.iter = nodes.Call(counted, [loop.iter], [], None, None, lineno=loop.iter.lineno)
    return template


class _CodeGenerator(CodeGenerator):
    """Compiles `a ~ b` to `environment.checked_concat(...)`, so that concatenation is size-checked too."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802 (jinja2's name)
        self.write("environment.checked_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _Environment(SandboxedEnvironment):
    """The sandbox, plus guards against a template building a huge string (jinja2 only limits `range`).

    Repetition, `+`, `~`, `%`, `**`, filters, string methods and printing are checked before the result
    is built, which bounds memory; loop iterations, calls and filters are counted steps, which bounds time.
    """

    code_generator_class = _CodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(finalize=_finalize, **options)
        self.filters = {name: _guarded_filter(name, f) for name, f in self.filters.items()}
        self.globals.pop("lipsum", None)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return _count_loops(super()._parse(source, name, filename))

    def counted(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            _step()
            yield item

    def checked_concat(self, parts: tuple[Any, ...]) -> str:
        texts = [str(part) if _size(part) <= MAX_OUTPUT_CHARS else str(_finalize(part)) for part in parts]
        if sum(map(len, texts)) > MAX_OUTPUT_CHARS:
            raise _refuse("the concatenation")
        return "".join(texts)

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        _check_binop(operator_name, left, right)
        return _check_result(super().call_binop(context, operator_name, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _step()
        _check_numbers((*args, *kwargs.values()))
        owner, name = getattr(__obj, "__self__", None), getattr(__obj, "__name__", "")
        if isinstance(owner, str) and name == "join" and args:
            args = (list(args[0]), *args[1:])
            _check_joined(owner, args[0])
        if isinstance(owner, str) and name == "replace" and len(args) >= 2:
            _check_replaced(owner, *args[:2])
        return _check_result(super().call(__context, __obj, *args, **kwargs))


_ENV = _Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def check_syntax(template: str) -> None:
    """Raise `TemplateError` when `template` is too large or does not compile (no variables needed)."""
    _compile(template)


def render(template: str, variables: dict[str, Any]) -> str:
    """Render `template` with `variables`; any failure is a `TemplateError`."""
    return render_with_prefix(template, variables)[0]


def render_with_prefix(template: str, variables: dict[str, Any]) -> tuple[str, str]:
    """The rendered prompt and the template's `answer_prefix` ("" when it sets none).

    A template may say how the model's answer begins (`{% set answer_prefix = "## Summary\n" %}`): the prompt
    ends with it, so small models start in the requested structure, and the answer includes it.
    """
    text = _rendering(lambda: _collect(_compile(template).generate(variables)), variables)
    prefix = exported(template, variables, "answer_prefix", "")
    if not isinstance(prefix, str):
        raise TemplateError("answer_prefix must be a string")
    return text, prefix


def exported(template: str, variables: dict[str, Any], name: str, default: Any = None) -> Any:
    """The value a template's top-level `{% set name = ... %}` gives `name` (`default` when it sets none)."""
    return _rendering(lambda: getattr(_compile(template).make_module(variables), name, default), variables)


def _rendering(work: Callable[[], Any], variables: dict[str, Any]) -> Any:
    """Run `work` (a render) within the step and time budget; any failure is a `TemplateError` naming the
    template line."""
    try:
        with _render_budget():
            return work()
    except TemplateError:
        raise
    except UndefinedError as exc:
        problem = f"{exc.message or exc}; valid variables: {', '.join(sorted(variables)) or '(none)'}"
        raise TemplateError(problem, _template_line(exc.__traceback__)) from None
    except SecurityError as exc:
        raise TemplateError(_sentence(str(exc)), _template_line(exc.__traceback__)) from None
    except Exception as exc:
        problem = f"{type(exc).__name__}: {exc}"
        raise TemplateError(problem, _template_line(exc.__traceback__)) from None


@functools.lru_cache(maxsize=32)
def _compile(template: str) -> Template:
    size = len(template.encode("utf-8"))
    if size > MAX_TEMPLATE_BYTES:
        raise TemplateError(f"the template is {size:,} bytes; the limit is {MAX_TEMPLATE_BYTES:,}")
    try:
        return _ENV.from_string(template)
    except TemplateSyntaxError as exc:
        raise TemplateError(_sentence(exc.message or str(exc)), exc.lineno) from None


def _collect(chunks: Any) -> str:
    parts: list[str] = []
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > MAX_OUTPUT_CHARS:
            raise TemplateError(f"the rendered prompt exceeds {MAX_OUTPUT_CHARS:,} characters")
        parts.append(chunk)
    return "".join(parts)


def _template_line(tb: TracebackType | None) -> int | None:
    """The innermost template line in a traceback (jinja2 rewrites frames to template lines)."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _TEMPLATE_FILE:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _sentence(message: str) -> str:
    """jinja2's message without a trailing full stop, so it reads well after `template line N:`."""
    return re.sub(r"\.\s*$", "", message.strip())


def numbered(references: list[Reference]) -> list[NumberedReference]:
    """The bibliography numbered from 1, in the paper's order."""
    return [NumberedReference(n=i, text=ref.text) for i, ref in enumerate(references, start=1)]


def summary_variables(
    paper: Paper, body: str, references: list[NumberedReference], language: str
) -> dict[str, Any]:
    """The variables every summary template gets (documented in prompts/README.md)."""
    return {
        "title": paper.title,
        "authors": list(paper.authors),
        "abstract": paper.abstract,
        "arxiv_id": paper.id,
        "version": paper.version,
        "categories": list(paper.categories),
        "published": paper.published.date().isoformat() if paper.published else None,
        "sections": [{"title": s.title, "text": s.text} for s in paper.sections],
        "body": body,
        "references": [{"n": r.n, "text": r.text} for r in references],
        "language": language,
        "source": paper.source,
        "part": None,
    }
