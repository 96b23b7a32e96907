// lib/markdown.js under Node: the block and inline parsers that render a summary while it streams (the DOM
// part runs in Chromium: test_browser.py; that it renders what markdown-it renders: test_node_units.py).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { isWebUrl, parseBlocks, parseInline } from "../../extension/lib/markdown.js";

const shape = (blocks) => blocks.map(({ source, marker, ...block }) => block);

describe("parseBlocks", () => {
  const CASES = [
    [
      "## Summary\nIn this paper, we study X.",
      [
        { type: "heading", level: 2, text: "Summary" },
        { type: "paragraph", text: "In this paper, we study X." },
      ],
    ],
    [
      "## Key insights\n1. One.\n2. Two\ncontinued.\n",
      [
        { type: "heading", level: 2, text: "Key insights" },
        { type: "list", ordered: true, start: 1, loose: false, items: ["One.", "Two\ncontinued."] },
      ],
    ],
    ["- a\n\n- b", [{ type: "list", ordered: false, start: 1, loose: true, items: ["a", "b"] }]],
    [
      "3. three\n4. four",
      [{ type: "list", ordered: true, start: 3, loose: false, items: ["three", "four"] }],
    ],
    [
      "- a\n1. b",
      [
        { type: "list", ordered: false, start: 1, loose: false, items: ["a"] },
        { type: "list", ordered: true, start: 1, loose: false, items: ["b"] },
      ],
    ],
    ["The year\n2023. was good", [{ type: "paragraph", text: "The year\n2023. was good" }]],
    [
      "Title\n===\ntext",
      [
        { type: "heading", level: 1, text: "Title" },
        { type: "paragraph", text: "text" },
      ],
    ],
    ["Sub\n---", [{ type: "heading", level: 2, text: "Sub" }]],
    ["a\n\n---\n\nb", [{ type: "paragraph", text: "a" }, { type: "rule" }, { type: "paragraph", text: "b" }]],
    [
      "```py\nx = 1\n\ny = 2\n```\nafter",
      [
        { type: "code", text: "x = 1\n\ny = 2" },
        { type: "paragraph", text: "after" },
      ],
    ],
    ["```\nstill streaming", [{ type: "code", text: "still streaming" }]],
    ["> quoted\n> more\nlazy", [{ type: "quote", text: "quoted\nmore\nlazy" }]],
    ["#hashtag is text", [{ type: "paragraph", text: "#hashtag is text" }]],
    ["### Closing hashes ###", [{ type: "heading", level: 3, text: "Closing hashes" }]],
    ["", []],
    ["\n\n  \n", []],
  ];
  for (const [markdown, expected] of CASES) {
    test(JSON.stringify(markdown), () => assert.deepEqual(shape(parseBlocks(markdown)), expected));
  }

  test("each block keeps its source lines, so an unchanged block is not rebuilt", () => {
    const blocks = parseBlocks("## A\ntext\n\n- x\n- y");
    assert.deepEqual(
      blocks.map((block) => block.source),
      ["## A", "text", "- x\n- y"],
    );
  });

  test("while streaming only the last block changes", () => {
    const before = parseBlocks("## Summary\nIn this paper, we").map((block) => block.source);
    const after = parseBlocks("## Summary\nIn this paper, we study.\n\n## Key").map((block) => block.source);
    assert.equal(before[0], after[0]);
    assert.notEqual(before[1], after[1]);
  });
});

describe("parseInline", () => {
  const CASES = [
    ["plain [12] text", ["plain [12] text"]],
    [
      "a **bold** and *em* and _em_",
      [
        "a ",
        { type: "strong", children: ["bold"] },
        " and ",
        { type: "em", children: ["em"] },
        " and ",
        { type: "em", children: ["em"] },
      ],
    ],
    ["`code *not em*`", [{ type: "code", text: "code *not em*" }]],
    [
      "[arXiv](https://arxiv.org/abs/2106.09608)",
      [{ type: "link", href: "https://arxiv.org/abs/2106.09608", children: ["arXiv"] }],
    ],
    [
      '[t](https://example.org "title")',
      [{ type: "link", href: "https://example.org", children: ["t"], title: "title" }],
    ],
    ["[relative](/abs/1) stays text", ["relative", " stays text"]],
    ["[mail](mailto:a@b.org)", ["mail"]],
    ["[bad](javascript:alert(1))", ["bad"]],
    [
      "<https://example.org/a>",
      [{ type: "link", href: "https://example.org/a", children: ["https://example.org/a"] }],
    ],
    ["\\[12\\] escaped", ["[12] escaped"]],
    ["line  \nbreak", ["line", { type: "break" }, "break"]],
    ["soft\nbreak", ["soft break"]],
    ["snake_case_word", ["snake_case_word"]],
    ["2 * 3 * 4", ["2 * 3 * 4"]],
    ["**unfinished", ["**unfinished"]],
    ["***both***", [{ type: "em", children: [{ type: "strong", children: ["both"] }] }]],
  ];
  for (const [markdown, expected] of CASES) {
    test(JSON.stringify(markdown), () => assert.deepEqual(parseInline(markdown), expected));
  }
});

test("isWebUrl: absolute http(s) with a host only", () => {
  for (const good of ["https://arxiv.org", "http://example.org/a?b#c", " https://x.org "])
    assert.ok(isWebUrl(good), good);
  for (const bad of [
    "/abs/1",
    "#top",
    "mailto:a@b.org",
    "javascript:alert(1)",
    "https:///x",
    "ftp://x.org",
    "",
  ]) {
    assert.ok(!isWebUrl(bad), bad);
  }
});
