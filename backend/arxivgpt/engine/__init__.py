"""Step three of the pipeline: a model that turns a prompt into streamed text.

base.py            the Engine interface: format_prompt, count_tokens, generate -> Generation
presets.py         the models we know by name; prompt_formats.py their prompt formats
factory.py         settings -> engine (auto choice, OpenAI-compatible server or local)
loading.py         local models: source, precision, device, checked before loading
hardware.py        CUDA / MPS / CPU and their free memory
convert.py         GGUF -> safetensors, once
local.py           TransformersEngine: streaming, stop strings, cancellation, one request at a time
openai_compat.py   OpenAICompatibleEngine: vLLM, FastChat, llama.cpp, Ollama over SSE
fake.py            FakeEngine for tests of the layers above
"""
