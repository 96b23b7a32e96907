"""The key/value cache of the last prompt, kept so that the next prompt sharing its beginning skips it.

A summary asks one paper several things in turn (one request per part, one per list item), and every prompt
starts with the same few thousand tokens of paper. Prefilling them once and reusing their attention keys and
values is what vLLM and SGLang call prefix caching; here it is one entry, so memory stays bounded by one
context's worth of cache. A regenerate or a follow-up on the same paper hits it too.
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
    """A `DynamicCache` holding the first `reused` tokens of the prompt (or a fresh, empty one)."""
    reused: int


class PrefixCache:
    """One (token IDs, DynamicCache) pair; used only from the engine's single generate worker thread."""

    def __init__(self) -> None:
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
            return PrefixHit(DynamicCache(), 0)
        shared = _shared_length(kept, input_ids[0])
        reuse = min(shared, int(input_ids.shape[1]) - 1, cache.get_seq_length())
        if reuse < MIN_REUSE_TOKENS:
            return PrefixHit(DynamicCache(), 0)
        cache.crop(reuse - cache.get_seq_length())  # transformers 5 crops by a negative count
        self.hits += 1
        self.reused_tokens += reuse
        return PrefixHit(cache, reuse)

    def keep(self, sequence: torch.Tensor, cache: Any) -> None:
        """After a generation: `cache` holds keys and values for the first tokens of `sequence` (1-D)."""
        length = cache.get_seq_length()
        if length <= 0:
            return
        self._ids, self._cache = sequence[:length].clone(), cache

    def clear(self) -> None:
        self._ids, self._cache = None, None


def _shared_length(a: torch.Tensor, b: torch.Tensor) -> int:
    n = min(int(a.shape[0]), int(b.shape[0]))
    if n == 0:
        return 0
    different = torch.nonzero(a[:n] != b[:n])
    return int(different[0, 0]) if different.numel() else n
