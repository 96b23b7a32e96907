"""Decode speed of a preset's architecture with random weights, per precision, against the bandwidth ceiling.

    python -m benchmarks.decode --preset vicuna-7b --random-weights [--precisions bf16,int8,int8-t0,nf4]
        [--prompt-tokens 1536] [--new-tokens 256] [--device auto|cuda|cpu] [--layers N]
        [--bandwidth GB/s] [--json PATH] [--seed N]

Per precision it builds the preset's Llama architecture with seeded random weights (no download), times one
forward over the prompt (prefill), then a greedy `model.generate` of exactly --new-tokens tokens;
decode tok/s is (new tokens - 1) / (generate time - prefill time), the first token coming from the prefill.
fp32/bf16/fp16 are built in place; the bitsandbytes modes (int8 = LLM.int8 with threshold 6.0, int8-t0 =
threshold 0.0, nf4) go the real loading path: the random model is saved once as safetensors (fp16 on CUDA,
bf16 on the CPU), then loaded with `from_pretrained(quantization_config=..., device_map=device)` in the
compute dtype `arxivgpt.engine.loading` uses (fp16 on CUDA, fp32 on the CPU). The compiled modes are the
engine's fast path (engine/compiled.py): a static key/value cache sized to the preset's context and the decode
step compiled by transformers (CUDA graphs on CUDA), weights bf16 (bf16-compiled) or quantised by torchao
at load (int8-torchao: int8 weight-only; fp8-torchao: float8 weight-only, Ada/Hopper); their rows add the
first call's time (cold compile, into an empty compile cache) and the same after dynamo forgets its graphs
(warm: what a restart costs, the compile cache on disk). Peak memory is CUDA's max_memory_allocated, or on
the CPU the process's RSS high-water mark (process-wide), both from after loading.

Targets: none to pass or fail yet. The reference points (FACTS.md, H200, Vicuna-7B shape, random weights,
1,536-token prompt, 256 new tokens, plain generate) are bf16 39.2 tok/s, int8 8.0, int8-t0 12.7, nf4 24.9.
The ceiling is memory bandwidth, every token reading all weights once: H200 (4.8 TB/s) ~356 tok/s bf16 and
~690 int8; H100 SXM (3.35 TB/s) ~248 / ~480. "share of bandwidth ceiling" is weight bytes x tok/s over the
card's bandwidth. Real weights (outlier features) make int8 at threshold 6.0 slower still.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import logging
import os
import platform
import re
import resource
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from arxivgpt.engine.compiled import (
    WARM_UP_TOKENS,
    compile_config,
    forget_compiled,
    static_cache,
    torchao_config,
)
from arxivgpt.engine.presets import PRESETS, Precision

GIB = 1024**3
_LLAMA_7B: dict[str, Any] = {
    "hidden_size": 4096,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 32,
    "intermediate_size": 11008,
    "vocab_size": 32000,
}
ARCHITECTURES: dict[str, dict[str, Any]] = {
    "vicuna-7b": {**_LLAMA_7B, "max_position_embeddings": 4096, "rms_norm_eps": 1e-5},  # Llama 2
    "vicuna-7b-v1.3": {**_LLAMA_7B, "max_position_embeddings": 2048, "rms_norm_eps": 1e-6},  # LLaMA 1
    "stackllama-7b": {**_LLAMA_7B, "max_position_embeddings": 2048, "rms_norm_eps": 1e-6},  # LLaMA 1
    "vicuna-13b": {
        **_LLAMA_7B,
        "hidden_size": 5120,
        "num_hidden_layers": 40,
        "num_attention_heads": 40,
        "num_key_value_heads": 40,
        "intermediate_size": 13824,
        "max_position_embeddings": 4096,
        "rms_norm_eps": 1e-5,
    },
    "smollm2-135m": {
        "hidden_size": 576,
        "num_hidden_layers": 30,
        "num_attention_heads": 9,
        "num_key_value_heads": 3,
        "intermediate_size": 1536,
        "vocab_size": 49152,
        "max_position_embeddings": 8192,
        "rms_norm_eps": 1e-5,
        "tie_word_embeddings": True,
        "rope_theta": 100000.0,
    },
}
"""Llama configs of the presets, so a benchmark needs no download (real weights: `arxivgpt generate`)."""


@dataclass(frozen=True)
class Mode:
    precision: Precision
    int8_threshold: float = 6.0
    quantizer: str = ""
    compiled: bool = False

    @property
    def bitsandbytes(self) -> bool:
        return self.quantizer == "bitsandbytes"

    @property
    def package(self) -> str | None:
        return self.quantizer or None


MODES: dict[str, Mode] = {
    "fp32": Mode("fp32"),
    "bf16": Mode("bf16"),
    "fp16": Mode("fp16"),
    "int8": Mode("int8", 6.0, "bitsandbytes"),
    "int8-t0": Mode("int8", 0.0, "bitsandbytes"),
    "nf4": Mode("nf4", quantizer="bitsandbytes"),
    "bf16-compiled": Mode("bf16", compiled=True),
    "int8-torchao": Mode("int8", quantizer="torchao", compiled=True),
    "fp8-torchao": Mode("fp8", quantizer="torchao", compiled=True),
}
DTYPES: dict[Precision, str] = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}
BANDWIDTH: list[tuple[str, float]] = [  # bytes/s by CUDA device name, first match wins
    (r"H200", 4.8e12),
    (r"H100.*PCIe", 2.0e12),
    (r"H100.*NVL", 3.9e12),
    (r"H100", 3.35e12),
    (r"A100.*80\s*GB", 2.0e12),
    (r"A100", 1.555e12),
    (r"\bL4\b", 0.3e12),
    (r"RTX 4090", 1.008e12),
]
REFERENCE = (
    "Reference (FACTS.md; H200, Vicuna-7B shape, random weights, 1,536 prompt + 256 new tokens, plain "
    "generate): bf16 39.2 tok/s, int8 8.0 (threshold 6.0), int8-t0 12.7 (threshold 0), nf4 24.9; "
    "bandwidth ceiling H200 ~356 tok/s bf16 / ~690 int8, H100 ~248 / ~480."
)


@dataclass
class Row:
    model: str
    precision: str
    device: str
    prefill_ms: float | None = None
    decode_tok_s: float | None = None
    peak_memory_bytes: int | None = None
    peak_memory_kind: str = ""
    weight_bytes: int | None = None
    bandwidth_share: float | None = None
    load_s: float | None = None
    generate_s: float | None = None
    compile_s: float | None = None
    """Compiled modes: the first call (warm-up), cold: the compile cache was empty."""
    warm_compile_s: float | None = None
    """Compiled modes: the first call again after dynamo forgot its graphs, the compile cache on disk."""
    skipped: str | None = None
    warnings: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        if self.skipped is not None:
            reason = " ".join(self.skipped.split()).replace("|", "/")[:160]
            return f"| {self.model} | {self.precision} | {self.device} | skipped: {reason} | — | — | — | — |"
        compile_cell = "—"
        if self.compile_s is not None and self.warm_compile_s is not None:
            compile_cell = f"{self.compile_s:.1f} s / {self.warm_compile_s:.1f} s"
        memory = "—"
        if self.peak_memory_bytes is not None and self.weight_bytes is not None:
            memory = f"{self.peak_memory_bytes / GIB:.2f} GiB (weights {self.weight_bytes / GIB:.2f})"
        share = "—" if self.bandwidth_share is None else f"{self.bandwidth_share:.1%}"
        return (
            f"| {self.model} | {self.precision} | {self.device} | {self.prefill_ms:.0f} "
            f"| {self.decode_tok_s:.1f} | {memory} | {share} | {compile_cell} |"
        )


class _Once(logging.Filter):
    """Lets each distinct message through once: bitsandbytes logs its int8 cast warning on every matmul."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        new = message not in self.seen
        self.seen.add(message)
        return new


