// Asking about a paper, under Node: lib/ask.js (what is wrong with a question, which kept conversation a panel
// shows, chips, notes under an answer, same-document URLs), the question's request body (lib/settings.js) and
// the answer stream (lib/backend.js) against a fake fetch.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  MAX_QUESTION_CHARS,
  answerNotes,
  answerStage,
  chipSource,
  isPassageAddress,
  latestConversation,
  questionCount,
  questionProblem,
  sameDocument,
} from "../../extension/lib/ask.js";
import { streamAnswer, streamSummary } from "../../extension/lib/backend.js";
import { DEFAULTS, MAX_SUMMARY_CHARS, questionRequestBody } from "../../extension/lib/settings.js";

describe("questionProblem", () => {
  const cases = [
    ["", "Type a question about this paper first."],
    ["  \n\t ", "Type a question about this paper first."],
    ["What dataset do they use?", ""],
    ["x".repeat(MAX_QUESTION_CHARS), ""],
    [
      "x".repeat(MAX_QUESTION_CHARS + 1),
      "The question is 2,001 characters long; the backend takes at most 2,000. Shorten it by 1.",
    ],
    [
      "y".repeat(3500),
      "The question is 3,500 characters long; the backend takes at most 2,000. Shorten it by 1,500.",
    ],
  ];
  for (const [question, expected] of cases) {
    test(`${JSON.stringify(question.slice(0, 20))} (${question.length} characters)`, () =>
      assert.equal(questionProblem(question), expected));
  }
  test("the limit is the backend's", () => assert.equal(MAX_QUESTION_CHARS, 2000));
  test("the counter", () => {
    assert.equal(questionCount(""), "0 / 2,000");
    assert.equal(questionCount("x".repeat(2345)), "2,345 / 2,000");
  });
});

describe("latestConversation", () => {
  const info = (id, version) => ({ id, paper: { id: "2501.11120", version }, turn_count: 1 });
  test("nothing kept", () => {
    assert.equal(latestConversation([]), null);
    assert.equal(latestConversation(null), null);
    assert.equal(latestConversation({ error: {} }), null);
  });
  test("the newest of one version (the list is newest first)", () =>
    assert.equal(latestConversation([info("b", 1), info("a", 1)]).id, "b"));
  test("of all versions, the newest one's newest conversation", () =>
    assert.equal(latestConversation([info("old-version", 1), info("v2", 2), info("v2-older", 2)]).id, "v2"));
});

describe("chips and notes", () => {
  test("a chip names its passage and section", () => {
    assert.equal(chipSource({ passage: "p24", section: "Awareness › 3.1.1 Design" }), "p24 · Awareness › 3.1.1 Design");
    assert.equal(chipSource({ passage: "p1", section: "" }), "p1");
  });

  test("a clean answer has no notes", () => {
    assert.deepEqual(answerNotes({ answer: "The rank is 4 [p24].", removed_citations: 0, notes: [] }), []);
  });

  test("cut, removed citations, left-out sentences and the backend's notes", () => {
    const done = {
      answer: "_Only the abstract of this paper could be read, so this answer comes from the abstract alone._\n\nX",
      finish_reason: "length",
      removed_citations: 2,
      dropped_sentences: [{ text: "a", reason: "unsupported" }],
      notes: [
        "Only the abstract of this paper could be read, so this answer comes from the abstract alone.",
        "the 2 oldest earlier turns left out to fit the model's context",
      ],
    };
    assert.deepEqual(answerNotes(done), [
      "The answer stopped at the length limit, so its end may be cut.",
      "2 citations of passages the model was not given were removed.",
      "1 sentence the passages do not support was left out.",
      "The 2 oldest earlier turns left out to fit the model's context.",
    ]);
  });

  test("the stage before and after meta", () => {
    assert.equal(answerStage(null), "Finding the passages that answer it…");
    assert.equal(answerStage({ passages: [{}, {}, {}] }), "Reading the 3 passages that answer it best…");
    assert.equal(answerStage({ passages: [{}] }), "Reading the passage that answers it best…");
    assert.equal(answerStage({ passages: [] }), "Looking for an answer…");
  });
});

describe("sameDocument", () => {
  const cases = [
    ["https://arxiv.org/html/2501.11120v1#S3.SS1.p2", "https://arxiv.org/html/2501.11120v1", true],
    ["https://arxiv.org/html/2501.11120v1/", "https://arxiv.org/html/2501.11120v1#S1", true],
    ["https://arxiv.org/html/2501.11120v1#S1", "https://arxiv.org/html/2501.11120v2#S1", false],
    ["https://arxiv.org/html/2501.11120v1", "https://www.arxiv.org/html/2501.11120v1", false],
    ["https://arxiv.org/abs/2501.11120v1", "https://arxiv.org/html/2501.11120v1", false],
    ["http://127.0.0.1:8000/html/2501.11120v1", "http://127.0.0.1:8000/html/2501.11120v1#S2", true],
    ["https://arxiv.org/pdf/1111.2011v2#page=3", "https://arxiv.org/pdf/1111.2011v2#page=5", true],
    ["chrome://newtab/", "chrome://newtab/", false],
    ["", "https://arxiv.org/html/2501.11120v1", false],
    ["not a url", "not a url", false],
  ];
  for (const [a, b, same] of cases) test(`${a} ~ ${b}`, () => assert.equal(sameDocument(a, b), same));
});

