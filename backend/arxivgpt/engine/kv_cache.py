"""Keys and values written in place into buffers allocated once for the whole context, for every request.

transformers' `DynamicCache` grows by `torch.cat`: every decoded token copies every layer's whole cache (for
SmolLM2-135M in fp32 at 7,600 tokens, about 350 MB per token). Here each layer's buffers hold the model's
whole context from their first use on; a token is written into its slot and attention reads a view of the
filled part. transformers' `StaticCache` writes in place too, but attention then reads every slot of the
context at every step, which on the CPU is slower at short contexts than growing (benchmarks/README.md).
Cropping to a shared prefix, or emptying for a new prompt, only moves the end of the view.

Models whose layers are not all full attention (sliding windows, chunked or linear attention) keep the
`DynamicCache`: `for_model` returns None for them.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer, get_layer_types_and_kwargs


class PreallocatedLayer(DynamicLayer):  # type: ignore[no-untyped-call]
    """One layer's keys and values in buffers of `capacity` positions, allocated on the first `update`."""

    def __init__(self, capacity: int) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.capacity = capacity
        self.length = 0
        self._key_buffer: torch.Tensor | None = None
        self._value_buffer: torch.Tensor | None = None

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        self.device = key_states.device
        batch, heads, _, key_dim = key_states.shape
        wanted = (batch, heads, self.capacity)
        if self._key_buffer is None or self._key_buffer.shape[:3] != wanted:
            self._key_buffer = key_states.new_empty((*wanted, key_dim))
            self._value_buffer = value_states.new_empty((*wanted, value_states.shape[-1]))
        self.is_initialized = True
        self._view(0)

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        assert self._key_buffer is not None and self._value_buffer is not None
        start, end = self.length, self.length + key_states.shape[-2]
        if end > self.capacity:
            raise ValueError(f"the key/value cache holds {self.capacity} positions; {end} were asked for")
        self._key_buffer[:, :, start:end] = key_states
        self._value_buffer[:, :, start:end] = value_states
        self._view(end)
        assert self.keys is not None and self.values is not None
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self.length if self.is_initialized else 0

    def get_max_length(self) -> int:
        return self.capacity

    def crop(self, tokens_to_remove: int) -> None:
        """Keep all but the last `-tokens_to_remove` positions (transformers 5 crops by a negative count)."""
        if tokens_to_remove > 0:
            raise ValueError("crop takes the negative number of positions to remove")
        if self.is_initialized:
            self._view(max(0, self.length + tokens_to_remove))

    def reset(self) -> None:
        """Empty, keeping the buffers for the next prompt."""
        if self.is_initialized:
            self._view(0)

    def batch_repeat_interleave(self, repeats: int) -> None:
        raise NotImplementedError("a preallocated cache holds one sequence (no beam search)")

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        raise NotImplementedError("a preallocated cache holds one sequence (no beam search)")

    def _view(self, length: int) -> None:
        assert self._key_buffer is not None and self._value_buffer is not None
        self.length = length
        self.keys = self._key_buffer[:, :, :length]
        self.values = self._value_buffer[:, :, :length]


class PreallocatedCache(DynamicCache):
    """A cache of `PreallocatedLayer`s; `generate` takes it as it takes a `DynamicCache`."""

    def __init__(self, layers: int, capacity: int) -> None:
        super().__init__()
        self.layers = [PreallocatedLayer(capacity) for _ in range(layers)]

    @classmethod
    def for_model(cls, config: Any, capacity: int) -> PreallocatedCache | None:
        """One for `config`'s decoder, or None where its layers are not all plain full attention."""
        decoder = config.get_text_config(decoder=True)
        try:
            layer_types, _ = get_layer_types_and_kwargs(decoder)
        except (AttributeError, TypeError, ValueError):
            return None
        if not layer_types or any(kind != "full_attention" for kind in layer_types):
            return None
        return cls(len(layer_types), capacity)

    @property
    def allocated_bytes(self) -> int:
        total = 0
        for layer in self.layers:
            for buffer in (getattr(layer, "_key_buffer", None), getattr(layer, "_value_buffer", None)):
                if buffer is not None:
                    total += buffer.numel() * buffer.element_size()
        return total