BNB_MATMUL_LOGGER = "bitsandbytes.autograd._functions"


def weight_bytes(model: Any) -> int:
    """The bytes a decode step reads for the weights: each parameter's storage (for torchao's quantised
    tensors, their int8 or float8 data and scales, which `get_memory_footprint` counts at the bf16 size)."""
    return sum(_stored_bytes(tensor) for tensor in [*model.parameters(), *model.buffers()])


def _stored_bytes(tensor: Any) -> int:
    if hasattr(tensor, "__tensor_flatten__"):  # a tensor subclass: count what it is made of
        names, _ = tensor.__tensor_flatten__()
        return sum(_stored_bytes(getattr(tensor, name)) for name in names)
    return int(tensor.numel() * tensor.element_size())


def bandwidth_of(device_name: str) -> float | None:
    for pattern, bytes_per_second in BANDWIDTH:
        if re.search(pattern, device_name, re.IGNORECASE):
            return bytes_per_second
    return None


def machine(device: str) -> str:
    import torch
    import transformers

    bnb = "not installed"
    if importlib.util.find_spec("bitsandbytes") is not None:
        from importlib.metadata import version

        bnb = version("bitsandbytes")
    if device == "cuda":
        where = f"GPU {torch.cuda.get_device_name(0)}"
    else:
        cpu = platform.processor() or platform.machine()
        try:
            with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
                cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), cpu)
        except OSError:
            pass
        where = f"CPU {cpu}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads"
    return (
        f"Machine: {where}; Python {platform.python_version()}, torch {torch.__version__}, "
        f"transformers {transformers.__version__}, bitsandbytes {bnb}"
    )


