"""Summary quality as a reader judges it: every fixture paper and a sample of abstracts, default settings.

    python -m benchmarks.quality [--abstracts N] [--abstracts-only] [--no-baseline] [--show] [--model M]

For each paper: did it complete; are the five parts there, in order; does every count rule hold (counted
again here from the Markdown, not taken from the answer's own report); are all references verbatim entries of
the paper's bibliography; what share of the generated sentences (parts 1-4) is supported by the paper (at
least 70% of its content words, stemmed, occur in it); what share is copied (90% of its words in order in one
sentence of the paper); and the time, against the single-prompt (free) template on the same paper in the same
run, and against that single prompt's time had it written as many tokens as the parts (its first token and
then its own pace per token: an estimate, since greedy text cannot be made longer unchanged). Targets with
smollm2-135m (issue "Summaries a reader can trust"): 100% complete, 100% five parts with
every count rule, 100% grounded references, supported >= 0.9, copied <= 0.3, time <= 1.5x the single prompt.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from arxivgpt.engine.base import Engine, GenerationOptions
from arxivgpt.engine.hardware import detect
from arxivgpt.engine.loading import choose, load
from arxivgpt.papers.local import load_local
from arxivgpt.papers.models import Paper
from arxivgpt.settings import Settings
from arxivgpt.store import MemoryStore
from arxivgpt.summary import prompts
from arxivgpt.summary.faithfulness import SupportIndex, split_sentences
from arxivgpt.summary.grounding import display
from arxivgpt.summary.models import Progress, SummaryResult
from arxivgpt.summary.writer import SummaryJob

SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "arxiv"
FULL_TEXT = ["pdf/2304.02623v1.pdf", "pdf/1111.2011v2.pdf", "html/arxivhtml_2501.11120v1.html"]
HEADINGS = ["Summary", "Key insights", "Questions", "Future directions", "References"]
_HEADING = re.compile(r"^## (.+)$", re.M)
_ITEM = re.compile(r"^(?:\d+\.|-) (.+)$", re.M)


@dataclass
class Assessment:
    name: str
    completed: bool = False
    five_parts: bool = False
    counts: bool = False
    grounded: bool = False
    sentences: int = 0
    supported: int = 0
    copied: int = 0
    seconds: float = 0.0
    baseline_seconds: float | None = None
    tokens: int = 0
    baseline_tokens: int | None = None
    baseline_first_token_s: float | None = None
    problems: list[str] = field(default_factory=list)


def paper_text(paper: Paper) -> list[str]:
    return [paper.title, paper.abstract, *(f"{s.title}\n{s.text}" for s in paper.sections)]


def parts_of(markdown: str) -> dict[str, str]:
    """Each `## heading` of the answer with the text under it."""
    pieces = _HEADING.split(markdown)
    return {pieces[i].strip(): pieces[i + 1].strip() for i in range(1, len(pieces) - 1, 2)}


def assess(paper: Paper, result: SummaryResult, name: str) -> Assessment:
    found = Assessment(name, completed=True, seconds=result.timings.total_s or result.timings.generate_s)
    found.tokens = result.usage.completion_tokens
    parts = parts_of(result.summary)
    found.five_parts = list(parts) == HEADINGS
    if not found.five_parts:
        found.problems.append(f"headings {list(parts)}")
    found.counts = _counts_hold(parts, len(paper.references), found.problems)
    found.grounded = _grounded(parts.get("References", ""), paper, result, found.problems)
    index = SupportIndex(paper_text(paper))
    for heading in HEADINGS[:4]:
        for sentence in split_sentences(parts.get(heading, "")):
            found.sentences += 1
            found.supported += index.is_supported(sentence)
            found.copied += index.copied(sentence)
    return found


def _counts_hold(parts: dict[str, str], bibliography: int, problems: list[str]) -> bool:
    summary = split_sentences(parts.get("Summary", ""))
    lists = {h: _ITEM.findall(parts.get(h, "")) for h in HEADINGS[1:]}
    rules = {
        "one summary sentence": len(summary) == 1,
        "3-5 key insights": 3 <= len(lists["Key insights"]) <= 5,
        "3-5 questions ending with ?": 3 <= len(lists["Questions"]) <= 5
        and all(q.rstrip().endswith("?") for q in lists["Questions"]),
        "3-5 future directions": 3 <= len(lists["Future directions"]) <= 5,
        "min(5, bibliography) references": len(lists["References"]) >= min(5, bibliography),
    }
    problems.extend(rule for rule, held in rules.items() if not held)
    return all(rules.values())


def _grounded(part: str, paper: Paper, result: SummaryResult, problems: list[str]) -> bool:
    """Every listed reference is "[n] <entry n of the paper's bibliography, verbatim>"."""
    entries = {n: ref.text for n, ref in enumerate(paper.references, start=1)}
    lines = _ITEM.findall(part)
    ok = all(
        (m := re.match(r"\[(\d+)\] ", line)) is not None
        and line[m.end() :].startswith(display(entries.get(int(m.group(1)), "\0")))
        for line in lines
    )
    ok = ok and all(entries.get(ref.n) == ref.text for ref in result.references)
    if not ok:
        problems.append("a reference that is not a verbatim bibliography entry")
    return ok


class _Recorder:
    """What a flight is to the writer: where pieces go, and whether anyone still listens."""

    def __init__(self) -> None:
        self.cancelled = threading.Event()

    def emit(self, piece: str | Progress) -> None:
        pass


def summarize(engine: Engine, paper: Paper, template: str, language: str = "English") -> SummaryResult:
    settings = Settings()
    job = SummaryJob(engine, MemoryStore(), paper, template, language, GenerationOptions(max_new_tokens=768),
                     settings)  # fmt: skip
    job.check_template()
    cache = getattr(engine, "prefix_cache", None)
    if cache is not None:
        cache.clear()  # each summary reads its paper cold: the single prompt shares the paper's prefix
    started = time.perf_counter()
    result = job.run(_Recorder())  # type: ignore[arg-type]
    result.timings.total_s = round(time.perf_counter() - started, 3)
    return result


def abstracts(count: int) -> list[Paper]:
    """Papers with only their abstract, from arXiv's own records (0704.*)."""
    folder = SHARED / "corpus" / "arxiv-browse-0704-abs"
    chosen = sorted(folder.glob("*.abs"))[:: max(1, 1000 // max(count, 1))][:count]
    papers = []
    for path in chosen:
        record = path.read_text(encoding="utf-8", errors="replace")
        title = re.search(r"^Title: (.+(?:\n  .+)*)", record, re.M)
        abstract = record.split("\\\\")[-2].strip()
        papers.append(Paper(id=path.stem, version=1, source="abstract", abstract=" ".join(abstract.split()),
                            title=" ".join(title.group(1).split()) if title else path.stem))  # fmt: skip
    return papers


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--abstracts", type=int, default=3)
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--no-baseline", action="store_true", help="skip the single-prompt timing")
    parser.add_argument("--show", action="store_true", help="print each summary")
    parser.add_argument("--abstracts-only", action="store_true", help="skip the full-text papers")
    args = parser.parse_args()
    from tests.support.templates import FREE_TEMPLATE

    print(
        "| paper | completed | five parts | counts | grounded | supported | copied | time | vs single prompt "
        "| tokens (single prompt's) | vs single prompt at the same length | notes |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|", flush=True)
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(model=args.model, data_dir=Path(data))
        engine = load(choose(args.model, "auto", "cpu", detect(), settings), settings)
        papers = [] if args.abstracts_only else [(name, load_local(SHARED / name)) for name in FULL_TEXT]
        papers += [(f"abstract {p.id}", p) for p in abstracts(args.abstracts)]
        rows = []
        for name, paper in papers:
            row = _one(engine, name, paper, args.show)
            if not args.no_baseline and paper.source != "abstract":
                baseline = summarize(engine, paper, FREE_TEMPLATE)
                row.baseline_seconds = baseline.timings.total_s
                row.baseline_tokens = baseline.usage.completion_tokens
                row.baseline_first_token_s = baseline.timings.first_token_s
            rows.append(row)
            print(_line(row), flush=True)
        _totals(rows)


def _one(engine: Engine, name: str, paper: Paper, show: bool) -> Assessment:
    try:
        result = summarize(engine, paper, prompts.default_template())
    except Exception as error:  # a failure is a row of the table, not the end of the run
        return Assessment(name, problems=[f"{type(error).__name__}: {error}"])
    if show:
        print(f"\n----- {name}\n{result.summary}\n", flush=True)
    return assess(paper, result, name)


def _line(row: Assessment) -> str:
    ratio = f"{row.seconds / row.baseline_seconds:.2f}×" if row.baseline_seconds else "—"
    rate = f"{row.supported / row.sentences:.2f}" if row.sentences else "—"
    copied = f"{row.copied / row.sentences:.2f}" if row.sentences else "—"
    flags = " | ".join(
        "yes" if v else "NO" for v in (row.completed, row.five_parts, row.counts, row.grounded)
    )
    notes = "; ".join(row.problems)
    tokens = f"{row.tokens} ({row.baseline_tokens})" if row.baseline_tokens is not None else f"{row.tokens}"
    same_length = same_length_seconds(row)
    even = f"{row.seconds / same_length:.2f}×" if same_length else "—"
    timing = f"{row.seconds:.0f} s | {ratio} | {tokens} | {even}"
    return f"| {row.name} | {flags} | {rate} | {copied} | {timing} | {notes} |"


def same_length_seconds(row: Assessment) -> float | None:
    """The single prompt's time had it written as many tokens as the parts: its first token, then its own
    decode pace for the rest. An estimate, since greedy text cannot be made longer without changing it."""
    first, total, tokens = row.baseline_first_token_s, row.baseline_seconds, row.baseline_tokens
    if first is None or total is None or not tokens or tokens < 2:
        return None
    return first + (total - first) / (tokens - 1) * (row.tokens - 1)


def _totals(rows: list[Assessment]) -> None:
    def share(flag: str) -> str:
        return f"{sum(getattr(r, flag) for r in rows)}/{len(rows)}"

    sentences = sum(r.sentences for r in rows) or 1
    timed = [r for r in rows if r.baseline_seconds]
    ratio = sum(r.seconds for r in timed) / sum(r.baseline_seconds or 0 for r in timed) if timed else None
    even = [(r.seconds, estimate) for r in timed if (estimate := same_length_seconds(r))]
    even_ratio = sum(a for a, _ in even) / sum(b for _, b in even) if even else None
    print(
        f"| **total** | {share('completed')} | {share('five_parts')} | {share('counts')} "
        f"| {share('grounded')} "
        f"| {sum(r.supported for r in rows) / sentences:.2f} | {sum(r.copied for r in rows) / sentences:.2f} "
        f"| {sum(r.seconds for r in rows):.0f} s | {f'{ratio:.2f}×' if ratio else '—'} "
        f"| {sum(r.tokens for r in rows)} | {f'{even_ratio:.2f}×' if even_ratio else '—'} | |"
    )


if __name__ == "__main__":
    main()
