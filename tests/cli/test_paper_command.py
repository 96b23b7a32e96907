"""`arxivgpt paper`: output shapes and exit codes, against the local arXiv mirror."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from arxivgpt.cli.main import main
from tests.conftest import shared_file
from tests.support.arxiv_mirror import ArxivMirror

REQUIRED_KEYS = {
    "id", "version", "title", "authors", "abstract", "categories", "published", "updated", "source",
    "sections", "references",
}  # fmt: skip


@pytest.fixture
def mirror(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArxivMirror]:
    mirror = ArxivMirror().start()
    for name, value in mirror.settings_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ARXIVGPT_ARXIV_DELAY", "0")
    monkeypatch.setenv("ARXIVGPT_ARXIV_RETRIES", "0")
    yield mirror
    mirror.stop()


@pytest.mark.parametrize(
    ("argv", "source", "version", "references"),
    [
        (["2501.11120v1"], "html", 1, 48),
        (["https://arxiv.org/abs/1111.2011"], "pdf", 2, 20),
        (["arXiv:2304.02623v1"], "pdf", 1, 35),
        (["astro-ph/0601001"], "abstract", 1, 0),  # no full text anywhere: abstract, and it says so
        (["1605.08386", "--source", "abstract"], "abstract", 1, 0),
    ],
)
def test_json_output(
    mirror: ArxivMirror,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    source: str,
    version: int,
    references: int,
) -> None:
    shared_file("pdf/1111.2011v2.pdf")
    assert main(["paper", *argv, "--json"]) == 0
    paper = json.loads(capsys.readouterr().out)
    assert paper.keys() >= REQUIRED_KEYS
    assert (paper["source"], paper["version"], len(paper["references"])) == (source, version, references)
    assert paper["title"] and paper["authors"] and paper["abstract"]
    assert all(set(section) == {"title", "text"} for section in paper["sections"])
    assert all(set(reference) == {"key", "text"} for reference in paper["references"])


def test_text_output(mirror: ArxivMirror, capsys: pytest.CaptureFixture[str]) -> None:
    shared_file("html/arxivhtml_2501.11120v1.html")
    assert main(["paper", "2501.11120v1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Tell me about yourself: LLMs are aware of their learned behaviors\n")
    assert "arXiv:2501.11120v1 · source: html" in out
    assert "\n## Introduction\n" in out and "\n## References\n" in out


def test_local_pdf_needs_no_network(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARXIVGPT_ARXIV_API_URL", "http://127.0.0.1:9/api/query")
    pdf = shared_file("pdf/2304.02623v1.pdf")
    assert main(["paper", str(pdf), "--json"]) == 0
    paper = json.loads(capsys.readouterr().out)
    assert (paper["id"], paper["version"], paper["source"]) == ("2304.02623", 1, "pdf")
    assert (
        paper["title"] == "Beyond Summarization: Designing AI Support for Real-World Expository Writing Tasks"
    )


@pytest.mark.parametrize(
    ("argv", "env", "code", "message"),
    [
        (["abc"], {}, 2, "error: 'abc' is not an arXiv ID: expected an arXiv ID such as"),
        (["https://evil.example/abs/2303.17580"], {}, 2, "only arxiv.org links are accepted"),
        (["missing-paper.pdf"], {}, 2, "error: no such file: missing-paper.pdf"),
        (["2412.99999"], {}, 3, "error: arXiv has no paper 2412.99999"),
        (
            ["1605.08386"],
            {"ARXIVGPT_ARXIV_API_URL": "http://127.0.0.1:9/api/query"},
            4,
            "could not be reached",
        ),
        (["1605.08386"], {"ARXIVGPT_ARXIV_DELAY": "-1"}, 2, "error: invalid setting: arxiv_delay"),
    ],
)
def test_errors_are_one_line_with_an_exit_code(
    mirror: ArxivMirror,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    env: dict[str, str],
    code: int,
    message: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["paper", *argv]) == code
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err
    assert [line for line in captured.err.splitlines() if line.startswith("error:")] == [
        captured.err.strip().splitlines()[-1]
    ]
    assert "Traceback" not in captured.err


def test_the_installed_command_exits_2_without_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "arxivgpt", "paper", "https://evil.example/abs/2303.17580"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: 'https://evil.example/abs/2303.17580' is not an arXiv URL")
    assert len(result.stderr.strip().splitlines()) == 1


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["paper", "2303.17580", "--source", "everything"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'everything'" in capsys.readouterr().err
