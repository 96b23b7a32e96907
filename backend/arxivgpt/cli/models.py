"""`arxivgpt models` and `arxivgpt generate`: see what would run here, and try a model quickly."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from arxivgpt.cli.options import settings_from
from arxivgpt.engine.base import GenerationOptions
from arxivgpt.engine.compiled import COMPILED_TAG
from arxivgpt.engine.factory import build_engine, pick_auto
from arxivgpt.engine.hardware import choose_device, detect
from arxivgpt.engine.loading import choose
from arxivgpt.engine.presets import PRESETS
from arxivgpt.errors import ArxivGPTError
from arxivgpt.settings import Settings


def register(commands: Any) -> None:
    models = commands.add_parser(
        "models",
        help="list model presets and what `auto` picks on this machine",
        description="List the presets, this machine, what ARXIVGPT_MODEL runs here and what importing costs.",
    )
    models.add_argument("--load", action="store_true", help="also load the configured model and time it")
    models.set_defaults(run=run_models)
    generate = commands.add_parser(
        "generate",
        help="stream a model's answer to one prompt",
        description="Wrap PROMPT in the model's prompt format and stream the answer (for checking a model).",
    )
    generate.add_argument("prompt", metavar="PROMPT")
    generate.add_argument(
        "--model", help="a preset, Hugging Face ID, folder or .gguf (default: ARXIVGPT_MODEL)"
    )
    generate.add_argument("--max-new-tokens", type=int, default=256, metavar="N")
    generate.add_argument("--temperature", type=float, default=0.0, help="0 (the default) is greedy")
    generate.set_defaults(run=run_generate)


def run_models(args: argparse.Namespace) -> int:
    settings = Settings()
    print(f"{'preset':<16} {'context':>7}  {'precision':<9}  model")
    for preset in PRESETS.values():
        model = preset.model + (f" + {preset.adapter}" if preset.adapter else "")
        print(f"{preset.name:<16} {preset.context_length:>7,}  {preset.precision:<9}  {model}")
        print(f"{'':<16} {'':>7}  {'':<9}  {preset.description}")
    started = time.perf_counter()
    hardware = detect()  # the first import of torch
    imported = time.perf_counter() - started
    pick = pick_auto(hardware, settings.fast_gpu)
    print(f"\nthis machine: {hardware.describe()}")
    print(f"auto -> {pick.model}, because {pick.reason}")
    print(f"configured: ARXIVGPT_MODEL={settings.model}")
    if settings.openai_base_url:
        print(f"generation goes to the OpenAI-compatible server at {settings.openai_base_url}")
        return 0
    model = pick.model if settings.model == "auto" else settings.model
    try:
        choice = choose(
            model, settings.precision, choose_device(settings.device, hardware), hardware, settings
        )
    except ArxivGPTError as error:
        print(f"runs here: nothing: {error}")
        return 1
    print(f"runs here: {choice.name}")
    print(f"import: torch {imported:.1f} s")
    if args.load:
        return _timed_load(settings)
    return 0


def _timed_load(settings: Settings) -> int:
    started = time.perf_counter()
    import transformers  # noqa: F401  (timed apart from the weights)

    imported = time.perf_counter() - started
    started = time.perf_counter()
    try:
        engine = build_engine(settings)
    except ArxivGPTError as error:
        print(f"load: failed: {error}")
        return 1
    loaded = time.perf_counter() - started
    engine.close()
    print(f"import: transformers {imported:.1f} s")
    print(f"load: {engine.name} in {loaded:.1f} s (a first load of smollm2-135m also converts it, once)")
    timings = getattr(engine, "timings", None)
    if timings is not None and timings.load_s is not None and timings.warm_up_s is not None:
        warm = "compiling the decode step" if COMPILED_TAG in engine.name else "allocating the cache"
        print(f"      weights {timings.load_s:.1f} s, warm-up {timings.warm_up_s:.1f} s ({warm})")
    return 0


def run_generate(args: argparse.Namespace) -> int:
    settings = settings_from(args, "model")
    options = GenerationOptions(max_new_tokens=args.max_new_tokens, temperature=args.temperature)
    engine = build_engine(settings)
    started = time.perf_counter()
    generation = engine.generate(engine.format_prompt(args.prompt), options)
    try:
        for piece in generation:
            sys.stdout.write(piece)
            sys.stdout.flush()
    except KeyboardInterrupt:
        generation.cancel()
        raise
    finally:
        engine.close()
    elapsed = time.perf_counter() - started
    usage = generation.usage
    sys.stdout.write("\n")
    print(
        f"[{engine.name}: {usage.prompt_tokens} prompt + {usage.completion_tokens} generated tokens "
        f"in {elapsed:.1f} s, {generation.finish_reason}]",
        file=sys.stderr,
    )
    return 0
