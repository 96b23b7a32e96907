"""The REST API on this machine: cached summaries, the API's overhead over the engine, time to first delta.

    python -m benchmarks.api [--requests N] [--rounds N] [--fast-path-paper ID | --no-fast-path]

Targets (issue "Summaries"): a cached summary through POST /v1/summaries at p50 under 20 ms; the API costs at
most 5% more wall time than calling the engine directly with the same prompt; time to the first `delta` for a
paper whose text is cached, with smollm2-135m on the CPU, reported. The server is real uvicorn on loopback,
arXiv is the local mirror of saved responses, the model is the offline SmolLM2-135M.

Fast path (issue "Fast on the CPU"): a full-text summary of a 15-page paper (2501.11120v1) streamed through
the API by the fp32 reference engine (transformers' growing DynamicCache) and by what `auto` runs on this CPU
(bf16 where it has AMX or AVX-512-BF16, the preallocated cache), each reading the paper cold. Reported: the
time to the first sentence a reader sees (the first `delta` after the server's heading: the model's first
sentence, read, checked and streamed) and the whole summary.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from arxivgpt.api import create_app
from arxivgpt.engine.hardware import detect
from arxivgpt.engine.loading import choose, load
from arxivgpt.engine.local import TransformersEngine
from arxivgpt.engine.prefix_cache import PrefixCache
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import ArxivClient
from arxivgpt.settings import Settings
from arxivgpt.store import SqliteStore
from arxivgpt.summary.models import SummaryRequest
from arxivgpt.summary.pipeline import Summarizer
from tests.support.arxiv_mirror import ArxivMirror
from tests.support.templates import FREE_TEMPLATE

PAPER = "2304.02623v1"
FAST_PATH_PAPER = "2501.11120v1"  # 15 pages of LaTeXML HTML: about 7,600 tokens of paper


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """The app under uvicorn on a thread, as `arxivgpt serve` runs it."""

    def __init__(self, settings: Settings, engine: TransformersEngine, resolver: PaperResolver) -> None:
        app = create_app(settings, engine=engine, resolver=resolver, store=resolver.store)
        config = uvicorn.Config(app, host="127.0.0.1", port=settings.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{settings.port}"

    def __enter__(self) -> Server:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join()


def first_sentence(client: httpx.Client, body: dict[str, object]) -> tuple[float, float]:
    """Seconds to the first delta after the server's heading (the model's first sentence) and to the end."""
    started, first, deltas = time.perf_counter(), None, 0
    with client.stream("POST", "/v1/summaries", json={**body, "stream": True}) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line == "event: delta":
                deltas += 1
                if deltas == 2 and first is None:
                    first = time.perf_counter() - started
    return first or float("nan"), time.perf_counter() - started


def fast_path_rows(
    settings: Settings,
    reference: TransformersEngine,
    fast: TransformersEngine,
    resolver: PaperResolver,
    paper: str,
) -> list[str]:
    body = {"paper": paper, "source": "full", "refresh": True}
    timings = {}
    for engine in (reference, fast):
        with (
            Server(settings.model_copy(update={"port": free_port()}), engine, resolver) as server,
            httpx.Client(base_url=server.url, timeout=1800) as client,
        ):
            engine.prefix_cache.clear()  # each path reads the paper cold
            timings[engine.name] = first_sentence(client, body)
    (ref_first, ref_total), (fast_first, fast_total) = timings[reference.name], timings[fast.name]
    return [
        f"| {paper} full text, first sentence, {reference.name} (DynamicCache) | {ref_first:.1f} s | | |",
        f"| {paper} full text, first sentence, {fast.name} | {fast_first:.1f} s | 2.5× shorter | "
        f"{ref_first / fast_first:.2f}× |",
        f"| {paper} full text, whole summary, {reference.name} | {ref_total:.1f} s | | |",
        f"| {paper} full text, whole summary, {fast.name} | {fast_total:.1f} s | reported | "
        f"{ref_total / fast_total:.2f}× |",
    ]


def stream_summary(client: httpx.Client, body: dict[str, object]) -> tuple[float, float]:
    """Seconds to the first delta and to the end of a streamed summary."""
    started, first = time.perf_counter(), None
    with client.stream("POST", "/v1/summaries", json={**body, "stream": True}) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if first is None and line == "event: delta":
                first = time.perf_counter() - started
    return first or float("nan"), time.perf_counter() - started


def direct_seconds(summarizer: Summarizer, engine: TransformersEngine, body: dict[str, object]) -> float:
    """The same prompt and options, straight into the engine (no HTTP, no pipeline)."""
    job = asyncio.run(summarizer.prepare(SummaryRequest(**body)))  # type: ignore[arg-type]
    plan = job.plan()
    prompt, _ = job.prompt_and_prefix(plan.body, plan.references)
    started = time.perf_counter()
    engine.generate(prompt, job.options).text()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--fast-path-paper", default=FAST_PATH_PAPER)
    parser.add_argument("--no-fast-path", dest="fast_path", action="store_false")
    args = parser.parse_args()
    mirror = ArxivMirror().start()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            data_dir=Path(folder), port=free_port(), max_new_tokens=args.max_new_tokens, arxiv_delay=0.0,
            arxiv_api_url=f"{mirror.url}/api/query", arxiv_url=mirror.url, ar5iv_url=f"{mirror.url}/ar5iv",
        )  # fmt: skip
        models = Settings(model="smollm2-135m")  # the usual data dir, where the model is already converted
        engine: TransformersEngine = load(choose("smollm2-135m", "auto", "cpu", detect(), models), models)
        resolver = PaperResolver(ArxivClient(settings), SqliteStore(settings.cache_path))
        summarizer = Summarizer(resolver, engine, resolver.store, settings)
        rows = run(settings, engine, resolver, summarizer, args)
        if args.fast_path:
            reference = load(choose("smollm2-135m", "fp32", "cpu", detect(), models), models)
            reference.prefix_cache = PrefixCache()  # transformers' DynamicCache, as before the fast path
            rows += fast_path_rows(settings.model_copy(update={"max_new_tokens": 768}), reference, engine,
                                   resolver, args.fast_path_paper)  # fmt: skip
    mirror.stop()
    print(f"{engine.name}; {PAPER} from the local arXiv mirror; {args.max_new_tokens} new tokens")
    print("| measure | value | target | ratio |\n|---|---:|---:|---:|")
    for row in rows:
        print(row)


def run(
    settings: Settings,
    engine: TransformersEngine,
    resolver: PaperResolver,
    summarizer: Summarizer,
    args: argparse.Namespace,
) -> list[str]:
    # The API-against-engine rows compare one prompt with one prompt: the single-prompt (free) template.
    abstract = {"paper": PAPER, "source": "abstract", "template": FREE_TEMPLATE}
    full = {"paper": PAPER, "source": "full"}
    with (
        Server(settings, engine, resolver) as server,
        httpx.Client(base_url=server.url, timeout=600) as client,
    ):
        stream_summary(client, full)  # fetches and caches the paper's text and a first summary
        cached = []
        for _ in range(args.requests):
            started = time.perf_counter()
            client.post("/v1/summaries", json=full).raise_for_status()
            cached.append(time.perf_counter() - started)
        p50, p95 = statistics.median(cached), statistics.quantiles(cached, n=20)[-1]
        first_full, _ = stream_summary(client, {**full, "refresh": True})
        api, direct = [], []
        for _ in range(args.rounds):
            first_abstract, total = stream_summary(client, {**abstract, "refresh": True})
            api.append(total)
            direct.append(direct_seconds(summarizer, engine, abstract))
    ratio = statistics.median(api) / statistics.median(direct)
    return [
        f"| cached summary, POST /v1/summaries, p50 (p95) of {args.requests} | {p50 * 1000:.1f} ms "
        f"({p95 * 1000:.1f} ms) | 20 ms | {p50 / 0.020:.2f} |",
        f"| API streamed summary (abstract), median of {args.rounds} | {statistics.median(api):.2f} s | | |",
        f"| engine directly, same prompt and options | {statistics.median(direct):.2f} s | API ≤ 1.05× | "
        f"{ratio:.3f} |",
        f"| first delta, cached paper, abstract | {first_abstract:.2f} s | reported | |",
        f"| first delta, cached paper, full text ({PAPER}) | {first_full:.2f} s | reported | |",
    ]


if __name__ == "__main__":
    main()
