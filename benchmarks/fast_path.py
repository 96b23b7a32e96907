"""The CPU fast path against the fp32 reference: first token and decode speed on a 15-page paper, real model.

    python -m benchmarks.fast_path [--paper pdf/2304.02623v1.pdf] [--new-tokens 64] [--rounds 2]

The prompt is the one a user's first request reads: the default template's first part for the paper (the
offline SmolLM2-135M, default settings). Each path streams it through `TransformersEngine.generate` with the
prefix cache emptied first, so every round reads the whole paper. First token is the time to the first text
piece; decode is (tokens - 1) / (the rest of the time), with the repetition penalty and streaming a summary
has. Paths, interleaved round by round, median reported:
- reference: fp32, transformers' DynamicCache (what the engine did before issue 10);
- fast: what `ARXIVGPT_PRECISION=auto` picks on this CPU (bf16 with AMX or AVX-512-BF16, else fp32) with the
  engine's preallocated key/value cache.

Bytes per token: every weight once plus the keys and values attention reads at that context (a DynamicCache
also writes them all again, and reads them to copy). Memory bandwidth is measured here as the best of 5
copies of a 1 GiB float32 tensor (2 GiB moved per copy: read + write), torch on all threads.
Targets (issue "Fast on the CPU"): first token at least 2.5x shorter, decode at least 1.5x faster.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from arxivgpt.engine.base import GenerationOptions
from arxivgpt.engine.hardware import detect
from arxivgpt.engine.loading import choose, load
from arxivgpt.engine.local import TransformersEngine
from arxivgpt.engine.prefix_cache import PrefixCache
from arxivgpt.papers.local import load_local
from arxivgpt.settings import Settings
from arxivgpt.store import MemoryStore
from arxivgpt.summary import prompts
from arxivgpt.summary.composer import heading_line
from arxivgpt.summary.writer import SummaryJob
from benchmarks.quality import SHARED

GIB = 1024**3


@dataclass
class Timing:
    first_s: float
    tokens: int
    total_s: float

    @property
    def decode_tok_s(self) -> float:
        return (self.tokens - 1) / max(self.total_s - self.first_s, 1e-9)


def first_part_prompt(engine: TransformersEngine, paper_path: Path) -> str:
    paper = load_local(paper_path)
    settings = Settings()
    job = SummaryJob(engine, MemoryStore(), paper, prompts.default_template(), "English",
                     GenerationOptions(max_new_tokens=settings.max_new_tokens), settings)  # fmt: skip
    job.check_template()
    assert job.parts, "the default template writes part by part"
    spec = job.parts[0]
    return job.part_prompt(job.plan().body, spec) + heading_line(spec) + spec.start


def timed(engine: TransformersEngine, prompt: str, new_tokens: int) -> Timing:
    engine.prefix_cache.clear()
    options = GenerationOptions(max_new_tokens=new_tokens)
    started = time.perf_counter()
    generation = engine.generate(prompt, options)
    first = None
    for _piece in generation:
        first = first if first is not None else time.perf_counter() - started
    total = time.perf_counter() - started
    return Timing(first or total, generation.usage.completion_tokens, total)


def bandwidth() -> float:
    source = torch.empty(GIB // 4, dtype=torch.float32).fill_(1.0)
    target = torch.empty_like(source)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        target.copy_(source)
        best = min(best, time.perf_counter() - started)
    return 2 * GIB / best


def bytes_per_token(engine: TransformersEngine, context: int, *, dynamic: bool) -> float:
    model = engine.model
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    config = model.config
    head_dim = config.hidden_size // config.num_attention_heads
    element = next(model.parameters()).element_size()
    kv = 2 * config.num_hidden_layers * config.num_key_value_heads * head_dim * context * element
    return float(weights + kv * (3 if dynamic else 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--paper", default="pdf/2304.02623v1.pdf")
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    hardware = detect()
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(model="smollm2-135m", data_dir=Path(data))
        reference = load(choose("smollm2-135m", "fp32", "cpu", hardware, settings), settings)
        reference.prefix_cache = PrefixCache()  # transformers' DynamicCache, as before
        fast = load(choose("smollm2-135m", "auto", "cpu", hardware, settings), settings)
        prompt = first_part_prompt(reference, SHARED / args.paper)
        tokens = reference.prompt_tokens(prompt)
        runs: dict[str, list[Timing]] = {"reference": [], "fast": []}
        for _ in range(args.rounds):
            runs["reference"].append(timed(reference, prompt, args.new_tokens))
            runs["fast"].append(timed(fast, prompt, args.new_tokens))
        measured = bandwidth()
    first = {name: statistics.median(t.first_s for t in timings) for name, timings in runs.items()}
    decode = {name: statistics.median(t.decode_tok_s for t in timings) for name, timings in runs.items()}
    print(f"{args.paper}: {tokens:,}-token prompt, {args.new_tokens} new tokens, median of {args.rounds}; "
          f"{hardware.describe()}; memory bandwidth {measured / 1e9:.1f} GB/s (1 GiB copy)")  # fmt: skip
    print("| path | model | first token | decode | bytes/token | share of bandwidth |")
    print("|---|---|---:|---:|---:|---:|")
    for name, engine in (("reference", reference), ("fast", fast)):
        moved = bytes_per_token(engine, tokens, dynamic=name == "reference")
        share = moved * decode[name] / measured
        print(f"| {name} | {engine.name} | {first[name]:.1f} s | {decode[name]:.1f} tok/s "
              f"| {moved / 1e6:.0f} MB | {share:.0%} |")  # fmt: skip
    print(f"| **fast / reference** | | {first['reference'] / first['fast']:.2f}× shorter (target 2.5×) "
          f"| {decode['fast'] / decode['reference']:.2f}× faster (target 1.5×) | | |")  # fmt: skip


if __name__ == "__main__":
    main()
