"""Step three of the pipeline: a model that turns a prompt into streamed text.

base.py            the Engine interface: format_prompt, count_tokens, generate -> Generation
presets.py         the models we know by name; prompt_formats.py their prompt formats
factory.py         settings -> engine (auto choice, OpenAI-compatible server or local)
loading.py         local models: source, precision, quantizer, device, checked before loading
background.py      the engine loading on its own thread while the server answers (/healthz says so)
hardware.py        CUDA / MPS / CPU, their free memory, the CPU's bf16 instructions
convert.py         GGUF -> safetensors, once
local.py           TransformersEngine: streaming, stop strings, cancellation, one request at a time
prefix_cache.py    the last prompt's keys and values, reused by the next prompt that starts the same
kv_cache.py        those keys and values in buffers allocated once for the whole context
compiled.py        the GPU's fast path: a static cache and a compiled decode step, falling back to eager
penalty.py         the repetition penalty, over the answer only; stops.py stop strings across pieces
openai_compat.py   OpenAICompatibleEngine: vLLM, FastChat, llama.cpp, Ollama over SSE
fake.py            FakeEngine for tests of the layers above
"""
