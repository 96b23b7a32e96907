"""`arxivgpt ask INPUT QUESTION`: an answer from the paper's own passages, then its quotes and links."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from typing import Any

from arxivgpt.ask.models import AnswerResult, QuestionRequest
from arxivgpt.cli.options import settings_from
from arxivgpt.errors import InvalidInput
from arxivgpt.settings import Settings


def register(commands: Any) -> None:
    ask = commands.add_parser(
        "ask",
        help="ask a question about a paper",
        description="Answer a question from the paper's own passages, quoting and linking the ones it uses. "
        "The conversation is kept: go on with --conversation ID.",
    )
    ask.add_argument("input", metavar="INPUT", help="an arXiv ID, arxiv.org URL, or a local PDF/HTML file")
    ask.add_argument("question", metavar="QUESTION", help="what to ask (at most 2,000 characters)")
    ask.add_argument("--conversation", metavar="ID", help="go on with this conversation (same paper version)")
    ask.add_argument(
        "--from-summary",
        action="store_true",
        help="start the conversation from this paper's summary (as `arxivgpt summarize INPUT` cached it)",
    )
    ask.add_argument("--source", choices=("full", "abstract"), default="full")
    ask.add_argument("--model", help="a preset, Hugging Face ID, folder or .gguf (default: ARXIVGPT_MODEL)")
    ask.add_argument("--max-new-tokens", type=int, metavar="N", help="the answer's length limit")
    ask.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    ask.set_defaults(run=run_ask)


def run_ask(args: argparse.Namespace) -> int:
    if args.from_summary and args.conversation:
        raise InvalidInput(
            "--from-summary starts a new conversation; leave out one of --from-summary and --conversation"
        )
    request = QuestionRequest(
        paper=args.input,
        question=args.question,
        conversation_id=args.conversation,
        source=args.source,
        max_new_tokens=args.max_new_tokens,
    )
    result = asyncio.run(_ask(settings_from(args, "model"), request, args.from_summary, stream=not args.json))
    if args.json:
        json.dump(result.model_dump(mode="json"), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    return 0


async def _ask(
    settings: Settings, request: QuestionRequest, from_summary: bool, stream: bool
) -> AnswerResult:
    from arxivgpt.ask.pipeline import Asker, Delta, Done, precheck
    from arxivgpt.engine.factory import build_engine
    from arxivgpt.papers.resolver import build_resolver

    resolver = build_resolver(settings)
    try:
        precheck(request, resolver.store)  # before the model takes its seconds to load
        engine = build_engine(settings)
    except BaseException:
        resolver.store.close()
        raise
    try:
        if from_summary:
            request = request.model_copy(
                update={"summary": _cached_summary(resolver, engine, settings, request)}
            )
        async for event in Asker(resolver, engine, resolver.store, settings).events(request):
            if isinstance(event, Delta) and stream:
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif isinstance(event, Done):
                if stream:
                    print_quotes(event.result)
                return event.result
    finally:
        engine.close()
        resolver.store.close()
    raise AssertionError("the answer ended without a result")


def _cached_summary(resolver: Any, engine: Any, settings: Settings, request: QuestionRequest) -> str:
    """The summary `arxivgpt summarize INPUT` made of this paper with the default settings, from the cache."""
    from arxivgpt.engine.base import GenerationOptions
    from arxivgpt.summary import prompts
    from arxivgpt.summary.models import SummaryResult
    from arxivgpt.summary.pipeline import summary_key

    paper = resolver.resolve(request.paper, request.source)
    options = GenerationOptions(max_new_tokens=settings.max_new_tokens)
    key = summary_key(paper, prompts.default_template(), engine.name, options, settings.language)
    kept = resolver.store.get_summary(key)
    if kept is None:
        raise InvalidInput(
            f"no summary of this paper by {engine.name} is cached; run `arxivgpt summarize {request.paper}` "
            "first, or ask without --from-summary"
        )
    return SummaryResult.model_validate_json(kept).summary


def print_quotes(result: AnswerResult) -> None:
    """After the streamed answer: each citation's quote and link, then what happened, on stderr."""
    out = sys.stdout
    if result.finish_reason == "length":
        out.write("\n(stopped at the length limit)")
    out.write("\n")
    if result.citations:
        out.write("\nQuotes from the paper:\n")
        for citation in result.citations:
            out.write(f"\n[{citation.passage}] {citation.section}\n  “{citation.quote}”\n")
            if citation.url:
                out.write(f"  {citation.url}\n")
    for reference in result.references:
        out.write(f"\n[{reference.n}] {reference.text}")
    if result.references:
        out.write("\n")
    print(f"[{'; '.join(footer_notes(result))}]", file=sys.stderr)


def footer_notes(result: AnswerResult) -> list[str]:
    """What happened, in words: model, conversation, what was read, checks, tokens, time."""
    usage = result.usage
    notes = [
        result.model,
        f"conversation {result.conversation_id}, turn {result.turn} (go on with --conversation "
        f"{result.conversation_id})",
        f"{result.retrieval.passages_given} of {result.retrieval.passages_total} passages read "
        f"({result.retrieval.passage_tokens:,} tokens)",
        *result.notes,
    ]
    if result.removed_citations:
        notes.append(f"{result.removed_citations} citation(s) of passages not given removed")
    reasons = Counter(dropped.reason for dropped in result.dropped_sentences)
    if reasons["unsupported"]:
        notes.append(f"{reasons['unsupported']} sentence(s) left out: not supported by the passages")
    if reasons["repeats an earlier answer"]:
        notes.append(
            f"{reasons['repeats an earlier answer']} sentence(s) left out: repeating an earlier answer"
        )
    cached = f", {usage.cached_tokens:,} of them from the cache" if usage.cached_tokens else ""
    notes.append(f"{usage.prompt_tokens:,} prompt tokens{cached} + {usage.completion_tokens} generated")
    notes.append(f"{result.timings.total_s:.1f} s")
    return notes
