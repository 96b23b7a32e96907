"""The CPU fast path against the fp32 reference: first token and decode speed on a 15-page paper, real model.

    python -m benchmarks.fast_path [--paper pdf/2304.02623v1.pdf] [--new-tokens 64] [--rounds 2]
        [--also compiled,int8-torchao,int8-torchao-compiled]

The prompt is the one a user's first request reads: the default template's first part for the paper (the
offline SmolLM2-135M, default settings). Each path streams it through `TransformersEngine.generate` with the
prefix cache emptied first, so every round reads the whole paper. First token is the time to the first text
piece; decode is (tokens - 1) / (the rest of the time), with the repetition penalty and streaming a summary
has. Paths, interleaved round by round, median reported:
- reference: fp32, transformers' DynamicCache (what the engine did before issue 10);
- fast: what `ARXIVGPT_PRECISION=auto` picks on this CPU (bf16 with AMX or AVX-512-BF16, else fp32) with the
  engine's preallocated key/value cache.
`--also` adds the alternatives the CPU could take instead, each through the engine's own loading path, so
the default is the one that measured fastest: `compiled` (the fast path's precision with the decode step
compiled over a static cache: ARXIVGPT_COMPILE_DECODE=on), `int8-torchao` (torchao's int8 weight-only, bf16
compute, eager) and `int8-torchao-compiled` (both; what ARXIVGPT_FAST_GPU runs on a GPU). Their compile time
(the warm-up) is printed apart.

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
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from arxivgpt.engine.base import GenerationOptions
from arxivgpt.engine.hardware import detect
from arxivgpt.engine.loading import ModelChoice, choose, load
from arxivgpt.engine.local import TransformersEngine
from arxivgpt.engine.prefix_cache import PrefixCache
from arxivgpt.papers.local import load_local
from arxivgpt.settings import Settings
from arxivgpt.store import MemoryStore
from arxivgpt.summary import prompts
from arxivgpt.summary.composer import heading_line
from arxivgpt.summary.writer import SummaryJob
from benchmarks.decode import weight_bytes
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
    weights = weight_bytes(model)
    config = model.config
    head_dim = config.hidden_size // config.num_attention_heads
    element = torch.finfo(model.dtype).bits // 8  # keys and values are kept in the compute dtype
    positions = engine.context_length if engine.compiled else context  # a static cache is read whole
    kv = 2 * config.num_hidden_layers * config.num_key_value_heads * head_dim * positions * element
    return float(weights + kv * (3 if dynamic else 1))


ALSO = ("compiled", "int8-torchao", "int8-torchao-compiled")


def alternative(name: str, fast: ModelChoice, settings: Settings) -> TransformersEngine:
    if name == "compiled":
        choice = replace(fast, compiled=True)
    else:
        choice = replace(fast, precision="int8", quantizer="torchao", compiled=name.endswith("-compiled"))
    engine: TransformersEngine = load(choice, settings)
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--paper", default="pdf/2304.02623v1.pdf")
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--also", default="", help=f"comma-separated, of: {', '.join(ALSO)}")
    args = parser.parse_args()
    also = [name for name in args.also.split(",") if name]
    if any(name not in ALSO for name in also):
        parser.error(f"--also takes {', '.join(ALSO)}")
    hardware = detect()
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(model="smollm2-135m", data_dir=Path(data))
        reference = load(choose("smollm2-135m", "fp32", "cpu", hardware, settings), settings)
        reference.prefix_cache = PrefixCache()  # transformers' DynamicCache, as before
        fast_choice = choose("smollm2-135m", "auto", "cpu", hardware, settings)
        engines = {"reference": reference, "fast": load(fast_choice, settings)}
        engines |= {name: alternative(name, fast_choice, settings) for name in also}
        prompt = first_part_prompt(reference, SHARED / args.paper)
        tokens = reference.prompt_tokens(prompt)
        runs: dict[str, list[Timing]] = {name: [] for name in engines}
        for _ in range(args.rounds):
            for name, engine in engines.items():
                runs[name].append(timed(engine, prompt, args.new_tokens))
        measured = bandwidth()
    first = {name: statistics.median(t.first_s for t in timings) for name, timings in runs.items()}
    decode = {name: statistics.median(t.decode_tok_s for t in timings) for name, timings in runs.items()}
    print(f"{args.paper}: {tokens:,}-token prompt, {args.new_tokens} new tokens, median of {args.rounds}; "
          f"{hardware.describe()}; memory bandwidth {measured / 1e9:.1f} GB/s (1 GiB copy)")  # fmt: skip
    print("| path | model | first token | decode | bytes/token | share of bandwidth |")
    print("|---|---|---:|---:|---:|---:|")
    for name, engine in engines.items():
        moved = bytes_per_token(engine, tokens, dynamic=name == "reference")
        share = moved * decode[name] / measured
        print(f"| {name} | {engine.name} | {first[name]:.1f} s | {decode[name]:.1f} tok/s "
              f"| {moved / 1e6:.0f} MB | {share:.0%} |")  # fmt: skip
    print(f"| **fast / reference** | | {first['reference'] / first['fast']:.2f}× shorter (target 2.5×) "
          f"| {decode['fast'] / decode['reference']:.2f}× faster (target 1.5×) | | |")  # fmt: skip
    for name in also:
        engine = engines[name]
        warm_up = engine.timings.warm_up_s or 0.0
        print(f"| {name} / fast | | {first['fast'] / first[name]:.2f}× shorter | "
              f"{decode[name] / decode['fast']:.2f}× faster | warm-up {warm_up:.0f} s | |")  # fmt: skip


if __name__ == "__main__":
    main()
