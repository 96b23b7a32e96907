"""Choosing and loading models: what cannot work fails at load time, saying what to change."""

from __future__ import annotations

from pathlib import Path

import pytest

from arxivgpt.engine.factory import pick_auto
from arxivgpt.engine.hardware import GIB, Hardware, choose_device
from arxivgpt.engine.loading import choose, load
from arxivgpt.errors import InvalidInput, ModelLoadError
from arxivgpt.settings import Settings

CPU_ONLY = Hardware(
    cuda_name=None, cuda_free_bytes=0, mps=False, ram_available_bytes=16 * GIB, bitsandbytes=True
)
H100 = Hardware("NVIDIA H100", 79 * GIB, mps=False, ram_available_bytes=120 * GIB, bitsandbytes=True)
SMALL_GPU = Hardware("GeForce GTX 1650", 4 * GIB, mps=False, ram_available_bytes=16 * GIB, bitsandbytes=True)
MAC = Hardware(None, 0, mps=True, ram_available_bytes=16 * GIB, bitsandbytes=False)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


@pytest.mark.parametrize(
    ("hardware", "model", "reason"),
    [
        (H100, "vicuna-7b", "NVIDIA H100 has 79.0 GiB free"),
        (CPU_ONLY, "smollm2-135m", "there is no CUDA GPU for vicuna-7b in int8"),
        (
            SMALL_GPU,
            "smollm2-135m",
            "GeForce GTX 1650 has 4.0 GiB free, under the 7.5 needed for vicuna-7b in int8",
        ),
        (MAC, "smollm2-135m", "there is no CUDA GPU"),
        (
            Hardware("NVIDIA A100", 40 * GIB, False, GIB, bitsandbytes=False),
            "smollm2-135m",
            "bitsandbytes is not",
        ),
    ],
)
def test_auto_picks_vicuna_only_where_it_fits(hardware: Hardware, model: str, reason: str) -> None:
    pick = pick_auto(hardware)
    assert pick.model == model
    assert reason in pick.reason


def test_with_the_fast_gpu_path_auto_needs_torchao_not_bitsandbytes() -> None:
    torchao_only = Hardware("NVIDIA H100", 79 * GIB, False, GIB, bitsandbytes=False, torchao=True)
    assert pick_auto(torchao_only, fast_gpu=True).model == "vicuna-7b"
    assert "torchao is not installed" in pick_auto(H100, fast_gpu=True).reason


@pytest.mark.parametrize(
    ("model", "precision", "device", "hardware", "expected"),
    [
        ("vicuna-7b", "auto", "cuda", H100, ("lmsys/vicuna-7b-v1.5", "int8")),
        ("vicuna-7b", "nf4", "cuda", SMALL_GPU, ("lmsys/vicuna-7b-v1.5", "nf4")),
        ("vicuna-13b", "bf16", "cuda", H100, ("lmsys/vicuna-13b-v1.5", "bf16")),
        ("stackllama-7b", "auto", "cuda", H100, ("trl-lib/llama-se-merged", "int8")),
        ("some-org/some-model", "auto", "cpu", CPU_ONLY, ("some-org/some-model", "fp32")),
        ("some-org/some-model", "auto", "cuda", H100, ("some-org/some-model", "bf16")),
        ("some-org/some-model", "auto", "mps", MAC, ("some-org/some-model", "fp16")),
    ],
)
def test_choices(
    settings: Settings, model: str, precision: str, device: str, hardware: Hardware, expected: tuple[str, str]
) -> None:
    choice = choose(model, precision, device, hardware, settings)  # type: ignore[arg-type]
    assert (choice.source, choice.precision) == expected


AMX_CPU = Hardware(None, 0, False, 64 * GIB, bitsandbytes=False, cpu_bf16="AMX")
AVX512_BF16_CPU = Hardware(None, 0, False, 64 * GIB, bitsandbytes=False, cpu_bf16="AVX-512-BF16")
PLAIN_CPU = Hardware(None, 0, False, 64 * GIB, bitsandbytes=False)


