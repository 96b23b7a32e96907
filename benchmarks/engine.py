"""The generation engine on this machine: streaming overhead and load time, with the offline SmolLM2-135M.

    python -m benchmarks.engine [--rounds N] [--new-tokens N]

Targets (issue "Generation engine"): streaming through the engine costs at most 5% more wall time than
calling `model.generate` directly with the same prompt and token count; smollm2-135m loads in under 3 s once
converted.
Prints one table; "ratio" is engine / direct for the overhead and measured / target for the load.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import torch

from arxivgpt.engine.base import GenerationOptions
from arxivgpt.engine.hardware import detect
from arxivgpt.engine.loading import choose, load
from arxivgpt.engine.local import TransformersEngine
from arxivgpt.settings import Settings

QUESTION = (
    "Explain in detail, in several paragraphs: large language models can describe behaviours they were "
    "finetuned on, such as writing insecure code, without being shown examples in the prompt."
)


def load_engine(settings: Settings) -> tuple[TransformersEngine, float]:
    started = time.perf_counter()
    engine: TransformersEngine = load(choose("smollm2-135m", "auto", "cpu", detect(), settings), settings)
    return engine, time.perf_counter() - started


def direct(engine: TransformersEngine, prompt: str, options: GenerationOptions) -> int:
    input_ids = engine.encode(prompt)
    with torch.inference_mode():
        output = engine.model.generate(
            input_ids, attention_mask=torch.ones_like(input_ids), **engine.generate_kwargs(options)
        )
    return int(output.shape[1] - input_ids.shape[1])


def streamed(engine: TransformersEngine, prompt: str, options: GenerationOptions) -> int:
    generation = engine.generate(prompt, options)
    generation.text()
    return generation.usage.completion_tokens


def overhead(engine: TransformersEngine, rounds: int, new_tokens: int) -> tuple[float, float, int]:
    """Medians of direct and streamed wall time, interleaved so that drift hits both alike."""
    prompt, options = engine.format_prompt(QUESTION), GenerationOptions(max_new_tokens=new_tokens)
    direct(engine, prompt, options)  # warm-up
    times: dict[str, list[float]] = {"direct": [], "engine": []}
    tokens: set[int] = set()
    for _ in range(rounds):
        for name, run in (("direct", direct), ("engine", streamed)):
            started = time.perf_counter()
            tokens.add(run(engine, prompt, options))
            times[name].append(time.perf_counter() - started)
    if len(tokens) != 1:
        raise RuntimeError(f"the two paths generated different token counts: {sorted(tokens)}")
    return statistics.median(times["direct"]), statistics.median(times["engine"]), tokens.pop()


def import_seconds() -> float:
    """A fresh interpreter importing what a local engine needs (torch, transformers), as `serve` does."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import arxivgpt.engine.local"], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--new-tokens", type=int, default=96)
    args = parser.parse_args()
    settings = Settings(model="smollm2-135m")
    load_engine(settings)  # converts the GGUF once if this data dir has never seen it
    loads = [load_engine(settings)[1] for _ in range(3)]
    engine, _ = load_engine(settings)
    plain, through_engine, tokens = overhead(engine, args.rounds, args.new_tokens)
    imports = statistics.median(import_seconds() for _ in range(3))
    threads = torch.get_num_threads()
    print(f"smollm2-135m, fp32, CPU ({threads} threads), {tokens} new tokens, median of {args.rounds}")
    print("| measure | value | target | ratio |\n|---|---:|---:|---:|")
    print(f"| model.generate directly | {plain:.2f} s ({tokens / plain:.1f} tok/s) | | |")
    print(f"| engine, streamed | {through_engine:.2f} s ({tokens / through_engine:.1f} tok/s) | ≤ 1.05× | "
          f"{through_engine / plain:.3f} |")  # fmt: skip
    print(f"| load after conversion (median of 3) | {statistics.median(loads):.2f} s | 3 s | "
          f"{statistics.median(loads) / 3:.2f} |")  # fmt: skip
    print(f"| import torch + transformers, fresh process | {imports:.2f} s | | |")


if __name__ == "__main__":
    main()
