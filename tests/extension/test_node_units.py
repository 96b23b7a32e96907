"""The extension's JavaScript unit tests (`tests/extension/*.mjs`, e.g. arXiv ID detection on every URL form)
under Node's built-in test runner, so `pytest` runs them too."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def test_node_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip(
            "Node.js is not installed: the extension's unit tests (tests/extension/*.mjs) need `node --test`"
        )
    # Named explicitly: Node 20 only discovers files named like `*.test.mjs` or `test-*.mjs` in a folder.
    files = sorted(str(path.relative_to(REPO)) for path in HERE.glob("*.mjs"))
    assert files, f"no Node unit tests (*.mjs) in {HERE}"
    result = subprocess.run(
        [node, "--test", *files], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    passed = re.search(r"^# pass (\d+)$", result.stdout, re.MULTILINE)
    assert passed and int(passed[1]) > 0, output
