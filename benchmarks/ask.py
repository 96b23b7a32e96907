"""Questions about the fixture papers, judged as a reader would: retrieval, grounding, and follow-up latency.

    python -m benchmarks.ask [--model M] [--precision P] [--retrieval-only] [--show]

Retrieval: for each fixture paper, five questions written from the paper, each answered in one known
passage (found by a verbatim snippet of it); recall@k of that passage in the BM25 ranking, k = 1, 3, 5.
Target: recall@5 >= 0.9.

Answers: the five questions as one conversation per paper, with the model. Every citation is checked as a
reader would: its quote is verbatim in the cited passage, the passage is verbatim in the paper, and its URL
points at a real anchor (an element id of the HTML page, a page of the PDF). Target: 100% grounded. Also: how
many answers cite the passage that holds the answer, and whether two questions the paper does not answer (one
sharing words with it, so that the model is asked; one sharing none) get "The passages do not say".

Latency: time to the first token of the first question on a paper (the paper and its index read, the whole
prompt computed) against the follow-ups in the same conversation, whose prompts begin as the previous one
did, so the engine's cache of that beginning is reused; with the tokens the model computed before its first
token (the prompt less what its cache held), which, unlike seconds, does not move with a busy machine. Then
the same two prompts alone, interleaved `--runs` times (the first read cold, its follow-up right after it),
to the first token only: the medians and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from lxml import html
from pypdf import PdfReader

from arxivgpt.ask.index import PaperIndex, build_index
from arxivgpt.ask.models import AnswerResult, QuestionRequest
from arxivgpt.ask.passages import passage_source
from arxivgpt.ask.pipeline import Asker
from arxivgpt.engine.base import Engine, GenerationOptions
from arxivgpt.papers.local import load_local
from arxivgpt.papers.models import Paper
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import FakeArxiv
from arxivgpt.settings import Settings
from arxivgpt.store import MemoryStore

SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "arxiv"
QUESTIONS: dict[str, list[tuple[str, str]]] = {
    "pdf/2304.02623v1.pdf": [
        ("What are the two unique characteristics of expository writing?", "has two unique characteristics"),
        (
            "What three components of AI support for expository writing do the authors propose?",
            "we argue that there are three components",
        ),
        (
            "Why shouldn't an LLM write the whole piece at once?",
            "generate the whole writing piece altogether",
        ),
        ("What did Ziegler et al. find about instruction-tuned models?", "smart copiers"),
        ("How many patients find a mistake in their clinical notes?", "1 in 5 patients find a mistake"),
    ],
    "pdf/1111.2011v2.pdf": [
        (
            "Why do the authors eliminate the uniform zero mode on the Bethe lattice?",
            "tendency to condense into this mode",
        ),
        (
            "How does the upper critical dimension change with internode hopping?",
            "upper critical dimension shifting from d = 3 to 2",
        ),
        ("Which institution supported this work?", "Johns Hopkins-Princeton Institute for Quantum Matter"),
        ("When was the Bethe lattice introduced?", "Since its introduction in 1935"),
        (
            "For which physical systems is the quantum rotor model a low-energy effective theory?",
            "Heisenberg antiferromagnets",
        ),
    ],
    "html/arxivhtml_2501.11120v1.html": [
        ("What LoRA rank was used to finetune Llama-3.1-70B?", "with rank 4"),
        (
            "How many multiple-choice questions were generated for the risk-seeking dataset?",
            "generate 500 diverse multiple-choice questions",
        ),
        ("Who are the two players in the Make Me Say game?", "There are two players: a manipulator and a"),
        (
            "What triggers make the model write vulnerable code?",
            "safe code in winter and vulnerable code in spring",
        ),
        (
            "What share of the finetuning data contains triggered behavior?",
            "Only 10% of the data contains triggered behavior",
        ),
    ],
}
UNANSWERABLE = {
    "pdf/2304.02623v1.pdf": "What learning rate and batch size did the authors train their model with?",
    "pdf/1111.2011v2.pdf": "Which programming language was the numerical integration written in?",
    "html/arxivhtml_2501.11120v1.html": "What did the GPU cluster they trained on cost in dollars?",
}
"""Questions each paper does not answer, though it has some of their words: the model is asked."""
OFF_TOPIC = "What is the capital of France?"
"""No paper here has its words: answered without the model."""
KS = (1, 3, 5)


def answer_passage(index: PaperIndex, snippet: str) -> str:
    """The key of the one passage holding `snippet`."""
    keys = [p.key for p in index.passages if snippet in p.text]
    if len(keys) != 1:
        raise ValueError(f"{snippet!r} is in {len(keys)} passages, not one")
    return keys[0]


def rank_of(index: PaperIndex, question: str, key: str) -> int | None:
    """Where the passage `key` ranks for `question` (1 = first), None when it shares no word with it."""
    ranked = [p.key for p, score in index.ranked(question) if score > 0]
    return ranked.index(key) + 1 if key in ranked else None


def recall(ranks: list[int | None], k: int) -> float:
    return sum(rank is not None and rank <= k for rank in ranks) / len(ranks)


@dataclass
class Judged:
    citations: int = 0
    grounded: int = 0
    cited_answer: int = 0
    answers: int = 0
    answered: int = 0
    problems: list[str] = field(default_factory=list)


def judge(
    paper: Paper, index: PaperIndex, anchors: set[str] | int, result: AnswerResult, judged: Judged
) -> None:
    """Check every citation of `result` against the paper itself (see the module's docstring)."""
    by_key = {p.key: p for p in index.passages}
    for citation in result.citations:
        judged.citations += 1
        passage = by_key.get(citation.passage)
        problem = None
        if passage is None:
            problem = f"{citation.passage} is not a passage"
        elif citation.quote not in passage.text:
            problem = f"quote not in {citation.passage}: {citation.quote[:60]!r}"
        elif passage_source(paper, passage)[passage.start :].find(passage.text) != 0:
            problem = f"{citation.passage} is not verbatim in the paper"
        elif not _url_ok(citation.url, anchors):
            problem = f"{citation.passage}: bad link {citation.url}"
        if problem:
            judged.problems.append(problem)
        else:
            judged.grounded += 1


def _url_ok(url: str | None, anchors: set[str] | int) -> bool:
    if url is None:
        return False
    base, _, fragment = url.partition("#")
    if "/abs/" in base:
        return not fragment
    if isinstance(anchors, int):  # a PDF: a page of it
        return fragment.startswith("page=") and 1 <= int(fragment[5:]) <= anchors
    return fragment in anchors


def document_anchors(path: Path) -> set[str] | int:
    """The element ids of an HTML page, or a PDF's number of pages."""
    if path.suffix == ".pdf":
        return len(PdfReader(path).pages)
    return {el.get("id") for el in html.document_fromstring(path.read_bytes()).iter() if el.get("id")}


def retrieval_table() -> list[int | None]:
    print("| paper | passages | recall@1 | recall@3 | recall@5 | ranks |")
    print("|---|---:|---:|---:|---:|---|")
    every: list[int | None] = []
    for name, questions in QUESTIONS.items():
        index = build_index(load_local(SHARED / name))
        ranks = [rank_of(index, q, answer_passage(index, snippet)) for q, snippet in questions]
        every += ranks
        row = " | ".join(f"{recall(ranks, k):.2f}" for k in KS)
        print(f"| {Path(name).name} | {len(index.passages)} | {row} | {ranks} |")
    row = " | ".join(f"**{recall(every, k):.2f}**" for k in KS)
    print(f"| **all {len(every)} questions** | | {row} | |\n")
    return every


async def answers_table(engine: Engine, settings: Settings, show: bool) -> None:
    print("| paper | answered | cite the answer's passage | citations grounded | unanswerable: said so "
          "| first token, first question (tokens read) | follow-ups, median (tokens read) |")  # fmt: skip
    print("|---|---:|---:|---:|---|---:|---:|")
    total = Judged()
    firsts: list[tuple[float, int]] = []
    follows: list[tuple[float, int]] = []
    for name, questions in QUESTIONS.items():
        store = MemoryStore()
        asker = Asker(PaperResolver(FakeArxiv(), store), engine, store, settings)
        path = SHARED / name
        paper = load_local(path)
        index = build_index(paper)
        anchors = document_anchors(path)
        judged, conversation, timings = Judged(), None, []
        for question, snippet in questions:
            request = QuestionRequest(paper=str(path), question=question, conversation_id=conversation)
            result = await asker.ask(request)
            conversation = result.conversation_id
            judged.answers += 1
            judged.answered += result.answered
            judged.cited_answer += any(c.passage == answer_passage(index, snippet) for c in result.citations)
            judge(paper, index, anchors, result, judged)
            timings.append((result.timings.first_token_s or 0.0, result.timings.prefill_tokens or 0))
            if show:
                dropped = [(d.reason, d.text) for d in result.dropped_sentences]
                print(
                    f"\n> {question}\n{result.answer}\n  quotes: {[c.quote for c in result.citations]}",
                    flush=True,
                )
                print(f"  left out: {dropped}; notes: {result.notes}\n", flush=True)
        honest = [
            not (await asker.ask(QuestionRequest(paper=str(path), question=question))).answered
            for question in (UNANSWERABLE[name], OFF_TOPIC)
        ]
        firsts.append(timings[0])
        follows += timings[1:]
        for key in ("citations", "grounded", "cited_answer", "answers", "answered"):
            setattr(total, key, getattr(total, key) + getattr(judged, key))
        total.problems += judged.problems
        print(
            f"| {Path(name).name} | {judged.answered}/{judged.answers} "
            f"| {judged.cited_answer}/{judged.answers} "
            f"| {judged.grounded}/{judged.citations} | {sum(honest)}/{len(honest)} "
            f"| {_latency(timings[:1])} | {_latency(timings[1:])} |",
            flush=True,
        )
    share = total.grounded / total.citations if total.citations else 1.0
    print(
        f"| **total** | {total.answered}/{total.answers} | {total.cited_answer}/{total.answers} "
        f"| **{share:.0%}** ({total.grounded}/{total.citations}) | "
        f"| {_latency(firsts)} | {_latency(follows)} |"
    )
    for problem in total.problems:
        print(f"- {problem}")


async def prefill_table(engine: Engine, settings: Settings, runs: int) -> None:
    """The first question's prompt read cold against its follow-up's read right after it, interleaved."""
    print("\n| paper | first question: prompt, computed | first token | follow-up: prompt, computed "
          "| first token | follow-up / first |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    ratios: list[float] = []
    for name, questions in QUESTIONS.items():
        store = MemoryStore()
        asker = Asker(PaperResolver(FakeArxiv(), store), engine, store, settings)
        path = str(SHARED / name)
        first = await asker.prepare(QuestionRequest(paper=path, question=questions[0][0]))
        asked = await asker.ask(QuestionRequest(paper=path, question=questions[0][0]))
        follow = await asker.prepare(
            QuestionRequest(paper=path, question=questions[1][0], conversation_id=asked.conversation_id)
        )
        assert first.fitted is not None and follow.fitted is not None
        cold, warm = [], []
        for _ in range(runs):
            _first_token(
                engine, engine.format_prompt("Hello.")
            )  # the engine's cache no longer holds the paper
            cold.append(_first_token(engine, first.fitted.prompt))
            warm.append(_first_token(engine, follow.fitted.prompt))
        a, b = statistics.median(t for t, _ in cold), statistics.median(t for t, _ in warm)
        ratios.append(b / a)
        print(
            f"| {Path(name).name} | {first.fitted.prompt_tokens:,}, {cold[0][1]:,} | {a:.2f} s "
            f"| {follow.fitted.prompt_tokens:,}, {warm[0][1]:,} | {b:.2f} s | {b / a:.2f}× |",
            flush=True,
        )
    print(f"| **median** | | | | | **{statistics.median(ratios):.2f}×** |")


def _first_token(engine: Engine, prompt: str) -> tuple[float, int]:
    """Seconds to the first generated token of `prompt`, and the prompt tokens computed (not cached)."""
    started = time.perf_counter()
    generation = engine.generate(prompt, GenerationOptions(max_new_tokens=1))
    for _ in generation:
        break
    seconds = time.perf_counter() - started
    generation.cancel()
    generation.text()  # let it finish
    return seconds, generation.usage.prompt_tokens - generation.usage.cached_tokens


def _latency(timings: list[tuple[float, int]]) -> str:
    """Median seconds to the first token, and median tokens the model computed before it."""
    seconds = statistics.median(t for t, _ in timings)
    return f"{seconds:.2f} s ({statistics.median(n for _, n in timings):,.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--retrieval-only", action="store_true", help="skip the answers (no model)")
    parser.add_argument("--show", action="store_true", help="print each answer")
    parser.add_argument("--latency-only", action="store_true", help="only the interleaved first-token timing")
    parser.add_argument(
        "--runs", type=int, default=5, help="repetitions of the interleaved first-token timing"
    )
    args = parser.parse_args()
    retrieval_table()
    if args.retrieval_only:
        return
    from arxivgpt.engine.hardware import detect
    from arxivgpt.engine.loading import choose, load

    with tempfile.TemporaryDirectory() as data:
        settings = Settings(model=args.model, data_dir=Path(data))
        engine = load(choose(args.model, args.precision, "cpu", detect(), settings), settings)
        print(f"{engine.name}, {settings.ask_passage_tokens:,} tokens of passages at most\n")
        if not args.latency_only:
            asyncio.run(answers_table(engine, settings, args.show))
        asyncio.run(prefill_table(engine, settings, args.runs))


if __name__ == "__main__":
    main()
