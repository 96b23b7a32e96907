"""`arxivgpt paper INPUT`: resolve a paper and print it as text or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from arxivgpt.papers.models import Paper
from arxivgpt.papers.resolver import build_resolver
from arxivgpt.settings import Settings

JSON_FIELDS = (
    "id", "version", "title", "authors", "abstract", "categories", "published", "updated", "source",
    "sections", "references", "doi", "journal_ref", "comment", "withdrawn", "notes", "cached", "local_path",
)  # fmt: skip


def register(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "paper",
        help="fetch a paper and print its text",
        description="Resolve an arXiv ID, arxiv.org URL or local PDF/HTML file into metadata, "
        "sections and bibliography.",
    )
    parser.add_argument(
        "input", metavar="INPUT", help="2303.17580, hep-th/9901001v2, an arxiv.org URL, or a file"
    )
    parser.add_argument(
        "--source",
        choices=("full", "abstract"),
        default="full",
        help="full text (arXiv HTML, then ar5iv, then PDF) or the abstract only (default: full)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    resolver = build_resolver(Settings())
    try:
        paper = resolver.resolve(args.input, source=args.source)
    finally:
        resolver.store.close()
    if args.json:
        json.dump(paper_json(paper), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print_paper(paper, sys.stdout)
    return 0


def paper_json(paper: Paper) -> dict[str, Any]:
    data = paper.model_dump(mode="json", exclude={"sections": {"__all__": {"anchors"}}})
    return {name: data[name] for name in JSON_FIELDS}


def print_paper(paper: Paper, out: TextIO) -> None:
    label = f"arXiv:{paper.id}v{paper.version}" if paper.id else paper.local_path
    out.write(f"# {paper.title}\n\n")
    if paper.authors:
        out.write(", ".join(paper.authors) + "\n")
    cache = " (from the cache)" if paper.cached else ""
    out.write(f"{label} · source: {paper.source}{cache}\n")
    for note in paper.notes:
        out.write(f"note: {note}\n")
    if paper.abstract:
        out.write(f"\n## Abstract\n\n{paper.abstract}\n")
    for section in paper.sections:
        out.write(f"\n## {section.title}\n\n{section.text}\n")
    if paper.references:
        out.write("\n## References\n\n")
        for reference in paper.references:
            out.write(f"[{reference.key}] {reference.text}\n")
