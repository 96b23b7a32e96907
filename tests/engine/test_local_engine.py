"""The local engine with a real model: SmolLM2-135M-Instruct, offline, greedy, on the CPU."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import torch

from arxivgpt.engine.base import GenerationOptions
from arxivgpt.engine.hardware import detect
from arxivgpt.engine.loading import choose, load, smollm2_gguf
from arxivgpt.engine.local import TransformersEngine
from arxivgpt.engine.penalty import AnswerRepetitionPenalty
from arxivgpt.errors import InvalidInput
from arxivgpt.settings import Settings

pytestmark = pytest.mark.slow

QUESTION = "Summarize in one sentence: reinforcement learning from human feedback aligns language models."
GREEDY = GenerationOptions(max_new_tokens=24)


def one_shot(engine: TransformersEngine, prompt: str, options: GenerationOptions) -> tuple[str, int]:
    """`model.generate` called directly: the reference the streaming path must reproduce."""
    input_ids = engine.encode(prompt)
    with torch.inference_mode():
        kwargs = engine.generate_kwargs(options, prompt_tokens=int(input_ids.shape[1]))
        output = engine.model.generate(input_ids, attention_mask=torch.ones_like(input_ids), **kwargs)
    generated = output[0][input_ids.shape[1] :]
    return engine.tokenizer.decode(generated, skip_special_tokens=True), int(generated.shape[0])


def test_the_smollm2_chat_template(smollm2: TransformersEngine) -> None:
    assert smollm2.format_prompt("Hi") == (
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )
    assert smollm2.context_length == 8192
    assert smollm2.name == "smollm2-135m (cpu, fp32)"


def test_streaming_equals_one_shot_generation(smollm2: TransformersEngine) -> None:
    prompt = smollm2.format_prompt(QUESTION)
    generation = smollm2.generate(prompt, GREEDY)
    pieces = list(generation)
    expected, generated_tokens = one_shot(smollm2, prompt, GREEDY)
    assert len(pieces) > 3
    assert "".join(pieces) == expected
    assert expected.strip()
    assert generation.usage.prompt_tokens == smollm2.encode(prompt).shape[1]
    assert generation.usage.completion_tokens == generated_tokens
    assert generation.finish_reason in ("stop", "length")


def _penalty(engine: TransformersEngine, options: GenerationOptions) -> AnswerRepetitionPenalty | None:
    processors = engine.generate_kwargs(options, prompt_tokens=7).get("logits_processor", [])
    found = [p for p in processors if isinstance(p, AnswerRepetitionPenalty)]
    return found[0] if found else None


def test_the_preset_repetition_penalty_applies_to_the_answer_unless_overridden(
    smollm2: TransformersEngine,
) -> None:
    preset = _penalty(smollm2, GenerationOptions())
    assert preset is not None and (preset.penalty, preset.prompt_tokens) == (1.15, 7)
    overridden = _penalty(smollm2, GenerationOptions(repetition_penalty=1.3))
    assert overridden is not None and overridden.penalty == 1.3
    assert _penalty(smollm2, GenerationOptions(repetition_penalty=1.0)) is None
    assert "repetition_penalty" not in smollm2.generate_kwargs(GenerationOptions())  # never over the prompt


def test_a_prompt_sharing_the_last_ones_beginning_reuses_its_cache_and_gives_the_same_text(
    smollm2: TransformersEngine,
) -> None:
    paper = " ".join(["Reinforcement learning from human feedback aligns language models."] * 30)
    first = smollm2.format_prompt(f"{paper}\n\nSummarize in one sentence.")
    second = smollm2.format_prompt(f"{paper}\n\nAsk one question about it.")
    smollm2.prefix_cache.clear()
    smollm2.generate(first, GREEDY).text()
    reused = smollm2.generate(second, GREEDY)
    text = reused.text()
    shared = smollm2.prompt_tokens(smollm2.format_prompt(paper)) - 8  # at least the paper, less the join
    assert reused.usage.cached_tokens >= shared
    expected, _ = one_shot(smollm2, second, GREEDY)
    assert text == expected  # the cache changes the cost, not the answer


def test_every_request_writes_into_the_one_cache_allocated_for_the_whole_context(
    smollm2: TransformersEngine,
) -> None:
    owned = smollm2.prefix_cache.owned
    assert owned is not None
    smollm2.prefix_cache.clear()
    smollm2.generate(smollm2.format_prompt(QUESTION), GREEDY).text()
    pointer, allocated = owned.layers[0].keys.data_ptr(), owned.allocated_bytes
    smollm2.generate(smollm2.format_prompt("Name one prime number."), GREEDY).text()  # shares no prefix
    assert owned.layers[0].keys.data_ptr() == pointer and owned.allocated_bytes == allocated
    config = smollm2.model.config
    head_dim = config.hidden_size // config.num_attention_heads
    per_layer = 2 * config.num_key_value_heads * smollm2.context_length * head_dim * 4  # keys, values; fp32
    assert allocated == config.num_hidden_layers * per_layer


def test_max_new_tokens_ends_with_length(smollm2: TransformersEngine) -> None:
    generation = smollm2.generate(smollm2.format_prompt(QUESTION), GenerationOptions(max_new_tokens=5))
    generation.text()
    assert (generation.usage.completion_tokens, generation.finish_reason) == (5, "length")


def test_stop_strings_end_the_text_before_them(smollm2: TransformersEngine) -> None:
    prompt = smollm2.format_prompt(QUESTION)
    full, _ = one_shot(smollm2, prompt, GREEDY)
    stop = full.split()[3]
    generation = smollm2.generate(prompt, GenerationOptions(max_new_tokens=24, stop=(stop,)))
    assert generation.text() == full[: full.index(stop)]
    assert generation.finish_reason == "stop"
    assert generation.usage.completion_tokens < 24


def assert_cancel_stops_within_a_token(engine: TransformersEngine) -> None:
    """Two pieces read, then cancel: nothing more comes, and the model is free again at once."""
    prompt = engine.format_prompt("Write a long story about a dragon.")
    generation = engine.generate(prompt, GenerationOptions(max_new_tokens=200))
    pieces = iter(generation)
    seen = [next(pieces), next(pieces)]
    generation.cancel()
    assert list(pieces) == []
    assert generation.finish_reason == "cancelled"
    # Each piece is at least one token; generation may have run one token past the cancel.
    assert generation.usage.completion_tokens <= len("".join(seen).split()) * 4 + 2
    started = time.perf_counter()
    assert engine.generate(prompt, GenerationOptions(max_new_tokens=2)).text()
    assert time.perf_counter() - started < 10


def test_cancel_stops_within_a_token_and_frees_the_model(smollm2: TransformersEngine) -> None:
    assert_cancel_stops_within_a_token(smollm2)


def test_abandoning_a_generation_releases_the_model(smollm2: TransformersEngine) -> None:
    prompt = smollm2.format_prompt(QUESTION)
    generation = smollm2.generate(prompt, GenerationOptions(max_new_tokens=100))
    next(iter(generation))
    generation.pieces.close()  # type: ignore[attr-defined]  # what a dropped HTTP stream does
    assert smollm2.generate(prompt, GenerationOptions(max_new_tokens=2)).text()


def test_generations_run_one_at_a_time(smollm2: TransformersEngine) -> None:
    prompt = smollm2.format_prompt(QUESTION)
    spans: list[tuple[float, float]] = []

    def run() -> None:
        generation = smollm2.generate(prompt, GenerationOptions(max_new_tokens=8))
        pieces = iter(generation)
        next(pieces)
        first = time.perf_counter()
        list(pieces)
        spans.append((first, time.perf_counter()))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = sorted(spans)
    assert first[1] <= second[0], "the second generation streamed while the first was still running"


def test_a_prompt_longer_than_the_context_is_refused(smollm2: TransformersEngine) -> None:
    with pytest.raises(
        InvalidInput, match=r"has a context of 8,192; shorten the prompt or lower max_new_tokens"
    ):
        smollm2.generate("word " * 8200, GenerationOptions(max_new_tokens=10))


def test_count_tokens_uses_the_models_tokenizer(smollm2: TransformersEngine) -> None:
    assert smollm2.count_tokens("") == 0
    assert smollm2.count_tokens("hello world") == len(smollm2.tokenizer("hello world")["input_ids"])
    assert smollm2.count_tokens("The Bethe lattice " * 50) > 100


def test_sampling_with_a_seed_is_repeatable(smollm2: TransformersEngine) -> None:
    prompt = smollm2.format_prompt("Name a colour.")
    options = GenerationOptions(max_new_tokens=8, temperature=0.9, seed=7)
    assert smollm2.generate(prompt, options).text() == smollm2.generate(prompt, options).text()


def test_the_converted_copy_is_reused(model_data_dir: Path, smollm2: TransformersEngine) -> None:
    settings = Settings(model="smollm2-135m", data_dir=model_data_dir)
    started = time.perf_counter()
    engine = load(choose("smollm2-135m", "auto", "cpu", detect(), settings), settings)
    assert time.perf_counter() - started < 10  # no second conversion (that takes 20-35 s)
    assert engine.generate(engine.format_prompt("Hi"), GenerationOptions(max_new_tokens=3)).text()
    assert smollm2_gguf().is_file()


def test_int8_loads_and_generates_on_the_cpu(model_data_dir: Path, smollm2: TransformersEngine) -> None:
    settings = Settings(model="smollm2-135m", precision="int8", data_dir=model_data_dir)
    engine = load(choose("smollm2-135m", "int8", "cpu", detect(), settings), settings)
    assert engine.name == "smollm2-135m (cpu, int8 bitsandbytes)"
    assert engine.model.get_memory_footprint() < smollm2.model.get_memory_footprint() / 2
    assert engine.generate(engine.format_prompt(QUESTION), GenerationOptions(max_new_tokens=6)).text().strip()


ROUNDING_MARGIN = 0.5
"""How far apart (in logits) the reference's top two tokens may be where bf16 picks the other one: bf16
keeps 8 bits of mantissa, so near-ties can flip; a confident choice cannot."""
DIVERGENCE_PROMPTS = [
    QUESTION,
    "List three uses of graph neural networks in chemistry.",
    "What does a key/value cache store in a transformer, and why?",
]


def greedy_ids(engine: TransformersEngine, prompt: str, tokens: int) -> list[int]:
    input_ids = engine.encode(prompt)
    with torch.inference_mode():
        kwargs = engine.generate_kwargs(GenerationOptions(max_new_tokens=tokens, repetition_penalty=1.0))
        output = engine.model.generate(input_ids, attention_mask=torch.ones_like(input_ids), **kwargs)
    return [int(t) for t in output[0][input_ids.shape[1] :]]


@pytest.fixture(scope="module")
def bf16(model_data_dir: Path) -> TransformersEngine:
    settings = Settings(model="smollm2-135m", data_dir=model_data_dir)
    engine: TransformersEngine = load(choose("smollm2-135m", "bf16", "cpu", detect(), settings), settings)
    return engine


@pytest.mark.parametrize("message", DIVERGENCE_PROMPTS)
def test_bf16_writes_the_reference_text_or_leaves_it_only_at_a_near_tie(
    smollm2: TransformersEngine, bf16: TransformersEngine, message: str
) -> None:
    prompt = smollm2.format_prompt(message)
    reference, fast = greedy_ids(smollm2, prompt, 24), greedy_ids(bf16, prompt, 24)
    options = GenerationOptions(max_new_tokens=24, repetition_penalty=1.0)
    assert bf16.generate(prompt, options).text() == bf16.tokenizer.decode(fast, skip_special_tokens=True)
    if reference == fast:
        return
    first = next(i for i, (a, b) in enumerate(zip(reference, fast, strict=False)) if a != b)
    context = torch.cat([smollm2.encode(prompt), torch.tensor([reference[:first]], dtype=torch.long)], dim=1)
    with torch.inference_mode():
        logits = smollm2.model(context).logits[0, -1]
    margin = float(logits[reference[first]] - logits[fast[first]])
    assert 0 <= margin < ROUNDING_MARGIN, f"bf16 left the reference at token {first} by {margin:.2f} logits"


@pytest.mark.gpu
def test_int8_on_a_gpu(model_data_dir: Path) -> None:
    settings = Settings(model="smollm2-135m", precision="int8", device="cuda", data_dir=model_data_dir)
    engine = load(choose("smollm2-135m", "int8", "cuda", detect(), settings), settings)
    assert engine.generate(engine.format_prompt(QUESTION), GenerationOptions(max_new_tokens=8)).text().strip()