@pytest.mark.parametrize(
    ("model", "precision", "hardware", "chosen", "name"),
    [
        ("smollm2-135m", "auto", AMX_CPU, "bf16", "smollm2-135m (cpu, bf16 on AMX)"),
        ("smollm2-135m", "auto", AVX512_BF16_CPU, "bf16", "smollm2-135m (cpu, bf16 on AVX-512-BF16)"),
        ("smollm2-135m", "auto", PLAIN_CPU, "fp32", "smollm2-135m (cpu, fp32, no bf16 on this CPU)"),
        ("smollm2-135m", "fp32", AMX_CPU, "fp32", "smollm2-135m (cpu, fp32)"),  # the reference path
        ("smollm2-135m", "bf16", PLAIN_CPU, "bf16", "smollm2-135m (cpu, bf16, emulated)"),
        ("some-org/some-model", "auto", AMX_CPU, "bf16", "some-org/some-model (cpu, bf16 on AMX)"),
    ],
)
def test_the_cpu_computes_in_bf16_by_default_where_it_has_the_instructions_for_it(
    settings: Settings, model: str, precision: str, hardware: Hardware, chosen: str, name: str
) -> None:
    choice = choose(model, precision, "cpu", hardware, settings)
    assert (choice.precision, choice.name) == (chosen, name)


H100_AO = Hardware(
    "NVIDIA H100", 79 * GIB, False, 120 * GIB, bitsandbytes=True, torchao=True, cuda_capability=(9, 0)
)
H100_NO_AO = Hardware("NVIDIA H100", 79 * GIB, False, 120 * GIB, bitsandbytes=True, cuda_capability=(9, 0))
A100_AO = Hardware(
    "NVIDIA A100", 79 * GIB, False, 120 * GIB, bitsandbytes=True, torchao=True, cuda_capability=(8, 0)
)


@pytest.mark.parametrize(
    ("precision", "changes", "hardware", "expected"),
    [
        # Until a GPU run has measured it, int8 is bitsandbytes' LLM.int8 and nothing is compiled.
        ("auto", {}, H100_AO, ("int8", "bitsandbytes", False, "vicuna-7b (cuda, int8 bitsandbytes)")),
        ("int8", {}, H100, ("int8", "bitsandbytes", False, "vicuna-7b (cuda, int8 bitsandbytes)")),
        (
            "int8",
            {"fast_gpu": True},
            H100_AO,
            ("int8", "torchao", True, "vicuna-7b (cuda, int8 torchao, compiled decode)"),
        ),
        (
            "bnb-int8",
            {"fast_gpu": True},
            H100_AO,
            ("bnb-int8", "bitsandbytes", False, "vicuna-7b (cuda, int8 bitsandbytes)"),
        ),
        ("fp8", {}, H100_AO, ("fp8", "torchao", False, "vicuna-7b (cuda, fp8 torchao)")),
        ("bf16", {"fast_gpu": True}, H100_AO, ("bf16", "", True, "vicuna-7b (cuda, bf16, compiled decode)")),
        (
            "bf16",
            {"fast_gpu": True, "compile_decode": "off"},
            H100_AO,
            ("bf16", "", False, "vicuna-7b (cuda, bf16)"),
        ),
        ("nf4", {"compile_decode": "on"}, H100_AO, ("nf4", "bitsandbytes", False, "vicuna-7b (cuda, nf4)")),
    ],
)
def test_gpu_choices_name_their_quantizer_and_whether_the_decode_step_is_compiled(
    tmp_path: Path,
    precision: str,
    changes: dict[str, object],
    hardware: Hardware,
    expected: tuple[str, str, bool, str],
) -> None:
    settings = Settings(data_dir=tmp_path, **changes)  # type: ignore[arg-type]
    choice = choose("vicuna-7b", precision, "cuda", hardware, settings)
    assert (choice.precision, choice.quantizer, choice.compiled, choice.name) == expected


def test_compiling_on_the_cpu_is_asked_for_not_chosen(tmp_path: Path) -> None:
    auto = choose("smollm2-135m", "auto", "cpu", AMX_CPU, Settings(data_dir=tmp_path, fast_gpu=True))
    assert not auto.compiled
    asked = choose("smollm2-135m", "auto", "cpu", AMX_CPU, Settings(data_dir=tmp_path, compile_decode="on"))
    assert asked.compiled and asked.name == "smollm2-135m (cpu, bf16 on AMX, compiled decode)"


