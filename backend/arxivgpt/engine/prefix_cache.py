"""The key/value cache of the last prompt, kept so that the next prompt sharing its beginning skips it.

A summary asks one paper several things in turn (one request per part, one per list item), and every prompt
starts with the same few thousand tokens of paper. Prefilling them once and reusing their attention keys and
values is what vLLM and SGLang call prefix caching; here it is one entry, so memory stays bounded by one
context's worth of cache. A regenerate or a follow-up on the same paper hits it too. Where the engine owns a
cache (kv_cache.py's `PreallocatedCache`, or a compiled engine's `StaticCache`), that one cache is cropped,
emptied and reused by every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from transformers import DynamicCache

MIN_REUSE_TOKENS = 32
"""Shorter shared beginnings are prefilled again: cropping and copying would cost more than they save."""


@dataclass
class PrefixHit:
    cache: Any
    """A cache holding the first `reused` tokens of the prompt (or an empty one)."""
    reused: int


class PrefixCache:
    """One (token IDs, cache) pair; used only from the engine's single generate worker thread.

    With `owned` (a transformers `Cache` sized to the context), every request gets that cache, emptied or
    cropped; without, a new `DynamicCache`."""

    def __init__(self, owned: Any = None) -> None:
        self.owned = owned
        self._ids: torch.Tensor | None = None
        self._cache: Any = None
        self.hits = 0
        self.reused_tokens = 0

    def take(self, input_ids: torch.Tensor) -> PrefixHit:
        """A cache for `input_ids` (shape 1 × n): the kept one cropped to the shared beginning, or a new one.

        At least the prompt's last token is always left to compute: `generate` needs its logits.
        """
        cache, kept = self._cache, self._ids
        self._ids, self._cache = None, None  # whatever happens next, the kept entry is now being changed
        if cache is None or kept is None:
            return PrefixHit(self._empty(), 0)
        shared = _shared_length(kept, input_ids[0])
        held = int(cache.get_seq_length())  # a StaticCache says it with a tensor
        reuse = min(shared, int(input_ids.shape[1]) - 1, held)
        if reuse < MIN_REUSE_TOKENS:
            return PrefixHit(self._empty(), 0)
        cache.crop(reuse - held)  # transformers 5 crops by a negative count
        self.hits += 1
        self.reused_tokens += reuse
        return PrefixHit(cache, reuse)

    def keep(self, sequence: torch.Tensor, cache: Any) -> None:
        """After a generation: `cache` holds keys and values for the first tokens of `sequence` (1-D)."""
        length = int(cache.get_seq_length())
        if length <= 0:
            return
        # Prompts arrive as CPU tensors; the sequence comes back on the model's device (a GPU's).
        self._ids, self._cache = sequence[:length].detach().to("cpu", copy=True), cache

    def clear(self) -> None:
        self._ids, self._cache = None, None

    def _empty(self) -> Any:
        if self.owned is None:
            return DynamicCache()
        self.owned.reset()
        return self.owned


def _shared_length(a: torch.Tensor, b: torch.Tensor) -> int:
    n = min(int(a.shape[0]), int(b.shape[0]))
    if n == 0:
        return 0
    different = torch.nonzero(a[:n] != b[:n])
    return int(different[0, 0]) if different.numel() else n
