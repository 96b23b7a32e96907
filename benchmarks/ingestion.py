"""Ingestion speed on this machine: HTML and PDF extraction of the saved papers, and a cached lookup.

    python -m benchmarks.ingestion [--runs N]

Targets (issue "Paper ingestion"): HTML of 2501.11120v1 (700 KB) < 0.3 s; PDF of 1111.2011v2 < 3 s (the issue
says 10 pages, pypdf counts 8); a cached `paper` lookup < 20 ms inside the process. Prints one table;
"ratio" is median / target (below 1 meets the target).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from arxivgpt.papers.html import extract_html
from arxivgpt.papers.pdf import extract_pdf
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import ArxivClient
from arxivgpt.settings import Settings
from arxivgpt.store import SqliteStore
from tests.support.arxiv_mirror import SHARED, ArxivMirror

HTML = SHARED / "html" / "arxivhtml_2501.11120v1.html"
PDF = SHARED / "pdf" / "1111.2011v2.pdf"


def timings(action: Callable[[], object], runs: int) -> list[float]:
    action()  # warm-up: imports, caches
    results = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        results.append(time.perf_counter() - start)
    return results


def cached_lookup(mirror: ArxivMirror, data_dir: Path) -> Callable[[], object]:
    """`resolve` with the real client and SQLite cache: the warm-up fills the cache, the rest must hit it."""
    settings = Settings(data_dir=data_dir, arxiv_delay=0.0, **_mirror_urls(mirror))
    resolver = PaperResolver(ArxivClient(settings), SqliteStore(settings.cache_path))

    def lookup() -> object:
        paper = resolver.resolve("2501.11120v1")
        if len(mirror.log) > 2:
            raise RuntimeError("the cached lookup went to the network")
        return paper

    return lookup


def _mirror_urls(mirror: ArxivMirror) -> dict[str, str]:
    return {
        "arxiv_api_url": f"{mirror.url}/api/query",
        "arxiv_url": mirror.url,
        "ar5iv_url": f"{mirror.url}/ar5iv",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    html, pdf = HTML.read_bytes(), PDF.read_bytes()
    mirror = ArxivMirror().start()
    with tempfile.TemporaryDirectory() as folder:
        rows = [
            ("HTML extraction, 2501.11120v1 (700 KB)", timings(lambda: extract_html(html), args.runs), 0.3),
            (
                "PDF extraction, 1111.2011v2 (8 pages)",
                timings(lambda: extract_pdf(pdf), max(3, args.runs // 3)),
                3.0,
            ),
            (
                "cached paper lookup, 2501.11120v1",
                timings(cached_lookup(mirror, Path(folder)), args.runs * 20),
                0.020,
            ),
        ]
    mirror.stop()
    print("| measure | runs | median | best | target | ratio |\n|---|---:|---:|---:|---:|---:|")
    for name, samples, target in rows:
        median = statistics.median(samples)
        print(
            f"| {name} | {len(samples)} | {median * 1000:.1f} ms | {min(samples) * 1000:.1f} ms "
            f"| {target * 1000:.0f} ms | {median / target:.2f} |"
        )


if __name__ == "__main__":
    main()
