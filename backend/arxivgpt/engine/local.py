"""A model loaded in this process with transformers: streaming, stop strings, cancellation, one at a time.

The keys and values of the last prompt are kept (prefix_cache.py), in buffers allocated once for the whole
context (kv_cache.py): a prompt that starts like the previous one, as every part of a summary does, only
computes what is new, and no token copies the cache. A compiled engine (compiled.py) keeps them in a
`StaticCache` instead and decodes with a compiled step; if compiling fails, it says so once and goes on
eagerly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import torch
from transformers import (
    LogitsProcessorList,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    StoppingCriteria,
    StoppingCriteriaList,
    TextIteratorStreamer,
)

from arxivgpt.engine.base import Generation, GenerationOptions, Usage
from arxivgpt.engine.compiled import (
    COMPILED_TAG,
    WARM_UP_MESSAGE,
    WARM_UP_TOKENS,
    compile_config,
    forget_compiled,
    static_cache,
)
from arxivgpt.engine.kv_cache import PreallocatedCache
from arxivgpt.engine.penalty import AnswerRepetitionPenalty
from arxivgpt.engine.prefix_cache import PrefixCache
from arxivgpt.engine.stops import StopScanner
from arxivgpt.errors import InvalidInput, ModelError

log = logging.getLogger(__name__)


@dataclass
class StartupTimings:
    load_s: float | None = None
    """Reading the weights (and quantising them, where a quantizer does that at load)."""
    warm_up_s: float | None = None
    """The first short generation: allocating the cache, and on a compiled engine compiling the step."""


class TransformersEngine:
    """Generation on a loaded `transformers` model. Built once per process; requests queue on a lock."""

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        *,
        name: str,
        context_length: int,
        prompt_format: Callable[[str], str] | None = None,
        eos_token_id: int | None = None,
        repetition_penalty: float = 1.0,
        compiled: bool = False,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.name = name
        self.context_length = context_length
        self._prompt_format = prompt_format
        self._repetition_penalty = repetition_penalty
        self._eos_token_id = (
            eos_token_id if eos_token_id is not None else model.generation_config.eos_token_id
        )
        # One long-lived worker runs every `generate`, so requests take turns. A thread per request would also
        # start a fresh OpenMP pool each time, which cost ~15% of CPU decoding speed in benchmarks/engine.py.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="generate")
        self.timings = StartupTimings()
        self.compiled = compiled
        if compiled:
            model.generation_config.compile_config = compile_config(model.device.type)
            self.prefix_cache = PrefixCache(static_cache(model, context_length))
        else:
            self.prefix_cache = PrefixCache(PreallocatedCache.for_model(model.config, context_length))

    def warm_up(self) -> None:
        """One short generation on the worker thread, before the first request: it allocates the cache and,
        on a compiled engine, compiles the decode step (falling back to eager if that fails)."""
        started = time.perf_counter()
        prompt = self.encode(self.format_prompt(WARM_UP_MESSAGE))
        generation = Generation(pieces=iter(()), usage=Usage(prompt_tokens=int(prompt.shape[1])))
        options = GenerationOptions(max_new_tokens=WARM_UP_TOKENS)
        run = _Run(self, prompt, options, generation, extra={"min_new_tokens": WARM_UP_TOKENS})
        generation.pieces = run.pieces()
        generation.text()
        self.prefix_cache.clear()
        self.timings.warm_up_s = time.perf_counter() - started
        if self.compiled:
            log.info("%s: compiled the decode step in %.1f s", self.name, self.timings.warm_up_s)

    def fall_back_to_eager(self, error: BaseException) -> None:
        """After a compile failure: one log line, then eager decoding with the preallocated cache."""
        cause = getattr(error, "inner_exception", None) or error  # dynamo wraps the compiler's own error
        reason = (str(cause).strip().splitlines() or [""])[0][:300]
        log.warning(
            "compiling the decode step of %s failed (%s: %s); decoding without compile from now on",
            self.name, type(cause).__name__, reason,
        )  # fmt: skip
        forget_compiled(self.model)
        self.compiled = False
        self.name = self.name.replace(COMPILED_TAG, "")
        self.prefix_cache = PrefixCache(PreallocatedCache.for_model(self.model.config, self.context_length))

    def format_prompt(self, message: str) -> str:
        if self._prompt_format is not None:
            return self._prompt_format(message)
        if not getattr(self.tokenizer, "chat_template", None):
            return message
        messages = [{"role": "user", "content": message}]
        formatted = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return str(formatted)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def prompt_tokens(self, prompt: str) -> int:
        return int(self.encode(prompt).shape[1])

    def encode(self, prompt: str) -> Any:
        """Token IDs for a formatted prompt, with BOS where the model expects it and the prompt lacks it."""
        bos = self.tokenizer.bos_token
        add_special = not (bos and prompt.startswith(bos))
        return self.tokenizer(prompt, return_tensors="pt", add_special_tokens=add_special)["input_ids"]

    def generate(self, prompt: str, options: GenerationOptions) -> Generation:
        input_ids = self.encode(prompt)
        prompt_tokens = int(input_ids.shape[1])
        if prompt_tokens + options.max_new_tokens > self.context_length:
            raise InvalidInput(
                f"the prompt is {prompt_tokens:,} tokens and {options.max_new_tokens:,} more were asked for, "
                f"but {self.name} has a context of {self.context_length:,}; shorten the prompt or lower "
                "max_new_tokens"
            )
        generation = Generation(pieces=iter(()), usage=Usage(prompt_tokens=prompt_tokens))
        generation.pieces = self._stream(input_ids, options, generation)
        return generation

    def _stream(self, input_ids: Any, options: GenerationOptions, generation: Generation) -> Iterator[str]:
        yield from _Run(self, input_ids, options, generation).pieces()

    def repetition_penalty(self, options: GenerationOptions) -> float:
        return options.repetition_penalty or self._repetition_penalty

    def generate_kwargs(self, options: GenerationOptions, prompt_tokens: int = 0) -> dict[str, Any]:
        """What `model.generate` is called with (also used by the overhead benchmark)."""
        kwargs: dict[str, Any] = {
            "max_new_tokens": options.max_new_tokens,
            "eos_token_id": self._eos_token_id,
            "pad_token_id": self.tokenizer.pad_token_id or self._eos_token_id,
        }
        penalty = self.repetition_penalty(options)
        if penalty != 1.0:
            kwargs["logits_processor"] = LogitsProcessorList(
                [AnswerRepetitionPenalty(penalty, prompt_tokens)]
            )
        if options.temperature > 0:
            kwargs.update(do_sample=True, temperature=options.temperature, top_p=options.top_p)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        return kwargs

    def close(self) -> None:
        self._worker.shutdown(wait=False, cancel_futures=True)


class _Run:
    """One `model.generate` on the engine's worker thread, read through a token-counting streamer."""

    def __init__(
        self,
        engine: TransformersEngine,
        input_ids: Any,
        options: GenerationOptions,
        generation: Generation,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.engine, self.options, self.generation = engine, options, generation
        self.halt = threading.Event()
        self.error: BaseException | None = None
        self.streamer = _CountingStreamer(engine.tokenizer)
        halt, cancelled = self.halt, generation.cancel_event

        class Halt(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
                return halt.is_set() or cancelled.is_set()

        self.kwargs = engine.generate_kwargs(options, prompt_tokens=int(input_ids.shape[1]))
        self.kwargs.update(streamer=self.streamer, stopping_criteria=StoppingCriteriaList([Halt()]))
        self.kwargs.update(extra or {})
        self.input_ids = input_ids

    def _work(self) -> None:
        try:
            try:
                self._generate(self.input_ids, self.kwargs)
            except Exception as error:
                if not self.engine.compiled:
                    raise
                self.engine.fall_back_to_eager(error)
                self._go_on_eagerly()
        except BaseException as error:  # handed to the reading thread, which re-raises it
            self.error = error
        finally:
            self.streamer.end_once()

    def _generate(self, input_ids: Any, kwargs: dict[str, Any]) -> None:
        model: Any = self.engine.model
        if self.options.seed is not None:
            torch.manual_seed(self.options.seed)
        hit = self.engine.prefix_cache.take(input_ids)
        self.generation.usage.cached_tokens = hit.reused
        # A compiled step updates the static cache in place, which inference mode forbids from inside a graph.
        with torch.no_grad() if self.engine.compiled else torch.inference_mode():
            output = model.generate(
                input_ids.to(model.device),
                attention_mask=torch.ones_like(input_ids).to(model.device),
                cache=hit.cache,
                return_dict_in_generate=True,
                disable_compile=not self.engine.compiled,
                **kwargs,
            )
        self.engine.prefix_cache.keep(output.sequences[0], output.cache)

    def _go_on_eagerly(self) -> None:
        """After a compiled step failed: generate the rest from the prompt and the tokens already streamed
        (the first token comes from the eager prefill, so compiling fails after it)."""
        done = self.streamer.token_ids
        left = int(self.kwargs["max_new_tokens"]) - len(done)
        if left <= 0:
            return
        kwargs = {**self.kwargs, "max_new_tokens": left}
        if "min_new_tokens" in kwargs:
            kwargs["min_new_tokens"] = max(0, int(kwargs["min_new_tokens"]) - len(done))
        input_ids = torch.cat([self.input_ids, torch.tensor([done], dtype=self.input_ids.dtype)], dim=1)
        self.streamer.next_tokens_are_prompt = True  # the streamer skips the prompt it is handed again
        self._generate(input_ids, kwargs)

    def pieces(self) -> Iterator[str]:
        scanner = StopScanner(self.options.stop)
        done = self.engine._worker.submit(self._work)
        try:
            for text in self.streamer:
                if self.generation.cancelled:
                    break
                safe = scanner.feed(text)
                if safe:
                    yield safe
                if scanner.stopped:
                    break
            if not scanner.stopped and not self.generation.cancelled:
                tail = scanner.flush()
                if tail:
                    yield tail
        finally:
            self.halt.set()
            done.result()
            self._finish(scanner.stopped)

    def _finish(self, stop_string: bool) -> None:
        self.generation.usage.completion_tokens = self.streamer.generated_tokens
        if self.error is not None:
            raise ModelError(f"{self.engine.name} failed while generating: {self.error}") from self.error
        if self.generation.cancelled:
            self.generation.finish_reason = "cancelled"
        elif stop_string or self.streamer.generated_tokens < self.options.max_new_tokens:
            self.generation.finish_reason = "stop"
        else:
            self.generation.finish_reason = "length"


class _CountingStreamer(TextIteratorStreamer):
    """transformers' iterator streamer that also counts generated tokens and ends exactly once."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase) -> None:
        super().__init__(tokenizer, skip_prompt=True, skip_special_tokens=True)
        self.token_ids: list[int] = []
        self._ended = False

    @property
    def generated_tokens(self) -> int:
        return len(self.token_ids)

    def put(self, value: Any) -> None:
        if not self.next_tokens_are_prompt:
            self.token_ids.extend(int(token) for token in value.reshape(-1).tolist())
        super().put(value)

    def end(self) -> None:
        self._ended = True
        super().end()

    def end_once(self) -> None:
        if not self._ended:
            self.end()
