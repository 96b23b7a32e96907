"""`arxivgpt summarize INPUT` streams a summary to the terminal; `arxivgpt serve` runs the REST API."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from arxivgpt.cli.options import settings_from
from arxivgpt.errors import InvalidInput
from arxivgpt.settings import Settings
from arxivgpt.summary.models import SummaryRequest, SummaryResult


def register(commands: Any) -> None:
    summarize = commands.add_parser(
        "summarize",
        help="summarise a paper with the local model",
        description="Resolve a paper, fit it to the model, and stream the five-part summary as Markdown.",
    )
    summarize.add_argument(
        "input", metavar="INPUT", help="an arXiv ID, arxiv.org URL, or a local PDF/HTML file"
    )
    summarize.add_argument("--source", choices=("full", "abstract"), default="full")
    summarize.add_argument(
        "--model", help="a preset, Hugging Face ID, folder or .gguf (default: ARXIVGPT_MODEL)"
    )
    summarize.add_argument(
        "--template", type=Path, metavar="FILE", help="a Jinja2 prompt template to use instead"
    )
    summarize.add_argument("--language", help="the language of the summary (default: ARXIVGPT_LANGUAGE)")
    summarize.add_argument("--max-new-tokens", type=int, metavar="N")
    summarize.add_argument("--refresh", action="store_true", help="regenerate even if a summary is cached")
    summarize.add_argument("--json", action="store_true", help="print one JSON object instead of streaming")
    summarize.set_defaults(run=run_summarize)

    serve = commands.add_parser("serve", help="run the REST API for the extension and scripts")
    serve.add_argument("--host", help="default 127.0.0.1 (ARXIVGPT_HOST); elsewhere needs ARXIVGPT_API_TOKEN")
    serve.add_argument("--port", type=int, help="default 8765 (ARXIVGPT_PORT)")
    serve.add_argument("--model", help="the model to load (default: ARXIVGPT_MODEL)")
    serve.set_defaults(run=run_serve)


def run_summarize(args: argparse.Namespace) -> int:
    template = _read_template(args.template) if args.template else None
    request = SummaryRequest(
        paper=args.input,
        source=args.source,
        template=template,
        language=args.language,
        max_new_tokens=args.max_new_tokens,
        refresh=args.refresh,
    )
    result = asyncio.run(_summarize(settings_from(args, "model"), request, stream=not args.json))
    if args.json:
        json.dump(result.model_dump(mode="json"), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    return 0


def _read_template(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"cannot read the template {path}: {error}") from error


async def _summarize(settings: Settings, request: SummaryRequest, stream: bool) -> SummaryResult:
    from arxivgpt.engine.factory import build_engine
    from arxivgpt.papers.resolver import build_resolver
    from arxivgpt.summary.models import Progress
    from arxivgpt.summary.pipeline import Delta, Done, Summarizer

    resolver = build_resolver(settings)
    engine = build_engine(settings)
    summarizer = Summarizer(resolver, engine, resolver.store, settings)
    try:
        async for event in summarizer.events(request):
            if isinstance(event, Delta) and stream:
                sys.stdout.write(event.text)
                sys.stdout.flush()
            elif isinstance(event, Progress) and stream and event.stage != "writing":
                print(f"[{event.message}…]", file=sys.stderr, flush=True)  # the headings show the rest
            elif isinstance(event, Done):
                if stream:
                    _print_footer(event.result)
                return event.result
    finally:
        engine.close()
        resolver.store.close()
    raise AssertionError("the summary ended without a result")


def _print_footer(result: SummaryResult) -> None:
    out = sys.stdout
    if result.finish_reason == "length":
        out.write("\n(stopped at the length limit)\n")
    out.write("\n")
    if result.references and result.structure == "free":
        out.write("\n---\nReferences cited, verbatim from the paper's bibliography:\n\n")
        for reference in result.references:
            out.write(f"[{reference.n}] {reference.text}\n")
    print(f"[{'; '.join(footer_notes(result))}]", file=sys.stderr)


def footer_notes(result: SummaryResult) -> list[str]:
    """What happened, in words: model, what was read, counts and checks, tokens, time."""
    usage = result.usage
    notes = [
        result.model,
        f"read {result.strategy.description or result.strategy.name} ({result.paper.source})",
    ]
    unmet = [part.heading for part in result.parts if not part.rule_met]
    if unmet:
        notes.append(f"count rule not met in {', '.join(unmet)}")
    if result.dropped_sentences:
        notes.append(
            f"{len(result.dropped_sentences)} generated sentence(s) left out (not supported or not as asked)"
        )
    if result.unknown_citations:
        notes.append(f"{result.unknown_citations} unknown citation(s) removed")
    cached = f", {usage.cached_tokens} of them from the cache" if usage.cached_tokens else ""
    notes.append(f"{usage.prompt_tokens} prompt tokens{cached} + {usage.completion_tokens} generated")
    notes.append("cached" if result.cached else f"{result.timings.total_s:.1f} s")
    return notes


def run_serve(args: argparse.Namespace) -> int:
    from arxivgpt.api.server import serve

    serve(settings_from(args, "host", "port", "model"))
    return 0
