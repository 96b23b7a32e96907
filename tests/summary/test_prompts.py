"""Default templates, sandboxed rendering with line-numbered errors, and the variables a paper gives."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from arxivgpt.errors import InvalidInput, TemplateError
from arxivgpt.papers.models import Paper, Reference, Section
from arxivgpt.summary import prompts
from arxivgpt.summary.models import NumberedReference
from arxivgpt.summary.parts import read_parts
from arxivgpt.summary.prompts import default_template, numbered, render, render_with_prefix, summary_variables
from tests.support.templates import FREE_TEMPLATE

REPO = Path(__file__).resolve().parents[2]
DOCUMENTED = {
    "part",
    "title",
    "authors",
    "abstract",
    "arxiv_id",
    "version",
    "categories",
    "published",
    "sections",
    "body",
    "references",
    "language",
    "source",
}
MAP_VARIABLES = {"title", "chunk_titles", "chunk", "language"}


def _paper(**changes: Any) -> Paper:
    fields: dict[str, Any] = {
        "id": "2303.17580",
        "version": 2,
        "title": "HuggingGPT: Solving AI Tasks with ChatGPT",
        "authors": ["Yongliang Shen", "Kaitao Song"],
        "abstract": "We present HuggingGPT.",
        "categories": ["cs.CL", "cs.AI"],
        "published": datetime(2023, 3, 30, 17, 48, tzinfo=timezone.utc),
        "source": "html",
        "sections": [Section(title="Introduction", text="LLMs are good.")],
        "references": [Reference(key="1", text="OpenAI. GPT-4."), Reference(key="2", text="Touvron. LLaMA.")],
    }
    return Paper(**{**fields, **changes})


def _variables(paper: Paper | None = None, body: str = "BODY TEXT", **changes: Any) -> dict[str, Any]:
    paper = paper or _paper()
    values = summary_variables(paper, body, numbered(paper.references), "English")
    return {**values, **changes}


# Default templates


@pytest.mark.parametrize("name", ["summary.md.j2", "map.md.j2"])
def test_the_default_templates_are_the_files_in_prompts(name: str) -> None:
    assert default_template(name) == (REPO / "prompts" / name).read_text(encoding="utf-8")


def test_an_installed_copy_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "summary.md.j2").write_text("installed {{ title }}", encoding="utf-8")
    monkeypatch.setattr("importlib.resources.files", lambda package: tmp_path)
    assert default_template() == "installed {{ title }}"


def test_a_missing_default_template_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("importlib.resources.files", lambda package: tmp_path)
    monkeypatch.setattr(prompts, "_REPO_PROMPTS", tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=r"summary\.md\.j2 is missing.*nowhere"):
        default_template()


def test_only_the_shipped_names_can_be_read() -> None:
    with pytest.raises(ValueError, match="unknown default template"):
        default_template("../pyproject.toml")


def test_the_summary_prompt_holds_the_paper_and_its_numbered_bibliography() -> None:
    prompt = render(default_template(), _variables(language="中文"))
    for text in ("HuggingGPT: Solving AI Tasks", "Yongliang Shen, Kaitao Song", "2303.17580v2"):
        assert text in prompt
    for text in (
        "cs.CL, cs.AI",
        "2023-03-30",
        "html",
        "BODY TEXT",
        "[1] OpenAI. GPT-4.",
        "[2] Touvron. LLaMA.",
    ):
        assert text in prompt
    assert "in 中文" in prompt
    assert "We present HuggingGPT." not in prompt  # the abstract reaches the model through `body`


def test_the_default_preview_lists_the_five_parts_and_each_part_prompt_ends_with_its_instruction() -> None:
    variables = _variables(paper=_paper(references=[Reference(key=str(i), text="x") for i in range(1, 9)]))
    preview = render(default_template(), variables)
    headings = re.findall(r"^(\d)\. `## ([^`]+)`", preview, re.M)
    assert headings == [
        ("1", "Summary"),
        ("2", "Key insights"),
        ("3", "Questions"),
        ("4", "Future directions"),
        ("5", "References"),
    ]
    specs = read_parts(prompts.exported(default_template(), variables, "parts"))
    assert specs is not None
    for spec in specs:
        prompt = render(default_template(), {**variables, "part": spec.as_variable()})
        assert prompt.rstrip().endswith(f"{spec.instruction} Use only what the text above says.")
        assert "Bibliography:" not in prompt  # the model never writes references: no need to list them
        assert prompt.startswith(preview.split("Text (")[0])  # every part's prompt starts the same way


def test_the_free_summary_prompt_asks_for_the_five_parts() -> None:
    prompt = render(
        FREE_TEMPLATE,
        _variables(paper=_paper(references=[Reference(key=str(i), text="x") for i in range(1, 9)])),
    )
    parts = re.findall(r"^(\d)\. `## ([^`]+)`", prompt, re.M)
    assert [n for n, _ in parts] == ["1", "2", "3", "4", "5"]
    assert "one sentence" in prompt
    assert "insights and lessons learned" in prompt
    assert "3–5 questions you would ask the authors" in prompt
    assert "3–5 suggestions for related topics or future research directions" in prompt
    assert "at least 5 relevant references" in prompt
    assert "only from the numbered bibliography" in prompt
    assert "`- [n] why it matters`" in prompt
    assert "never write or invent" in prompt


def test_with_a_short_bibliography_it_asks_for_no_more_than_there_are() -> None:
    assert "at least 2 relevant references" in render(FREE_TEMPLATE, _variables())


def test_without_a_bibliography_part_five_says_so_and_lists_nothing() -> None:
    prompt = render(FREE_TEMPLATE, _variables(paper=_paper(references=[])))
    assert "No bibliography was available for this paper." in prompt
    assert "Bibliography:" not in prompt
    assert "[1]" not in prompt


def test_a_local_file_without_metadata_renders() -> None:
    paper = _paper(id=None, version=None, authors=[], categories=[], published=None, source="pdf")
    prompt = render(default_template(), _variables(paper=paper))
    assert "arXiv:" not in prompt
    assert "Authors:" not in prompt
    assert "Published:" not in prompt
    assert "None" not in prompt


def test_the_scaffolding_is_short() -> None:
    paper = _paper(title="", authors=[], categories=[], published=None, id=None, references=[])
    scaffolding = render(default_template(), _variables(paper=paper, body=""))
    assert len(scaffolding) < 800  # about 170 SmolLM2 tokens; a 2,048-token model needs room for the paper


def test_the_map_prompt() -> None:
    variables = {
        "title": "T",
        "chunk_titles": ["3 Method", "4 Results"],
        "chunk": "We found 42 [7].",
        "language": "English",
    }
    prompt = render(default_template("map.md.j2"), variables)
    assert '"T"' in prompt
    assert "3 Method; 4 Results" in prompt
    assert "We found 42 [7]." in prompt
    assert "in English" in prompt
    assert "bullet points" in prompt
    assert "Keep citations such as [12]" in prompt


def test_the_templates_use_only_documented_variables_and_the_readme_documents_them_all() -> None:
    env = SandboxedEnvironment()
    readme = (REPO / "prompts" / "README.md").read_text(encoding="utf-8")
    for name, names in (("summary.md.j2", DOCUMENTED), ("map.md.j2", MAP_VARIABLES)):
        used = meta.find_undeclared_variables(env.parse(default_template(name)))
        assert used <= names, name
    for name in DOCUMENTED | MAP_VARIABLES:
        assert f"| `{name}` |" in readme, name
    assert set(_variables()) == DOCUMENTED


# Rendering


def test_rendering_keeps_the_trailing_newline_and_does_not_escape() -> None:
    assert render("<b>{{ x }}</b> & co\n", {"x": "a < b"}) == "<b>a < b</b> & co\n"


def test_dictionaries_read_as_attributes() -> None:
    variables = _variables()
    template = "{% for r in references %}{{ r.n }}={{ r['text'] }};{% endfor %}{{ sections[0].title }}"
    assert render(template, variables) == "1=OpenAI. GPT-4.;2=Touvron. LLaMA.;Introduction"


ERRORS = [
    ("a\nb\n{{ titel }}", 3, r"^'titel' is undefined; valid variables: abstract, arxiv_id, authors, body,"),
    ("{% if titel %}x{% endif %}", 1, "'titel' is undefined"),
    ("{{ references[0].nope }}", 1, "has no attribute 'nope'"),
    ("\n\n{% for x in authors %}", 3, "Unexpected end of template"),
    ("{{ title | nope }}", 1, "No filter named 'nope'"),
    ("{{ title }\n", 1, "unexpected '}'"),
    ("x\n{{ ''.__class__ }}", 2, r"access to attribute '__class__' of 'str' object is unsafe$"),
    ("{{ title.__class__.__mro__ }}", 1, "unsafe"),
    ("one\ntwo\n{{ 1 / 0 }}", 3, "ZeroDivisionError: division by zero"),
    ("{% macro m() %}\n\n{{ nope }}{% endmacro %}\n{{ m() }}", 3, "'nope' is undefined"),
    ("{{ 'x' * 100000000 }}", 1, "would exceed the output limit"),
    ("{{ 'x'.center(100000000) }}", 1, "the number 100000000 is too large"),
    ("{{ 'x' | center(100000000) }}", 1, "the number 100000000 is too large"),
    ("{{ '%*s' % (100000000, 'x') }}", 1, "the number 100000000 is too large"),
    ("{{ 2 ** 100000 }}", 1, "exponents above 64"),
    ("{{ lipsum(1000000) }}", 1, "'lipsum' is undefined"),
    (
        "{% set ns = namespace(x='ab') %}\n{% for i in range(40) %}{% set ns.x = ns.x ~ ns.x %}{% endfor %}",
        2,
        "the concatenation would exceed the output limit of 2,097,152 characters",
    ),
    (
        "{% set ns = namespace(x='ab') %}\n{% for i in range(40) %}{% set ns.x = ns.x + ns.x %}{% endfor %}",
        2,
        "the sum would exceed",
    ),
    ("{{ ('a' * 2000000) | replace('a', 'bb') }}", 1, "replace would exceed"),
    ("{{ ('a' * 2000000).replace('a', 'bb') }}", 1, "replace would exceed"),
    ("{{ range(100000) | join('x' * 1000) }}", 1, "join would exceed"),
    ("{{ ('x' * 1000).join(range(100000) | map('string')) }}", 1, "join would exceed"),
    ("{% set big = 'a' * 2000000 %}{{ [big] * 1000 }}", 1, "printing a value would exceed"),
]


@pytest.mark.parametrize(("template", "line", "problem"), ERRORS)
def test_errors_name_the_line_and_the_problem(template: str, line: int, problem: str) -> None:
    with pytest.raises(TemplateError) as caught:
        render(template, _variables())
    error = caught.value
    assert error.line == line
    assert re.search(problem, error.problem), error.problem
    assert str(error) == f"template line {line}: {error.problem}"
    assert isinstance(error, InvalidInput)


def test_ordinary_expressions_still_work() -> None:
    template = (
        "{{ [1, 2] | join(', ') }}|{{ ', '.join(['a', 'b']) }}|{{ 'ab' | replace('a', 'x') }}|{{ 'a' ~ 1 }}"
        "|{{ '%s-%d' % ('a', 3) }}|{{ 2 ** 10 }}|{{ 'ab' * 2 }}|{{ [1] + [2] }}|{{ references | length }}"
    )
    assert render(template, _variables()) == "1, 2|a, b|xb|a1|a-3|1024|abab|[1, 2]|2"


def test_a_template_over_the_size_limit() -> None:
    with pytest.raises(TemplateError) as caught:
        render("x" * 40_000, {})
    assert str(caught.value) == "template: the template is 40,000 bytes; the limit is 32,768"
    assert caught.value.line is None


def test_output_over_the_size_limit() -> None:
    template = "{% for i in range(100000) %}{{ body }}{% endfor %}"
    with pytest.raises(TemplateError, match="the rendered prompt exceeds 2,097,152 characters"):
        render(template, {"body": "x" * 100})


def test_check_syntax_compiles_without_variables() -> None:
    prompts.check_syntax("{{ anything_at_all }}")
    with pytest.raises(TemplateError, match="line 2"):
        prompts.check_syntax("ok\n{% if %}")


# Variables


def test_summary_variables_from_a_paper() -> None:
    refs = [NumberedReference(n=1, text="A.")]
    values = summary_variables(_paper(), "the body", refs, "Deutsch")
    assert values == {
        "title": "HuggingGPT: Solving AI Tasks with ChatGPT",
        "authors": ["Yongliang Shen", "Kaitao Song"],
        "abstract": "We present HuggingGPT.",
        "arxiv_id": "2303.17580",
        "version": 2,
        "categories": ["cs.CL", "cs.AI"],
        "published": "2023-03-30",
        "sections": [{"title": "Introduction", "text": "LLMs are good."}],
        "body": "the body",
        "references": [{"n": 1, "text": "A."}],
        "language": "Deutsch",
        "part": None,
        "source": "html",
    }


def test_summary_variables_without_metadata() -> None:
    values = summary_variables(_paper(id=None, version=None, published=None), "", [], "English")
    assert (values["arxiv_id"], values["version"], values["published"], values["references"]) == (
        None,
        None,
        None,
        [],
    )


def test_numbered_counts_from_one_in_the_papers_order() -> None:
    refs = [Reference(key="bib.bib7", text="Z."), Reference(key="bib.bib2", text="A.")]
    assert numbered(refs) == [NumberedReference(n=1, text="Z."), NumberedReference(n=2, text="A.")]
    assert numbered([]) == []


@pytest.mark.parametrize(
    ("template", "prefix"),
    [
        ('{% set answer_prefix = "## Summary\\n" %}Summarise {{ title }}.', "## Summary\n"),
        ("Summarise {{ title }}.", ""),
    ],
)
def test_a_template_can_say_how_the_answer_begins(template: str, prefix: str) -> None:
    text, found = render_with_prefix(template, _variables())
    assert text.startswith("Summarise ")
    assert found == prefix


def test_the_default_template_primes_the_first_heading() -> None:
    assert render_with_prefix(default_template(), _variables())[1] == "## Summary\n"


def test_a_non_string_answer_prefix_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="answer_prefix must be a string"):
        render_with_prefix("{% set answer_prefix = 3 %}x", _variables())
