"""The offline model (SmolLM2-135M) summarises a real arXiv paper, judged as a reader would.

Five parts in order, every count rule (recounted from the Markdown), references that are verbatim entries of
the paper's bibliography ranked by how often the paper cites them, and every generated sentence supported by
the paper. benchmarks/quality.py runs the same checks over every fixture paper.
"""

from __future__ import annotations

import pytest

from arxivgpt.engine.local import TransformersEngine
from arxivgpt.papers.local import load_local
from arxivgpt.summary import prompts
from arxivgpt.summary.citations import rank_references
from benchmarks.quality import assess, parts_of, summarize
from tests.conftest import shared_file

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # a whole summary on two CPU cores: minutes


def test_a_four_page_pdf_gets_a_complete_faithful_five_part_summary(smollm2: TransformersEngine) -> None:
    paper = load_local(shared_file("pdf/2304.02623v1.pdf"))
    result = summarize(smollm2, paper, prompts.default_template())
    found = assess(paper, result, "2304.02623v1")
    assert found.five_parts and found.counts and found.grounded, (found.problems, result.summary)
    assert found.sentences >= 10 and found.supported == found.sentences, result.summary
    assert result.finish_reason == "stop" and all(part.rule_met for part in result.parts)
    most_cited = [ref.n for ref in rank_references(paper)[:5]]
    listed = [ref.n for ref in result.references if f"[{ref.n}]" in parts_of(result.summary)["References"]]
    assert listed[:5] == most_cited
    assert result.usage.cached_tokens > result.usage.prompt_tokens * 0.8  # the paper was read once
