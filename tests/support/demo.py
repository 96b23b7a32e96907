"""`make demo`: run an `arxivgpt` command with arXiv replaced by the local mirror of saved responses.

python -m tests.support.demo serve                       the API, offline (try the curl lines it prints)
python -m tests.support.demo summarize 2304.02623v1      a streamed summary in the terminal
python -m tests.support.demo paper 2501.11120v1 --json   the structured paper
python -m tests.support.demo ask 2501.11120v1 "What LoRA rank was used?"   a question, answered and quoted
"""

from __future__ import annotations

import os
import sys

from arxivgpt.cli.main import main as arxivgpt
from tests.support.arxiv_mirror import SHARED, ArxivMirror

TRY = """# offline demo: arXiv is a local mirror of saved responses at {mirror}
# papers it has in full: 2501.11120v1 (HTML), 2304.02623v1 and 1111.2011v2 (PDF); others as abstracts
# try, in another terminal:
#   curl -N http://127.0.0.1:{port}/v1/summaries -H 'Content-Type: application/json' \\
#        -d '{{"paper": "2304.02623v1", "stream": true, "max_new_tokens": 300}}'
#   curl -N http://127.0.0.1:{port}/v1/questions -H 'Content-Type: application/json' \\
#        -d '{{"paper": "2501.11120v1", "question": "What LoRA rank was used?", "stream": true}}'
#   curl http://127.0.0.1:{port}/v1/papers/1111.2011v2
"""


def main() -> int:
    if not SHARED.is_dir():
        where = f"the saved arXiv documents are not at {SHARED}"
        print(f"error: {where}; set ARXIVGPT_SHARED_FIXTURES", file=sys.stderr)
        return 2
    args = sys.argv[1:] or ["serve"]
    mirror = ArxivMirror().start()
    os.environ.update(mirror.settings_env())
    os.environ.setdefault("ARXIVGPT_ARXIV_DELAY", "0")
    if args[0] == "serve":
        print(TRY.format(mirror=mirror.url, port=os.environ.get("ARXIVGPT_PORT", "8765")), file=sys.stderr)
    try:
        return arxivgpt(args)
    finally:
        mirror.stop()


if __name__ == "__main__":
    sys.exit(main())
