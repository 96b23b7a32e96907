"""What the CLI's log shows: its own progress, other libraries' warnings, not their import-time noise."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from arxivgpt.cli.main import IMPORT_NOISE, configure_logging


@pytest.fixture(autouse=True)
def restore_levels() -> Iterator[None]:
    names = ("arxivgpt", "transformers", *IMPORT_NOISE)
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.parametrize(
    ("verbose", "logger", "level", "shown"),
    [
        (False, "arxivgpt.api.app", logging.INFO, True),
        (False, "arxivgpt.api.app", logging.DEBUG, False),
        (True, "arxivgpt.api.app", logging.DEBUG, True),
        (False, "transformers.modeling_utils", logging.WARNING, True),
        (False, "torchao", logging.WARNING, False),
        (False, "torchao.kernel.intmm", logging.WARNING, False),
        (False, "torch.utils._pytree", logging.WARNING, False),
        (False, "torchao", logging.ERROR, True),
        (True, "torchao", logging.WARNING, True),
    ],
)
def test_what_the_log_shows(verbose: bool, logger: str, level: int, shown: bool) -> None:
    configure_logging(verbose)
    assert logging.getLogger(logger).isEnabledFor(level) is shown
