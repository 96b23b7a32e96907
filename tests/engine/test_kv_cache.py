"""The preallocated key/value cache: written in place, cropped and emptied without reallocating, bounded."""

from __future__ import annotations

import pytest
import torch
from transformers import LlamaConfig, MistralConfig

from arxivgpt.engine.kv_cache import PreallocatedCache, PreallocatedLayer
from arxivgpt.engine.prefix_cache import MIN_REUSE_TOKENS, PrefixCache

HEADS, DIM = 2, 4


def states(tokens: int, start: int = 0) -> torch.Tensor:
    """Keys (or values) whose entries say which position they belong to."""
    positions = torch.arange(start, start + tokens, dtype=torch.float32)
    return positions.view(1, 1, tokens, 1).expand(1, HEADS, tokens, DIM).clone()


def test_tokens_are_written_in_place_and_read_back_as_a_view_of_the_filled_part() -> None:
    layer = PreallocatedLayer(capacity=16)
    keys, values = layer.update(states(5), states(5))
    buffer = keys.data_ptr()
    keys, values = layer.update(states(1, start=5), states(1, start=5))
    assert keys.shape == (1, HEADS, 6, DIM) and layer.get_seq_length() == 6
    assert keys.data_ptr() == buffer  # the same memory: nothing was copied to grow
    assert torch.equal(keys[0, 0, :, 0], torch.arange(6.0)) and torch.equal(values, keys)
    assert layer.get_max_length() == 16


def test_crop_and_reset_move_the_end_and_keep_the_buffers() -> None:
    layer = PreallocatedLayer(capacity=16)
    layer.update(states(10), states(10))
    layer.crop(-4)
    assert layer.get_seq_length() == 6
    keys, _ = layer.update(states(2, start=100), states(2, start=100))
    assert keys[0, 0, :, 0].tolist() == [0, 1, 2, 3, 4, 5, 100, 101]  # written after the kept prefix
    pointer = keys.data_ptr()
    layer.reset()
    assert layer.get_seq_length() == 0
    keys, _ = layer.update(states(3), states(3))
    assert keys.data_ptr() == pointer and keys.shape[2] == 3


def test_more_than_the_capacity_is_refused() -> None:
    layer = PreallocatedLayer(capacity=4)
    layer.update(states(3), states(3))
    with pytest.raises(ValueError, match="holds 4 positions; 5 were asked for"):
        layer.update(states(2), states(2))


def test_a_positive_crop_is_refused() -> None:
    layer = PreallocatedLayer(capacity=4)
    with pytest.raises(ValueError, match="negative"):
        layer.crop(2)


TINY = {"hidden_size": 16, "num_attention_heads": 2, "num_hidden_layers": 3, "intermediate_size": 32}


@pytest.mark.parametrize(
    ("config", "built"),
    [
        (LlamaConfig(**TINY), True),
        (MistralConfig(**TINY, sliding_window=None), True),
        (MistralConfig(**TINY, sliding_window=8), False),  # a sliding window keeps the DynamicCache
    ],
)
def test_only_models_of_plain_full_attention_get_one(config: object, built: bool) -> None:
    cache = PreallocatedCache.for_model(config, capacity=32)
    assert (cache is not None) == built
    if cache is not None:
        assert len(cache.layers) == 3 and cache.allocated_bytes == 0  # allocated on first use


def test_the_prefix_cache_hands_out_its_one_owned_cache_emptied_or_cropped() -> None:
    owned = PreallocatedCache(layers=2, capacity=256)
    prefix = PrefixCache(owned)
    ids = torch.arange(100).view(1, -1)
    first = prefix.take(ids)
    assert first.cache is owned and first.reused == 0
    for index in range(2):
        owned.update(states(100), states(100), index)
    prefix.keep(ids[0], owned)
    longer = torch.cat([ids, torch.tensor([[7, 8, 9]])], dim=1)
    hit = prefix.take(longer)
    assert hit.cache is owned and hit.reused == 100 and owned.get_seq_length() == 100
    prefix.keep(longer[0, :100], owned)
    unrelated = torch.arange(500, 500 + MIN_REUSE_TOKENS + 10).view(1, -1)
    miss = prefix.take(unrelated)
    assert miss.cache is owned and miss.reused == 0 and owned.get_seq_length() == 0
    assert owned.allocated_bytes == 2 * 2 * HEADS * 256 * DIM * 4  # two layers' keys and values, fp32