@pytest.mark.parametrize(
    ("model", "precision", "device", "hardware", "error", "message"),
    [
        ("gpt-17", "auto", "cpu", CPU_ONLY, InvalidInput, "unknown model 'gpt-17': expected auto, a preset"),
        ("./missing.gguf", "auto", "cpu", CPU_ONLY, InvalidInput, "no such model file or folder"),
        ("vicuna-7b", "int8", "mps", MAC, ModelLoadError, "needs bitsandbytes"),
        (
            "vicuna-7b",
            "fp16",
            "cuda",
            SMALL_GPU,
            ModelLoadError,
            "needs about 15.1 GiB but cuda has 4.0 GiB free",
        ),
        ("vicuna-7b", "int8", "cuda", SMALL_GPU, ModelLoadError, "use ARXIVGPT_PRECISION=nf4"),
        ("vicuna-13b", "nf4", "cuda", SMALL_GPU, ModelLoadError, "a smaller ARXIVGPT_MODEL"),
        ("vicuna-7b", "fp8", "cuda", A100_AO, ModelLoadError, r"needs a GPU with float8.*NVIDIA A100 has no"),
        ("vicuna-7b", "fp8", "cuda", H100_NO_AO, ModelLoadError, r"fp8 on this device needs torchao: `pip"),
        ("smollm2-135m", "fp8", "cpu", CPU_ONLY, ModelLoadError, r"float8 .* this runs on the cpu; use int8"),
        ("vicuna-7b", "bnb-int8", "mps", MAC, ModelLoadError, "bnb-int8 needs bitsandbytes"),
    ],
)
def test_impossible_combinations_fail_before_loading(
    settings: Settings,
    model: str,
    precision: str,
    device: str,
    hardware: Hardware,
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        choose(model, precision, device, hardware, settings)  # type: ignore[arg-type]


def test_bitsandbytes_on_mps_is_refused(settings: Settings) -> None:
    mac_with_bnb = Hardware(None, 0, mps=True, ram_available_bytes=64 * GIB, bitsandbytes=True)
    with pytest.raises(ModelLoadError, match="does not run on Apple's MPS; use fp16"):
        choose("vicuna-7b", "int8", "mps", mac_with_bnb, settings)


@pytest.mark.parametrize(
    ("requested", "hardware", "device"),
    [("auto", H100, "cuda"), ("auto", MAC, "mps"), ("auto", CPU_ONLY, "cpu"), ("cpu", H100, "cpu")],
)
def test_device_choice(requested: str, hardware: Hardware, device: str) -> None:
    assert choose_device(requested, hardware) == device


@pytest.mark.parametrize(
    ("requested", "message"), [("cuda", "sees no CUDA GPU"), ("mps", "Metal is not available")]
)
def test_a_missing_device_is_refused(requested: str, message: str) -> None:
    with pytest.raises(ModelLoadError, match=message):
        choose_device(requested, CPU_ONLY)


def test_a_hub_model_without_network_says_how_to_get_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # huggingface_hub reads HF_HUB_OFFLINE when first imported; set the constant it checks at call time.
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)
    choice = choose("vicuna-7b", "fp32", "cpu", Hardware(None, 0, False, 64 * GIB, True), settings)
    with pytest.raises(ModelLoadError, match=r"huggingface-cli download lmsys/vicuna-7b-v1\.5") as error:
        load(choice, settings)
    assert "ARXIVGPT_MODEL=smollm2-135m" in str(error.value)


def test_a_broken_gguf_is_reported_and_nothing_is_kept(settings: Settings, tmp_path: Path) -> None:
    broken = tmp_path / "model.gguf"
    broken.write_bytes(b"GGUF" + b"\x00" * 64)
    with pytest.raises(ModelLoadError, match="could not convert"):
        load(choose(str(broken), "auto", "cpu", CPU_ONLY, settings), settings)
    assert not list((settings.data_dir / "models").glob("*"))
