"""The decode benchmark runs end to end on a tiny random model and says why it skips a mode."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from arxivgpt.engine.presets import PRESETS
from benchmarks import decode

TINY = ["--preset", "smollm2-135m", "--random-weights", "--layers", "2", "--prompt-tokens", "16"]
NUMBER = r"\d+(?:\.\d+)?"


def table_rows(output: str, layers: int = 2) -> dict[str, list[str]]:
    """Precision -> cells of each table row."""
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith(f"| smollm2-135m ({layers} of 30) |"):
            rows[cells[1]] = cells
    return rows


def test_architectures_match_the_presets() -> None:
    assert set(decode.ARCHITECTURES) == set(PRESETS)
    for name, preset in PRESETS.items():
        assert decode.ARCHITECTURES[name]["max_position_embeddings"] == preset.context_length, name


def test_parameter_counts_match_the_presets() -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    for name, preset in PRESETS.items():
        config = transformers.LlamaConfig(**decode.ARCHITECTURES[name])
        with torch.device("meta"):
            model = transformers.AutoModelForCausalLM.from_config(config)
        assert model.num_parameters() == pytest.approx(preset.parameters, rel=0.01), name


@pytest.mark.skipif(importlib.util.find_spec("bitsandbytes") is None, reason="needs bitsandbytes")
def test_fp32_and_int8_on_the_cpu(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    report = tmp_path / "decode.json"
    argv = [*TINY, "--new-tokens", "4", "--precisions", "fp32,int8", "--device", "cpu", "--json", str(report)]
    rows = decode.main(argv)

    output = capsys.readouterr().out
    assert "| preset (layers) | precision | device | prefill ms | decode tok/s |" in output
    table = table_rows(output)
    assert set(table) == {"fp32", "int8"}
    for cells in table.values():
        assert cells[2] == "cpu"
        assert re.fullmatch(NUMBER, cells[3]), cells  # prefill ms
        assert re.fullmatch(NUMBER, cells[4]), cells  # decode tok/s
        assert float(cells[4]) > 0
        assert re.fullmatch(rf"{NUMBER} GiB \(weights {NUMBER}\)", cells[5]), cells
        assert cells[6] == "—"  # no bandwidth ceiling on the CPU
        assert cells[7] == "—"  # nothing compiled
    assert "Machine: CPU" in output
    assert "bf16 39.2 tok/s" in output
    assert [row.skipped for row in rows] == [None, None]
    assert rows[1].weight_bytes is not None
    assert rows[0].weight_bytes is not None
    assert rows[1].weight_bytes < rows[0].weight_bytes  # the int8 layers are smaller
    saved = json.loads(report.read_text())
    assert [row["precision"] for row in saved["rows"]] == ["fp32", "int8"]


def test_a_mode_that_cannot_run_is_skipped_with_a_reason(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("transformers")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "bitsandbytes" else real_find_spec(name, *args),
    )
    rows = decode.main([*TINY, "--new-tokens", "2", "--precisions", "nf4", "--device", "cpu"])

    assert rows[0].skipped == "bitsandbytes is not installed (pip install bitsandbytes)"
    cells = table_rows(capsys.readouterr().out)["nf4"]
    assert cells[3].startswith("skipped: bitsandbytes is not installed")
    assert cells[4:] == ["—", "—", "—", "—"]


@pytest.mark.slow
def test_the_compiled_torchao_path_on_the_cpu(capsys: pytest.CaptureFixture[str]) -> None:
    """The GPU's fast path (torchao int8 weight-only, static cache, compiled step) runs end to end here
    too, so the script a GPU run needs is known to work before a GPU is lent."""
    pytest.importorskip("torchao")
    tiny = [*TINY[:3], "--layers", "1", "--prompt-tokens", "16", "--new-tokens", "4"]
    rows = decode.main([*tiny, "--precisions", "int8-torchao", "--device", "cpu"])
    assert rows[0].skipped is None, rows[0].skipped
    cells = table_rows(capsys.readouterr().out, layers=1)["int8-torchao"]
    assert re.fullmatch(rf"{NUMBER} s / {NUMBER} s", cells[7]), cells
    assert rows[0].compile_s is not None and rows[0].warm_compile_s is not None
    assert rows[0].decode_tok_s is not None and rows[0].decode_tok_s > 0


def test_real_weights_are_not_supported_yet(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        decode.main(["--preset", "vicuna-7b"])
    assert "--random-weights is required" in capsys.readouterr().err


def test_bandwidth_by_device_name() -> None:
    assert decode.bandwidth_of("NVIDIA H200") == 4.8e12
    assert decode.bandwidth_of("NVIDIA H100 80GB HBM3") == 3.35e12
    assert decode.bandwidth_of("NVIDIA A100-SXM4-80GB") == 2.0e12
    assert decode.bandwidth_of("NVIDIA A100-SXM4-40GB") == 1.555e12
    assert decode.bandwidth_of("NVIDIA L4") == 0.3e12
    assert decode.bandwidth_of("NVIDIA L40S") is None
    assert decode.bandwidth_of("NVIDIA GeForce RTX 4090") == 1.008e12
