// lib/present.js under Node: what the panel says (model, what was read and why, stages, notes), the action
// each error offers, and the header of a downloaded summary.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  abstractReason,
  errorActions,
  fileStem,
  metaText,
  modelText,
  readText,
  resultNotes,
  stageText,
  startCommand,
  summaryDocument,
} from "../../extension/lib/present.js";

const META = {
  model: "smollm2-135m (cpu, fp32)",
  source: "abstract",
  cached: false,
  paper: { id: "2106.09608", version: 2, source: "abstract" },
};
const DONE = {
  model: "smollm2-135m (cpu, fp32)",
  paper: {
    id: "2106.09608",
    version: 2,
    title: "Learning Knowledge Graph-based World Models of Textual Environments",
    authors: ["Prithviraj Ammanabrolu", "Mark O. Riedl"],
    source: "abstract",
    notes: [
      "arXiv HTML is not available for 2106.09608v2",
      "the PDF is not available for 2106.09608v2",
      "no full text could be had, so this is the abstract only",
    ],
  },
  strategy: { name: "abstract", description: "the abstract only" },
  summary: "## Summary\nIn this paper, we study world models.\n",
  cached: false,
  timings: { total_s: 12.345 },
  finish_reason: "stop",
  unknown_citations: 0,
};

describe("modelText", () => {
  const CASES = [
    ["smollm2-135m (cpu, fp32)", "smollm2-135m on this computer's CPU"],
    ["smollm2-135m (cpu, bf16 on AMX)", "smollm2-135m, 16-bit, on this computer's CPU"],
    ["vicuna-7b (cuda, int8)", "vicuna-7b, 8-bit, on the GPU"],
    ["vicuna-7b (mps, fp16)", "vicuna-7b, 16-bit, on Apple's GPU"],
    ["lmsys/vicuna-7b-v1.5", "lmsys/vicuna-7b-v1.5"],
    ["fake", "fake"],
  ];
  for (const [name, text] of CASES) test(name, () => assert.equal(modelText(name), text));
});

describe("what was read, and why only the abstract", () => {
  test("readText", () => {
    assert.equal(readText({ source: "abstract" }, { description: "the abstract only" }), "the abstract only");
    assert.equal(
      readText({ source: "html" }, { description: "the whole paper (12 sections)" }),
      "the whole paper (12 sections), from arXiv's HTML",
    );
    assert.equal(readText({ source: "pdf" }, null), "the full text, from the PDF");
  });

  test("abstractReason gives the resolver's notes when the full text was asked for", () => {
    assert.equal(
      abstractReason(DONE.paper, "full"),
      "Only the abstract could be read: arXiv HTML is not available for 2106.09608v2; " +
        "the PDF is not available for 2106.09608v2.",
    );
    assert.equal(abstractReason(DONE.paper, "abstract"), "", "asked for the abstract: nothing to explain");
    assert.equal(abstractReason({ ...DONE.paper, source: "html" }, "full"), "");
    assert.equal(
      abstractReason({ source: "abstract", notes: [] }, undefined),
      "Only the abstract could be read: arXiv has no full text for this paper.",
    );
  });
});

