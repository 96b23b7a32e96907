"""The extension's JavaScript unit tests (`tests/extension/*.mjs`, e.g. arXiv ID detection on every URL form)
under Node's built-in test runner, so `pytest` runs them too."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from arxivgpt.summary.render import to_html

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


# Markdown as models write summaries, and the corners of the subset: what the panel builds while a summary
# streams must be what the backend's sanitised HTML shows when it is done, or the text would jump.
STREAMED_MARKDOWN = [
    "## Summary\nIn this paper, we study world models of text games [1].\n\n## Key insights\n"
    "1. The **graph** changes as the agent acts.\n2. Actions are *generated* as sets of sequences [2, 3].\n",
    "## Questions\n1. How?\n2. Why\ndoes it work?\n\n## References\n"
    "- [1] A. Vaswani et al. Attention. 2017.\n- [2] K. He. Deep residual learning. CVPR, 2016.\n",
    "- loose\n\n- list\n\nAfter the list, `code` and a [link](https://example.org/a?b=1&c=2).",
    "3. starts at three\n4. four\n\nTitle\n===\n\nSub\n---\n\n> quoted *text*\n> more\n\n***\n",
    "```python\nx = 1 < 2\n\ny = 3\n```\n\n    indented code\n\nA [relative](/abs/1) link, \\[12\\] escaped, "
    "snake_case_name, 2 * 3 * 4, <https://arxiv.org/abs/2106.09608> and a hard  \nbreak.",
    "#### Small heading ####\nText with __strong__ and _em_ and ***both***.",
    '*Em* first, [**bold** link](https://x.org/p) and [t](https://x.org "title").\n\n'
    "+ plus\n+ list\n\n1) one\n2) two",
]

# The real blockElement (lib/markdown.js) on a minimal DOM, printed as HTML.
BUILD_HTML = """
import { parseBlocks, blockElement } from "./extension/lib/markdown.js";
const escape = (t) =>
  t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
class Element {
  constructor(tag) { this.tag = tag; this.attrs = {}; this.children = []; }
  append(...nodes) { this.children.push(...nodes); }
  setAttribute(name, value) { this.attrs[name] = String(value); }
  set textContent(text) { this.children = [{ text }]; }
}
const doc = { createElement: (tag) => new Element(tag), createTextNode: (text) => ({ text }) };
const html = (node) => {
  if (!(node instanceof Element)) return escape(node.text);
  const attrs = Object.entries(node.attrs).map(([k, v]) => ` ${k}="${escape(v)}"`).join("");
  if (node.tag === "br" || node.tag === "hr") return `<${node.tag}${attrs}>`;
  return `<${node.tag}${attrs}>${node.children.map(html).join("")}</${node.tag}>`;
};
const samples = JSON.parse(process.argv[1]);
const build = (text) => parseBlocks(text).map((block) => html(blockElement(doc, block))).join("");
console.log(JSON.stringify(samples.map(build)));
"""


class _Tokens(HTMLParser):
    """An HTML string as (start tag with sorted attributes | end tag | text with whitespace collapsed)."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tokens.append(("start", f"{tag} {sorted(attrs)}"))

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("br", "hr"):
            self.tokens.append(("end", tag))

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text:
            self.tokens.append(("text", text))


def tokens(html: str) -> list[tuple[str, str]]:
    parser = _Tokens()
    parser.feed(html)
    merged: list[tuple[str, str]] = []
    for kind, value in parser.tokens:  # text split by entities or newlines is one text
        if kind == "text" and merged and merged[-1][0] == "text":
            merged[-1] = ("text", f"{merged[-1][1]} {value}")
        else:
            merged.append((kind, value))
    return merged


def test_streamed_markdown_renders_as_the_backend_renders_it() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the extension's Markdown renderer runs under `node`")
    result = subprocess.run(
        [node, "--input-type=module", "-e", BUILD_HTML, json.dumps(STREAMED_MARKDOWN)],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    streamed = json.loads(result.stdout)
    for markdown, html in zip(STREAMED_MARKDOWN, streamed, strict=True):
        assert tokens(html) == tokens(to_html(markdown)), (
            f"{markdown!r}\nstreamed: {html}\ndone: {to_html(markdown)}"
        )
