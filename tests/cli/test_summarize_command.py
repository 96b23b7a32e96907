"""`arxivgpt summarize` as a user runs it: a local paper, the real offline model, no network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arxivgpt.engine.local import TransformersEngine
from tests.cli.test_model_commands import arxivgpt
from tests.support.latexml import latexml

BIBLIOGRAPHY = ["A. Vaswani et al. Attention is all you need. NeurIPS, 2017."]


@pytest.fixture
def paper(tmp_path: Path) -> Path:
    path = tmp_path / "paper.html"
    path.write_bytes(latexml("Residual attention", BIBLIOGRAPHY))
    return path


@pytest.mark.slow
def test_summarize_streams_then_prints_the_json_from_the_cache(
    paper: Path, model_data_dir: Path, smollm2: TransformersEngine
) -> None:
    env = {"ARXIVGPT_DATA_DIR": str(model_data_dir), "ARXIVGPT_MODEL": "smollm2-135m"}
    streamed = arxivgpt("summarize", str(paper), "--max-new-tokens", "32", env=env)
    assert streamed.returncode == 0, streamed.stderr
    assert streamed.stdout.strip()
    assert "read the whole paper (3 sections)" in streamed.stderr
    as_json = arxivgpt("summarize", str(paper), "--max-new-tokens", "32", "--json", env=env)
    assert as_json.returncode == 0, as_json.stderr
    result = json.loads(as_json.stdout)
    assert result["cached"] is True
    assert {"summary", "html", "references", "usage", "timings", "strategy"} <= result.keys()
    assert all(reference["text"] in BIBLIOGRAPHY for reference in result["references"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--template", "missing.j2"], "error: cannot read the template missing.j2"),
        (["--max-new-tokens", "2"], "error: invalid setting: max_new_tokens"),
    ],
)
def test_summarize_bad_options_exit_2(paper: Path, args: list[str], message: str) -> None:
    result = arxivgpt("summarize", str(paper), *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_broken_template_names_its_line(
    paper: Path, tmp_path: Path, model_data_dir: Path, smollm2: TransformersEngine
) -> None:
    template = tmp_path / "mine.j2"
    template.write_text("Summarise {{ title }}\n{{ titel }}\n", encoding="utf-8")
    env = {"ARXIVGPT_DATA_DIR": str(model_data_dir), "ARXIVGPT_MODEL": "smollm2-135m"}
    result = arxivgpt("summarize", str(paper), "--template", str(template), env=env)
    assert result.returncode == 2, result.stderr
    assert "error: template line 2: 'titel' is undefined" in result.stderr