describe("isPassageAddress", () => {
  const cases = [
    ["https://arxiv.org/html/2501.11120v1#S3.SS1.p2", true],
    ["https://www.arxiv.org/pdf/1111.2011v2#page=3", true],
    ["https://ar5iv.labs.arxiv.org/html/2304.02623#S2", true],
    ["https://ar5iv.org/abs/2304.02623", true],
    ["http://127.0.0.1:8000/html/2501.11120v1#S2", true],
    ["https://evil.example/arxiv.org/html/2501.11120v1", false],
    ["https://arxiv.org.evil.example/html/2501.11120v1", false],
    ["https://notarxiv.org/html/2501.11120v1", false],
    ["javascript:alert(1)", false],
    ["file:///etc/passwd", false],
    ["", false],
  ];
  for (const [url, allowed] of cases) test(url || "(empty)", () => assert.equal(isPassageAddress(url), allowed));
});

describe("questionRequestBody", () => {
  const settings = { ...DEFAULTS, model: "smollm2-135m", source: "full" };

  test("a new conversation starts from the summary the reader has seen", () => {
    const body = questionRequestBody("2501.11120v1", settings, { question: "What rank?", summary: "## Summary\nS" });
    assert.deepEqual(body, {
      paper: "2501.11120v1",
      question: "What rank?",
      source: "full",
      stream: true,
      model: "smollm2-135m",
      summary: "## Summary\nS",
    });
  });

  test("a follow-up names its conversation and sends no summary (the backend refuses both)", () => {
    const body = questionRequestBody("2501.11120v1", settings, {
      question: "And GPT-4o?",
      conversationId: "3f9c2a7b1d4e8a60",
      summary: "## Summary\nS",
      source: "abstract",
    });
    assert.equal(body.conversation_id, "3f9c2a7b1d4e8a60");
    assert.equal(body.summary, undefined);
    assert.equal(body.source, "abstract");
  });

  test("no summary, an empty one, or one too long for the backend is left out", () => {
    for (const summary of [undefined, "", "   ", "x".repeat(MAX_SUMMARY_CHARS + 1)]) {
      const body = questionRequestBody("2501.11120", { ...DEFAULTS }, { question: "Q", summary });
      assert.equal("summary" in body, false, String(summary).slice(0, 10));
      assert.equal("model" in body, false);
      assert.equal("conversation_id" in body, false);
    }
  });

  test("the page's template, language and length are a summary's, not a question's", () => {
    const body = questionRequestBody("2501.11120", { ...DEFAULTS, template: "T", length: "long" }, {
      question: "Q",
      language: "Deutsch",
    });
    assert.deepEqual(Object.keys(body).sort(), ["paper", "question", "source", "stream"]);
  });
});

describe("streamAnswer", () => {
  const SETTINGS = { ...DEFAULTS, backendUrl: "http://127.0.0.1:8765" };
  const frames =
    'event: meta\ndata: {"conversation_id":"c1","turn":1,"passages":[]}\n\n' +
    'event: delta\ndata: {"text":"The rank is 4 [p24]."}\n\n' +
    'event: done\ndata: {"answer":"The rank is 4 [p24].","conversation_id":"c1","citations":[]}\n\n';
  const sse = (text) =>
    new Response(text, { status: 200, headers: { "Content-Type": "text/event-stream; charset=utf-8" } });

  test("posts to /v1/questions and passes meta, delta and done on", async () => {
    let seen;
    const events = [];
    await streamAnswer(SETTINGS, { paper: "2501.11120v1", question: "Q", stream: true }, {
      fetchImpl: async (url, init) => {
        seen = { url, body: JSON.parse(init.body), accept: init.headers.Accept };
        return sse(frames);
      },
      onEvent: (type, data) => events.push([type, data]),
    });
    assert.equal(seen.url, "http://127.0.0.1:8765/v1/questions");
    assert.equal(seen.accept, "text/event-stream");
    assert.equal(seen.body.question, "Q");
    assert.deepEqual(events.map(([type]) => type), ["meta", "delta", "done"]);
    assert.equal(events[2][1].conversation_id, "c1");
  });

  test("the backend's JSON error (an unknown conversation) keeps its code and message", async () => {
    const message = "there is no conversation 0123456789abcdef";
    await assert.rejects(
      streamAnswer(SETTINGS, { paper: "x", question: "Q" }, {
        fetchImpl: async () =>
          new Response(JSON.stringify({ error: { code: "not_found", message } }), {
            status: 404,
            headers: { "Content-Type": "application/json" },
          }),
        onEvent: () => {},
      }),
      (error) => error.code === "not_found" && error.message === message && error.status === 404,
    );
  });

  test("a stream that ends early names the answer, a summary's names the summary", async () => {
    const partial = async () => sse('event: delta\ndata: {"text":"x"}\n\n');
    await assert.rejects(
      streamAnswer(SETTINGS, {}, { fetchImpl: partial, onEvent: () => {} }),
      (error) => error.code === "incomplete" && /before the answer was finished/.test(error.message),
    );
    await assert.rejects(
      streamSummary(SETTINGS, {}, { fetchImpl: partial, onEvent: () => {} }),
      (error) => error.code === "incomplete" && /before the summary was finished/.test(error.message),
    );
  });
});