class Benchmark:
    def __init__(self, args: argparse.Namespace, device: str, workdir: Path) -> None:
        import torch

        self.args, self.device, self.workdir = args, device, workdir
        self.cuda = device == "cuda"
        self.architecture = dict(ARCHITECTURES[args.preset])
        full_layers = self.architecture["num_hidden_layers"]
        if args.layers:
            self.architecture["num_hidden_layers"] = args.layers
        layers = self.architecture["num_hidden_layers"]
        self.layers = f"{layers}" if layers == full_layers else f"{layers} of {full_layers}"
        self.label = f"{args.preset} ({self.layers})"
        generator = torch.Generator().manual_seed(args.seed)
        self.prompt = torch.randint(
            3, self.architecture["vocab_size"], (1, args.prompt_tokens), generator=generator
        )
        self.checkpoint: Path | None = None
        if args.bandwidth:
            self.bandwidth: float | None = args.bandwidth * 1e9
        else:
            self.bandwidth = bandwidth_of(torch.cuda.get_device_name(0)) if self.cuda else None

    def random_model(self, dtype: Any) -> Any:
        import torch
        from transformers import AutoModelForCausalLM, LlamaConfig

        config = LlamaConfig(**self.architecture, bos_token_id=1, eos_token_id=2, pad_token_id=0)
        torch.manual_seed(self.args.seed)
        with torch.device(self.device), torch.no_grad():  # transformers' init: normal(0, 0.02), norms at 1
            model = AutoModelForCausalLM.from_config(config, dtype=dtype)  # type: ignore[no-untyped-call]
        return model.eval()

    def quantised_model(self, mode: Mode) -> Any:
        import torch
        from transformers import AutoModelForCausalLM, BitsAndBytesConfig

        compute = torch.float16 if self.cuda else torch.float32
        if self.checkpoint is None:  # saved once, shared by int8, int8-t0 and nf4
            model = self.random_model(torch.float16 if self.cuda else torch.bfloat16)
            model.save_pretrained(self.workdir, safe_serialization=True)
            del model
            self.free()
            self.checkpoint = self.workdir
        if mode.quantizer == "torchao":
            quantization: Any = torchao_config(mode.precision)
            return AutoModelForCausalLM.from_pretrained(
                self.checkpoint,
                quantization_config=quantization,
                device_map=self.device,
                dtype=torch.bfloat16,
            )
        if mode.precision == "int8":
            quantization = BitsAndBytesConfig(  # type: ignore[no-untyped-call]
                load_in_8bit=True, llm_int8_threshold=mode.int8_threshold
            )
        else:
            quantization = BitsAndBytesConfig(  # type: ignore[no-untyped-call]
                load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=compute
            )
        return AutoModelForCausalLM.from_pretrained(  # already in eval mode
            self.checkpoint, quantization_config=quantization, device_map=self.device, dtype=compute
        )

    def measure(self, name: str) -> Row:
        import torch

        mode = MODES[name]
        row = Row(self.label, name, self.device)
        if mode.package and importlib.util.find_spec(mode.package) is None:
            row.skipped = f"{mode.package} is not installed (pip install {mode.package})"
            return row
        model = None
        once = _Once()
        logging.getLogger(BNB_MATMUL_LOGGER).addFilter(once)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("default")
                started = time.perf_counter()
                if mode.quantizer:
                    model = self.quantised_model(mode)
                else:
                    model = self.random_model(getattr(torch, DTYPES[mode.precision]))
                row.load_s = time.perf_counter() - started
                self.run(model, row, mode.compiled)
            row.warnings = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
        except torch.cuda.OutOfMemoryError as error:
            row.skipped = f"out of memory ({str(error).splitlines()[0]})"
        except Exception as error:  # a benchmark row, not a crash: say why and go on
            row.skipped = f"{type(error).__name__}: {(str(error).strip().splitlines() or [''])[0]}"
        finally:
            del model
            if mode.compiled:
                torch._dynamo.reset()
            self.free()
            logging.getLogger(BNB_MATMUL_LOGGER).removeFilter(once)
        row.warnings += sorted(f"bitsandbytes log: {message}" for message in once.seen)
        return row

    def run(self, model: Any, row: Row, compiled: bool = False) -> None:
        import torch

        model.generation_config.eos_token_id = None
        model.generation_config.pad_token_id = 0
        prompt = self.prompt.to(model.device)
        new = self.args.new_tokens
        kwargs: dict[str, Any] = {
            "do_sample": False,
            "temperature": None,
            "top_p": None,
            "top_k": None,
            "eos_token_id": None,
            "pad_token_id": 0,
        }
        if compiled:
            kwargs |= self.compiled_kwargs(model, row)
        else:
            kwargs["disable_compile"] = True
        cache = kwargs.get("cache")
        # A compiled step updates the static cache in place, which inference mode forbids inside a graph.
        with torch.no_grad() if compiled else torch.inference_mode():
            if not compiled:
                model.generate(prompt[:, :8], max_new_tokens=2, min_new_tokens=2, **kwargs)  # warm-up
            self.reset_peak()
            prefill, _ = self.timed(lambda: model(prompt, logits_to_keep=1))
            if cache is not None:
                cache.reset()
            generate, output = self.timed(
                lambda: model.generate(
                    prompt,
                    attention_mask=torch.ones_like(prompt),
                    max_new_tokens=new,
                    min_new_tokens=new,
                    **kwargs,
                )
            )
        if output.shape[1] != prompt.shape[1] + new:
            raise RuntimeError(f"generate returned {output.shape[1] - prompt.shape[1]} tokens, not {new}")
        row.prefill_ms, row.generate_s = prefill * 1000, generate
        row.decode_tok_s = (new - 1) / max(generate - prefill, 1e-9)
        row.weight_bytes = weight_bytes(model)
        if self.cuda:
            row.peak_memory_bytes = torch.cuda.max_memory_allocated()
            row.peak_memory_kind = "torch.cuda.max_memory_allocated"
        else:
            row.peak_memory_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            row.peak_memory_kind = "process RSS high-water mark (ru_maxrss, whole process)"
        if self.bandwidth:
            row.bandwidth_share = row.weight_bytes * row.decode_tok_s / self.bandwidth

    def compiled_kwargs(self, model: Any, row: Row) -> dict[str, Any]:
        """The engine's compiled path: its compile settings and a static cache of the preset's whole
        context; the warm-up timed cold, then warm after dynamo forgets its graphs."""
        import torch

        os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(self.workdir / "torch-compile")
        model.generation_config.compile_config = compile_config(self.device)
        cache = static_cache(model, int(self.architecture["max_position_embeddings"]))
        kwargs: dict[str, Any] = {"cache": cache, "disable_compile": False, "pad_token_id": 0}
        prompt = self.prompt[:, :8].to(model.device)

        def warm_up() -> None:
            cache.reset()
            model.generate(prompt, max_new_tokens=WARM_UP_TOKENS, min_new_tokens=WARM_UP_TOKENS,
                           do_sample=False, eos_token_id=None, **kwargs)  # fmt: skip

        with torch.no_grad():
            row.compile_s, _ = self.timed(warm_up)
            forget_compiled(model)
            model.generation_config.compile_config = compile_config(self.device)
            row.warm_compile_s, _ = self.timed(warm_up)
        return kwargs

    def timed(self, action: Callable[[], Any]) -> tuple[float, Any]:
        import torch

        if self.cuda:
            torch.cuda.synchronize()
        started = time.perf_counter()
        output = action()
        if self.cuda:
            torch.cuda.synchronize()
        return time.perf_counter() - started, output

    def reset_peak(self) -> None:
        import torch

        if self.cuda:
            torch.cuda.reset_peak_memory_stats()
            return
        try:  # Linux: "5" resets the peak RSS, so each row's high-water mark starts at its loaded model
            with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
                clear_refs.write("5")
        except OSError:
            pass  # elsewhere the high-water mark covers the whole run so far

    def free(self) -> None:
        import torch

        gc.collect()
        if self.cuda:
            torch.cuda.empty_cache()


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.decode", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--preset", choices=sorted(PRESETS), default="vicuna-7b")
    parser.add_argument(
        "--random-weights",
        action="store_true",
        help="required for now: the preset's architecture with seeded random weights, no download "
        "(real weights are loaded by `arxivgpt generate --model PRESET`)",
    )
    parser.add_argument(
        "--precisions", default="bf16,int8,int8-t0,nf4", help=f"comma-separated: {','.join(MODES)}"
    )
    parser.add_argument("--prompt-tokens", type=int, default=1536, metavar="N")
    parser.add_argument("--new-tokens", type=int, default=256, metavar="N")
    parser.add_argument("--device", choices=("auto", "cuda", "cpu"), default="auto")
    parser.add_argument(
        "--layers", type=int, metavar="N", help="keep only N layers (a 7B shape on a small CPU)"
    )
    parser.add_argument(
        "--bandwidth", type=float, metavar="GB/s", help="memory bandwidth, overriding the table"
    )
    parser.add_argument(
        "--json", type=Path, metavar="PATH", help="also write the rows as JSON (after each row)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.random_weights:
        parser.error("--random-weights is required for now; to try real weights use `arxivgpt generate`")
    args.precisions = [name.strip() for name in args.precisions.split(",") if name.strip()]
    unknown = [name for name in args.precisions if name not in MODES]
    if unknown or not args.precisions:
        parser.error(
            f"unknown precision(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(MODES)}"
        )
    if args.prompt_tokens < 8 or args.new_tokens < 2 or (args.layers is not None and args.layers < 1):
        parser.error("--prompt-tokens must be at least 8, --new-tokens at least 2 and --layers at least 1")
    positions = ARCHITECTURES[args.preset]["max_position_embeddings"]
    if args.prompt_tokens + args.new_tokens > positions:
        parser.error(f"{args.preset} has {positions:,} positions, fewer than prompt + new tokens")
    return args


def main(argv: list[str] | None = None) -> list[Row]:
    args = parse(argv)
    import torch
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    device = "cuda" if args.device == "auto" and torch.cuda.is_available() else args.device
    device = "cpu" if device == "auto" else device
    if device == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda, but PyTorch sees no CUDA GPU")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="decode-benchmark-") as workdir:
        benchmark = Benchmark(args, device, Path(workdir))
        header = (
            f"### Decode, {args.preset} ({benchmark.layers} layers), random weights: "
            f"{args.prompt_tokens:,}-token prompt + {args.new_tokens:,} new tokens, greedy generate, batch 1"
        )
        about = machine(device)
        for name in args.precisions:
            print(f"[decode] {benchmark.label} {name} on {device}...", file=sys.stderr, flush=True)
            rows.append(benchmark.measure(name))
            print(f"[decode] {rows[-1].markdown()}", file=sys.stderr, flush=True)
            if args.json:
                document = {
                    "title": header,
                    "machine": about,
                    "arguments": vars(args) | {"json": str(args.json)},
                }
                args.json.write_text(json.dumps(document | {"rows": [asdict(row) for row in rows]}, indent=2))
    print(header + "\n")
    print(
        "| preset (layers) | precision | device | prefill ms | decode tok/s | peak memory "
        "| share of bandwidth ceiling | compile cold / warm |\n|---|---|---|---:|---:|---:|---:|---:|"
    )
    for row in rows:
        print(row.markdown())
    print(f"\n{about}")
    if device == "cpu":
        print(
            "Peak memory on the CPU is the process's RSS high-water mark (ru_maxrss, reset per row where "
            "Linux allows): process-wide, so it includes Python, torch and the libraries, not only the model."
        )
    bandwidth = (
        f"{benchmark.bandwidth / 1e9:,.0f} GB/s" if benchmark.bandwidth else "unknown (use --bandwidth)"
    )
    print(
        f"Bandwidth used for the ceiling: {bandwidth}; weight bytes are what the parameters and buffers "
        "hold (a quantised tensor's own data and scales)."
    )
    print(REFERENCE)
    notes = sorted({note for row in rows for note in row.warnings})
    if notes:
        print("Warnings seen: " + "; ".join(" ".join(note.split())[:200] for note in notes))
    return rows


if __name__ == "__main__":
    main()
