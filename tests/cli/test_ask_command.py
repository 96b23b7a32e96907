"""`arxivgpt ask` as a user runs it: a local PDF, the real offline model, a follow-up, no network."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from arxivgpt.ask.index import build_index
from arxivgpt.engine.local import TransformersEngine
from arxivgpt.papers.local import load_local
from tests.cli.test_model_commands import arxivgpt
from tests.conftest import shared_file

PAPER = "pdf/2304.02623v1.pdf"


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_ask_then_follow_up_prints_answers_with_verbatim_quotes_and_working_links(
    model_data_dir: Path, smollm2: TransformersEngine
) -> None:
    path = shared_file(PAPER)
    env = {"ARXIVGPT_DATA_DIR": str(model_data_dir), "ARXIVGPT_MODEL": "smollm2-135m"}
    first = arxivgpt(
        "ask", str(path), "What are the two unique characteristics of expository writing?",
        "--max-new-tokens", "64", env=env,
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "Quotes from the paper:" in first.stdout
    conversation = re.search(r"--conversation ([0-9a-f]{16})", first.stderr)
    assert conversation, first.stderr
    links = re.findall(r"https://arxiv\.org/pdf/2304\.02623v1#page=(\d+)", first.stdout)
    pages = len(PdfReader(path).pages)
    assert links and all(1 <= int(page) <= pages for page in links)
    follow = arxivgpt(
        "ask", str(path), "Why should AI support reading for writing?",
        "--conversation", conversation.group(1), "--max-new-tokens", "64", "--json", env=env,
    )  # fmt: skip
    assert follow.returncode == 0, follow.stderr
    result = json.loads(follow.stdout)
    assert result["conversation_id"] == conversation.group(1) and result["turn"] == 2
    assert {"answer", "citations", "conversation_id", "html", "usage", "timings"} <= result.keys()
    passages = {p.key: p for p in build_index(load_local(path)).passages}
    for citation in result["citations"]:
        assert citation["quote"] in passages[citation["passage"]].text  # verbatim, from the cited passage
        assert (
            citation["url"] == f"https://arxiv.org/pdf/2304.02623v1#page={passages[citation['passage']].page}"
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["   "], "error: the question is empty"),
        (["x" * 2001], "error: the question is 2,001 characters long; ask in at most 2,000"),
        (
            ["Why?", "--conversation", "0123456789abcdef"],
            "error: there is no conversation '0123456789abcdef'",
        ),
        (
            ["Why?", "--from-summary", "--conversation", "x"],
            "error: --from-summary starts a new conversation",
        ),
        (["Why?", "--max-new-tokens", "2"], "error: invalid setting: max_new_tokens"),
    ],
)
def test_bad_questions_exit_2_with_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    env = {"ARXIVGPT_DATA_DIR": str(tmp_path), "ARXIVGPT_MODEL": str(tmp_path / "no-model.gguf")}
    result = arxivgpt("ask", str(shared_file(PAPER)), *args, env=env)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = arxivgpt("ask", str(tmp_path / "missing.pdf"), "Why?", env={"ARXIVGPT_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2 and "error: no such file" in result.stderr


def test_from_summary_takes_the_summary_that_summarize_cached(tmp_path: Path) -> None:
    from arxivgpt.ask.models import QuestionRequest
    from arxivgpt.cli.ask import _cached_summary
    from arxivgpt.engine.base import GenerationOptions
    from arxivgpt.engine.fake import FakeEngine
    from arxivgpt.errors import InvalidInput
    from arxivgpt.papers.resolver import PaperResolver
    from arxivgpt.papers.source import FakeArxiv
    from arxivgpt.settings import Settings
    from arxivgpt.store import MemoryStore
    from arxivgpt.summary import prompts
    from arxivgpt.summary.models import PaperInfo, Strategy, SummaryResult, Timings, Usage
    from arxivgpt.summary.pipeline import summary_key
    from tests.support.latexml import latexml

    path = tmp_path / "paper.html"
    path.write_bytes(latexml("Residual attention"))
    settings, engine, store = Settings(), FakeEngine(), MemoryStore()
    resolver = PaperResolver(FakeArxiv(), store)
    request = QuestionRequest(paper=str(path), question="What is the second insight?")
    with pytest.raises(
        InvalidInput, match="no summary of this paper by fake is cached; run `arxivgpt summarize"
    ):
        _cached_summary(resolver, engine, settings, request)
    paper = resolver.resolve(str(path))
    options = GenerationOptions(max_new_tokens=settings.max_new_tokens)
    key = summary_key(paper, prompts.default_template(), "fake", options, settings.language)
    summary = "## Key insights\n- One.\n- Two."
    result = SummaryResult(
        paper=PaperInfo(id=None, version=None, title="Residual attention", source="html"),
        model="fake", summary=summary, html="", references=[], usage=Usage(), timings=Timings(),
        strategy=Strategy(name="full"),
    )  # fmt: skip
    store.put_summary(key, None, result.model_dump_json())
    assert _cached_summary(resolver, engine, settings, request) == summary
