"""All configuration, read once from the environment (prefix `ARXIVGPT_`) and nowhere else."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

UNPACKED_EXTENSION_ID = "elgnihdbcmmknokcfiepgmoinhfepoff"


def _default_data_dir() -> Path:
    return Path(platformdirs.user_cache_dir("arxivgpt", appauthor=False))


class Settings(BaseSettings):
    """Every knob the backend has. `Settings()` reads the environment; tests pass values directly."""

    model_config = SettingsConfigDict(env_prefix="ARXIVGPT_", extra="ignore")

    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    """arXiv's query API (Atom)."""
    arxiv_url: str = "https://arxiv.org"
    """arXiv's web site: `/abs/`, `/html/` and `/pdf/` are fetched beneath it."""
    ar5iv_url: str = "https://ar5iv.labs.arxiv.org"
    """ar5iv, LaTeXML HTML for papers older than arXiv's own HTML."""
    arxiv_delay: float = Field(default=3.0, ge=0.0)
    """Seconds between two requests to arXiv, across the whole process (arXiv's terms ask for 3)."""
    arxiv_retries: int = Field(default=3, ge=0, le=10)
    """Retries after a 429, 503, timeout or connection error, before giving up."""
    arxiv_timeout: float = Field(default=30.0, gt=0.0)
    """Seconds to wait for arXiv to connect or send the next bytes."""
    arxiv_max_backoff: float = Field(default=60.0, ge=0.0)
    """Longest single wait before a retry, even if arXiv's Retry-After asks for more."""
    max_pdf_bytes: int = Field(default=60_000_000, gt=0)
    """PDFs larger than this are not downloaded."""
    latest_version_ttl: float = Field(default=24 * 3600.0, ge=0.0)
    """Seconds a cached "latest version" of an unversioned ID is trusted before arXiv is asked again."""
    data_dir: Path = Field(default_factory=_default_data_dir)
    """Cache database and converted models live here."""

    model: str = "auto"
    """A preset (`arxivgpt models` lists them), a Hugging Face model ID, a local model folder or a .gguf file;
    `auto` takes vicuna-7b in 8-bit where a CUDA GPU has room for it, otherwise smollm2-135m."""
    precision: Literal["auto", "int8", "bnb-int8", "fp8", "nf4", "bf16", "fp16", "fp32"] = "auto"
    """`auto` is the preset's own (int8 for the 7B and 13B presets, the mission's 8-bit) on a GPU, and bf16 on
    a CPU with AMX or AVX-512-BF16 (fp32 elsewhere). `bnb-int8` is bitsandbytes' LLM.int8 whatever
    ARXIVGPT_FAST_GPU says; `fp8` is torchao's float8 weight-only, on GPUs that have float8 (Ada, Hopper)."""
    fast_gpu: bool = False
    """On a CUDA GPU, `int8` becomes torchao's int8 weight-only with a static key/value cache and a compiled
    decode step (bf16, fp16 and fp8 get the compiled step too). Off until a GPU run here has measured it;
    off, `int8` is bitsandbytes' LLM.int8 (benchmarks/README.md)."""
    compile_decode: Literal["auto", "on", "off"] = "auto"
    """The decode step compiled over a static key/value cache: `auto` where ARXIVGPT_FAST_GPU puts the model
    on a CUDA GPU; `on` on any device (on the CPU it measured slower than eager); `off` never."""
    device: Literal["auto", "cuda", "mps", "cpu"] = "auto"
    int8_threshold: float = Field(default=6.0, ge=0.0)
    """bitsandbytes' outlier threshold for int8; 0 skips the outlier path (faster, slightly less exact)."""
    stackllama_path: Path | None = None
    """A local, already merged StackLLaMA checkpoint to use instead of base + LoRA adapter."""
    openai_base_url: str | None = None
    """An OpenAI-compatible server (vLLM, FastChat, llama.cpp, Ollama): generation goes there, not local."""
    openai_model: str | None = None
    """The model name the server knows; defaults to ARXIVGPT_MODEL when that is not a preset."""
    openai_api_key: str | None = None
    openai_api: Literal["completions", "chat"] = "completions"
    """`completions` sends the prompt in our preset's format; `chat` leaves formatting to the server."""
    openai_timeout: float = Field(default=120.0, gt=0.0)

    language: str = Field(default="English", min_length=1, max_length=40)
    """The language summaries are written in (`English`, `中文`, `Deutsch`, ...)."""
    max_new_tokens: int = Field(default=768, ge=16, le=8192)
    """Summary length limit; what is left of the context window after it holds the paper."""
    ask_max_new_tokens: int = Field(default=256, ge=16, le=2048)
    """An answer's length limit (questions about a paper)."""
    ask_passage_tokens: int = Field(default=1500, ge=64, le=100_000)
    """At most this many tokens of the paper's passages go with a question (less where the context is
    smaller): the best-ranked ones. More is slower to read and, for a small model, easier to get lost in."""
    host: str = "127.0.0.1"
    """Where `arxivgpt serve` listens; anything but loopback requires ARXIVGPT_API_TOKEN."""
    port: int = Field(default=8765, ge=1, le=65535)
    api_token: str | None = None
    """Bearer token the API demands (required when it listens beyond loopback)."""
    max_queue: int = Field(default=4, ge=0, le=1000)
    """Summaries that may wait for the model while one runs; more get HTTP 429."""
    extension_id: str = Field(default=UNPACKED_EXTENSION_ID, pattern=r"^[a-p]{32}(,[a-p]{32})*$")
    """The Chrome extension IDs whose `chrome-extension://` origin may call the API, comma-separated. The
    default is the ID the `key` in extension/manifest.json gives the unpacked extension."""

    @field_validator("arxiv_api_url", "arxiv_url", "ar5iv_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"expected an http(s) URL, got {value!r}")
        return value.rstrip("/")

    @property
    def cache_path(self) -> Path:
        return self.data_dir / "cache.sqlite3"

    @property
    def extension_origins(self) -> frozenset[str]:
        """The `Origin` values of the extensions allowed to call the API."""
        return frozenset(f"chrome-extension://{ext}" for ext in self.extension_id.split(","))

    @property
    def arxiv_hosts(self) -> frozenset[str]:
        """The only hosts this process ever fetches from: those of the configured arXiv URLs."""
        urls = (self.arxiv_api_url, self.arxiv_url, self.ar5iv_url)
        return frozenset(urlsplit(url).hostname or "" for url in urls)