describe("metaText", () => {
  test("while writing, done, kept, stopped, failed", () => {
    assert.equal(
      metaText({ meta: META, state: "streaming" }),
      "smollm2-135m on this computer's CPU · reading the abstract only · writing…",
    );
    assert.equal(
      metaText({ meta: META, done: DONE, state: "done", seconds: 12.345 }),
      "smollm2-135m on this computer's CPU · read the abstract only · written just now in 12 s",
    );
    assert.equal(
      metaText({ done: { ...DONE, cached: true }, state: "done", seconds: 0.01 }),
      "smollm2-135m on this computer's CPU · read the abstract only · kept from an earlier run",
    );
    assert.match(metaText({ meta: META, state: "stopped" }), / · stopped$/);
    assert.match(metaText({ meta: META, state: "error" }), / · failed$/);
    assert.equal(metaText({ state: "loading" }), "");
  });

  test("no jargon: no strategy names, section counts or precision codes", () => {
    const text = metaText({ meta: META, done: DONE, state: "done", seconds: 3 });
    assert.doesNotMatch(text, /strategy|sections used|left out|fp32|\(cpu/);
  });
});

describe("resultNotes", () => {
  test("a summary cut at the length limit says so", () => {
    const [note] = resultNotes({ ...DONE, finish_reason: "length" }, { lengthSetting: "normal" });
    assert.match(note, /stopped at the length limit.*Choose a longer length in the options/);
  });
  test("an ignored language and invented citations", () => {
    const notes = resultNotes({
      ...DONE,
      language_note: "asked for Deutsch, but the model wrote English",
      unknown_citations: 2,
    });
    assert.deepEqual(notes, [
      "Language: asked for Deutsch, but the model wrote English. Small models often ignore the language; " +
        "a larger model follows it better.",
      "2 citations the model made up (not in the paper's bibliography) were removed.",
    ]);
  });
  test("nothing to say", () => assert.deepEqual(resultNotes(DONE), []));
});

test("stageText: the backend's progress, else fetching, then fitting", () => {
  assert.equal(stageText(null), "Fetching the paper…");
  assert.equal(stageText(null, { meta: META }), "Fitting the paper to the model…");
  assert.equal(
    stageText({ stage: "reading", message: "reading 3,065 tokens of the paper", tokens: 3065 }),
    "Reading 3,065 tokens of the paper…",
  );
  assert.equal(
    stageText({ stage: "writing", message: "writing part 3 of 5: Questions", part: 3, parts: 5 }),
    "Writing part 3 of 5: Questions…",
  );
});

describe("errors come with the action that fixes them", () => {
  const kinds = (error, context) => errorActions(error, context).map((action) => action.kind);
  test("backend down: the exact command to start it", () => {
    const [start] = errorActions({ code: "backend_unreachable" }, { backendUrl: "http://127.0.0.1:8765" });
    assert.deepEqual(start, { kind: "start", command: "arxivgpt serve" });
  });
  const CASES = [
    [{ code: "template_error" }, {}, ["options", "retry"]],
    [{ code: "unauthorized" }, {}, ["options", "retry"]],
    [{ code: "extraction_error" }, { source: "full" }, ["abstract", "retry"]],
    [{ code: "upstream_unavailable" }, { source: "abstract" }, ["retry"]],
    [
      { code: "invalid_input", message: "… ask with source: abstract (the abstract alone) …" },
      {},
      ["abstract", "retry"],
    ],
    [{ code: "queue_full" }, {}, ["retry"]],
    [{ code: "model_error" }, {}, ["retry"]],
  ];
  for (const [error, context, expected] of CASES) {
    test(`${error.code} (${context.source ?? "full"})`, () =>
      assert.deepEqual(kinds(error, context), expected));
  }
  test("startCommand", () => {
    assert.equal(startCommand("http://127.0.0.1:8765"), "arxivgpt serve");
    assert.equal(startCommand("http://localhost:9000"), "arxivgpt serve --port 9000");
    assert.equal(startCommand("http://127.0.0.1"), "arxivgpt serve --port 80");
    assert.equal(startCommand("not a url"), "arxivgpt serve");
  });
});

describe("the downloaded file", () => {
  test("a header with title, authors, arXiv link and version, model, date and what was read", () => {
    const text = summaryDocument(DONE, { date: new Date("2026-05-04T10:00:00Z"), requestedSource: "full" });
    assert.equal(
      text,
      [
        "# Learning Knowledge Graph-based World Models of Textual Environments",
        "",
        "- Authors: Prithviraj Ammanabrolu, Mark O. Riedl",
        "- arXiv: [2106.09608v2](https://arxiv.org/abs/2106.09608v2)",
        "- Model: smollm2-135m (cpu, fp32)",
        "- Date: 2026-05-04",
        "- Read: the abstract only (arXiv HTML is not available for " +
          "2106.09608v2; the PDF is not available for 2106.09608v2)",
        "",
        "---",
        "",
        "## Summary",
        "In this paper, we study world models.",
        "",
      ].join("\n"),
    );
  });
  test("fileStem", () => {
    assert.equal(fileStem("2106.09608"), "2106.09608");
    assert.equal(fileStem("hep-th/9901001"), "hep-th_9901001");
    assert.equal(fileStem(""), "summary");
  });
});
