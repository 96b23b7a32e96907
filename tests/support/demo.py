"""`make demo`: `arxivgpt paper` against the local mirror of saved arXiv responses (no internet needed)."""

from __future__ import annotations

import os
import sys

from arxivgpt.cli.main import main as arxivgpt
from tests.support.arxiv_mirror import SHARED, ArxivMirror


def main() -> int:
    if not SHARED.is_dir():
        print(
            f"error: the saved arXiv documents are not at {SHARED}; set ARXIVGPT_SHARED_FIXTURES",
            file=sys.stderr,
        )
        return 2
    mirror = ArxivMirror().start()
    os.environ.update(mirror.settings_env())
    os.environ.setdefault("ARXIVGPT_ARXIV_DELAY", "0")
    print(f"# offline demo: arXiv is the local mirror at {mirror.url}", file=sys.stderr)
    try:
        return arxivgpt(["paper", *sys.argv[1:]])
    finally:
        mirror.stop()


if __name__ == "__main__":
    sys.exit(main())
