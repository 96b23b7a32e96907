// Unit tests of the extension's pure modules under Node's test runner (Node 20, no packages):
//   node --test tests/extension/*.mjs
// lib/ids.js (every arXiv URL form), lib/sse.js (event-stream parsing), lib/settings.js (merge, quota, request
// body, lengths), lib/backend.js (the summary stream against a fake fetch). What the panel says is tested in
// test_present.mjs, the Markdown it renders in test_markdown.mjs.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { BackendError, streamSummary, requestJson, unreachableMessage } from "../../extension/lib/backend.js";
import { formatId, isArxivHost, matchArxivId, paperIdFromUrl, parseArxivId } from "../../extension/lib/ids.js";
import {
  DEFAULTS,
  LENGTHS,
  QuotaError,
  SYNC_QUOTA_BYTES_PER_ITEM,
  itemBytes,
  loadSettings,
  mergeSettings,
  normalizeBackendUrl,
  oversizedItems,
  quotaMessage,
  saveSettings,
  storageText,
  amount,
  summaryRequestBody,
} from "../../extension/lib/settings.js";
import { SseParser, readSse } from "../../extension/lib/sse.js";

// --- lib/ids.js ---------------------------------------------------------------------------------------------

const PAPER_URLS = [
  ["https://arxiv.org/abs/2303.17580", "2303.17580", null],
  ["https://arxiv.org/abs/2303.17580v2", "2303.17580", 2],
  ["https://arxiv.org/abs/2303.17580v12", "2303.17580", 12],
  ["https://arxiv.org/abs/2303.17580/", "2303.17580", null],
  ["https://arxiv.org/abs/2303.17580?context=cs", "2303.17580", null],
  ["https://arxiv.org/pdf/2303.17580", "2303.17580", null],
  ["https://arxiv.org/pdf/2303.17580.pdf", "2303.17580", null],
  ["https://arxiv.org/pdf/2303.17580v2", "2303.17580", 2],
  ["https://arxiv.org/pdf/2303.17580v2.pdf", "2303.17580", 2],
  ["https://arxiv.org/html/2303.17580", "2303.17580", null],
  ["https://arxiv.org/html/2303.17580v1", "2303.17580", 1],
  ["https://arxiv.org/html/2303.17580v1#S3", "2303.17580", 1],
  ["https://arxiv.org/html/2303.17580v1/", "2303.17580", 1],
  ["https://arxiv.org/html/2303.17580v1/x1.png", "2303.17580", 1],
  ["https://arxiv.org/format/2303.17580", "2303.17580", null],
  ["https://export.arxiv.org/abs/2303.17580", "2303.17580", null],
  ["https://www.arxiv.org/abs/2303.17580v3", "2303.17580", 3],
  ["http://arxiv.org/abs/2303.17580", "2303.17580", null],
  ["HTTPS://ARXIV.ORG/abs/2303.17580", "2303.17580", null],
  ["https://arxiv.org:443/abs/2303.17580", "2303.17580", null],
  ["https://ar5iv.labs.arxiv.org/html/1910.06709", "1910.06709", null],
  ["https://ar5iv.labs.arxiv.org/html/1910.06709v2", "1910.06709", 2],
  ["https://ar5iv.org/abs/1910.06709", "1910.06709", null],
  ["https://arxiv.org/abs/0704.0001", "0704.0001", null],
  ["https://arxiv.org/abs/1412.8765v1", "1412.8765", 1],
  ["https://arxiv.org/abs/1501.00001", "1501.00001", null],
  ["https://arxiv.org/abs/2106.09608", "2106.09608", null],
  // old style: archive/YYMMNNN, with or without the subject class, version or .pdf
  ["https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001", null],
  ["https://arxiv.org/abs/hep-th/9901001v1", "hep-th/9901001", 1],
  ["https://arxiv.org/abs/math.GT/0309136", "math/0309136", null],
  ["https://arxiv.org/abs/math.GT/0309136v2", "math/0309136", 2],
  ["https://arxiv.org/pdf/solv-int/9901001v2", "solv-int/9901001", 2],
  ["https://arxiv.org/pdf/solv-int/9901001v2.pdf", "solv-int/9901001", 2],
  ["https://arxiv.org/abs/astro-ph/0601001", "astro-ph/0601001", null],
  ["https://arxiv.org/abs/quant-ph/0201082v1", "quant-ph/0201082", 1],
  ["https://arxiv.org/abs/q-bio/0703001", "q-bio/0703001", null],
  ["https://arxiv.org/abs/cs/9108001", "cs/9108001", null],
];

const NOT_PAPERS = [
  // listings, search, other arXiv pages
  "https://arxiv.org/",
  "https://arxiv.org/abs/",
  "https://arxiv.org/list/cs.AI/recent",
  "https://arxiv.org/list/hep-th/9901",
  "https://arxiv.org/search/?query=transformers&searchtype=all",
  "https://arxiv.org/search/cs?query=2303.17580",
  "https://arxiv.org/a/ammanabrolu_p_1",
  "https://arxiv.org/help/api",
  "https://arxiv.org/abs/2303.17580/../list", // the browser resolves it to /abs/list, as a tab would show it
  "https://arxiv.org/abs/hep-th%2F9901001", // not decoded, as in the backend
  "https://arxiv.org/list/2303.17580",
  "https://arxiv.org/2303.17580",
  "https://info.arxiv.org/help/2303.17580",
  // other hosts, whatever the path says
  "https://evil.example/abs/2303.17580",
  "https://arxiv.org.evil.example/abs/2303.17580",
  "https://evilarxiv.org/abs/2303.17580",
  "https://arxiv.org@evil.example/abs/2303.17580",
  "https://notar5iv.org/html/2303.17580",
  "ftp://arxiv.org/abs/2303.17580",
  "file:///abs/2303.17580",
  "javascript:alert(1)//arxiv.org/abs/2303.17580",
  "chrome-extension://abcdef/abs/2303.17580",
  // malformed identifiers
  "https://arxiv.org/abs/2313.17580",
  "https://arxiv.org/abs/2300.17580",
  "https://arxiv.org/abs/1412.12345",
  "https://arxiv.org/abs/1501.1234",
  "https://arxiv.org/abs/0703.0001",
  "https://arxiv.org/abs/2303.1758",
  "https://arxiv.org/abs/2303.175801",
  "https://arxiv.org/abs/2303.17580v0",
  "https://arxiv.org/abs/2303.17580v",
  "https://arxiv.org/abs/2303.17580v2v3",
  "https://arxiv.org/abs/hep-th/9901001a",
  "https://arxiv.org/abs/hep-th/990100",
  "https://arxiv.org/abs/hep-th/0801001",
  "https://arxiv.org/abs/hep-th/9013001",
  "https://arxiv.org/abs/foo-bar/9901001",
  "https://arxiv.org/abs/HEP-TH/9901001",
  // not URLs at all
  "",
  "2303.17580",
  "not a url",
];

describe("paperIdFromUrl", () => {
  for (const [url, id, version] of PAPER_URLS) {
    test(`${url} -> ${formatId({ id, version })}`, () => {
      assert.deepEqual(paperIdFromUrl(url), { id, version });
    });
  }
  for (const url of NOT_PAPERS) {
    test(`${url || "(empty)"} -> null`, () => {
      assert.equal(paperIdFromUrl(url), null);
    });
  }
  test("takes URL objects", () => {
    const url = new URL("https://arxiv.org/abs/2303.17580v2");
    assert.deepEqual(paperIdFromUrl(url), { id: "2303.17580", version: 2 });
  });
  test("survives garbage", () => {
    for (const junk of [null, undefined, 42, {}, "http://", "https://[::1/abs/2303.17580"]) {
      assert.equal(paperIdFromUrl(junk), null);
    }
  });
});

describe("parseArxivId", () => {
  const cases = [
    ["2303.17580", "2303.17580"],
    ["  2303.17580v2 ", "2303.17580v2"],
    ["arXiv:2303.17580", "2303.17580"],
    ["ARXIV: 2303.17580v1", "2303.17580v1"],
    ["hep-th/9901001", "hep-th/9901001"],
    ["math.GT/0309136", "math/0309136"],
    ["arxiv.org/abs/2303.17580v2", "2303.17580v2"],
    ["https://arxiv.org/pdf/2303.17580v2.pdf", "2303.17580v2"],
  ];
  for (const [text, expected] of cases) {
    test(`${text} -> ${expected}`, () => assert.equal(formatId(parseArxivId(text)), expected));
  }
  for (const text of ["", "   ", "2313.17580", "evil.example/abs/2303.17580", "hello", null]) {
    test(`${JSON.stringify(text)} -> null`, () => assert.equal(parseArxivId(text), null));
  }
});

describe("IDs are ASCII (NFKC first, as in the backend)", () => {
  const becomeAscii = [
    ["２１０４.１２２５５", "2104.12255"],
    ["２１０４．１２２５５ｖ２", "2104.12255v2"],
    ["ａｒＸｉｖ：２１０４.１２２５５", "2104.12255"],
    ["hep-th／9901001", "hep-th/9901001"],
    ["https://arxiv.org/abs/２１０４.１２２５５", "2104.12255"],
    ["2104.12255", "2104.12255"],
  ];
  for (const [text, expected] of becomeAscii) {
    test(`${text} -> ${expected}`, () => assert.equal(formatId(parseArxivId(text)), expected));
  }
  test("a full-width URL string is the same paper", () => {
    assert.deepEqual(paperIdFromUrl("https://arxiv.org/abs/２１０４.１２２５５ｖ３"), { id: "2104.12255", version: 3 });
  });
  for (const text of ["٢١٠٤.١٢٢٥٥", "2104.١٢٢٥٥", "२१०४.१२२५५", "2104.12255v٢", "hep‐th/9901001"]) {
    test(`${text} -> null`, () => {
      assert.equal(parseArxivId(text), null);
      assert.equal(matchArxivId(text), null);
    });
  }
});

describe("ids helpers", () => {
  test("formatId", () => {
    assert.equal(formatId({ id: "2303.17580", version: 2 }), "2303.17580v2");
    assert.equal(formatId({ id: "2303.17580", version: null }), "2303.17580");
    assert.equal(formatId({ id: "hep-th/9901001", version: 1 }), "hep-th/9901001v1");
    assert.equal(formatId(null), "");
  });
  test("matchArxivId needs the whole text", () => {
    assert.deepEqual(matchArxivId("0704.0001v1"), { id: "0704.0001", version: 1 });
    assert.equal(matchArxivId("x2303.17580"), null);
    assert.equal(matchArxivId("2303.17580 "), null);
  });
  test("isArxivHost", () => {
    for (const host of ["arxiv.org", "www.arxiv.org", "export.arxiv.org", "ar5iv.labs.arxiv.org", "ar5iv.org"]) {
      assert.ok(isArxivHost(host), host);
    }
    for (const host of ["arxiv.org.evil.example", "evilarxiv.org", "arxiv.com", "org", ""]) {
      assert.ok(!isArxivHost(host), host);
    }
  });
});

// --- lib/sse.js ---------------------------------------------------------------------------------------------

function parseAll(chunks) {
  const parser = new SseParser();
  const events = chunks.flatMap((chunk) => parser.push(chunk));
  return [...events, ...parser.end()];
}

const FRAMES =
  'event: meta\ndata: {"model":"m","cached":false}\n\n' +
  'event: delta\ndata: {"text":"Hello"}\n\n' +
  'event: delta\ndata: {"text":" wörld 🌍"}\n\n' +
  'event: done\ndata: {"summary":"Hello wörld 🌍"}\n\n';
const EXPECTED = [
  { event: "meta", data: '{"model":"m","cached":false}' },
  { event: "delta", data: '{"text":"Hello"}' },
  { event: "delta", data: '{"text":" wörld 🌍"}' },
  { event: "done", data: '{"summary":"Hello wörld 🌍"}' },
];

describe("SseParser", () => {
  test("whole frames", () => assert.deepEqual(parseAll([FRAMES]), EXPECTED));

  test("frames split at every position", () => {
    for (let i = 0; i <= FRAMES.length; i += 1) {
      assert.deepEqual(parseAll([FRAMES.slice(0, i), FRAMES.slice(i)]), EXPECTED, `split at ${i}`);
    }
  });

  test("one character at a time", () => assert.deepEqual(parseAll([...FRAMES]), EXPECTED));

  test("CRLF line endings, also split between CR and LF", () => {
    const crlf = FRAMES.replaceAll("\n", "\r\n");
    assert.deepEqual(parseAll([crlf]), EXPECTED);
    for (let i = 0; i <= crlf.length; i += 1) {
      assert.deepEqual(parseAll([crlf.slice(0, i), crlf.slice(i)]), EXPECTED, `split at ${i}`);
    }
  });

  test("bare CR line endings", () => assert.deepEqual(parseAll([FRAMES.replaceAll("\n", "\r")]), EXPECTED));

  test("multi-line data, comments, default event type, no space after the colon, BOM", () => {
    const text = "\ufeff: keep-alive\n\ndata:first\ndata: second\n\nevent:delta\ndata\n\nid: 7\nretry: 10\n\n";
    assert.deepEqual(parseAll([text]), [
      { event: "message", data: "first\nsecond" },
      { event: "delta", data: "" },
    ]);
  });

  test("only the first space after the colon goes", () => {
    assert.deepEqual(parseAll(["data:  two spaces\n\n"]), [{ event: "message", data: " two spaces" }]);
  });

  test("an unfinished event at the end is dropped; the event type does not leak into the next event", () => {
    assert.deepEqual(parseAll(["event: error\n\ndata: x\n\n", "event: delta\ndata: cut"]), [
      { event: "message", data: "x" },
    ]);
  });
});

function byteStream(chunks) {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

describe("readSse", () => {
  test("decodes UTF-8 split inside a character", async () => {
    const bytes = new TextEncoder().encode(FRAMES);
    const chunks = [];
    for (let i = 0; i < bytes.length; i += 3) chunks.push(bytes.slice(i, i + 3));
    const events = [];
    for await (const event of readSse(byteStream(chunks))) events.push(event);
    assert.deepEqual(events, EXPECTED);
  });

  test("stopping early cancels the stream", async () => {
    let cancelled = false;
    const stream = new ReadableStream({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('event: delta\ndata: {"text":"x"}\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const event of readSse(stream)) {
      assert.equal(event.event, "delta");
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.ok(cancelled);
  });
});

// --- lib/settings.js ----------------------------------------------------------------------------------------

describe("settings", () => {
  test("defaults", () => {
    assert.equal(DEFAULTS.backendUrl, "http://127.0.0.1:8765");
    assert.equal(DEFAULTS.template, "");
    assert.equal(DEFAULTS.source, "full");
    assert.equal(DEFAULTS.language, "English");
    assert.equal(DEFAULTS.model, "");
    assert.equal(DEFAULTS.length, "normal");
    assert.equal(SYNC_QUOTA_BYTES_PER_ITEM, 8192);
  });

  test("mergeSettings keeps known keys of the right type", () => {
    const merged = mergeSettings(
      { backendUrl: "http://localhost:9000", source: "abstract", language: 3, extra: "x" },
      { apiToken: "t" },
    );
    const expected = { backendUrl: "http://localhost:9000", source: "abstract", apiToken: "t" };
    assert.deepEqual(merged, { ...DEFAULTS, ...expected });
    assert.equal(mergeSettings({ source: "everything" }).source, "full");
    assert.equal(mergeSettings({ length: "huge" }).length, "normal");
    assert.equal(mergeSettings({ length: "short" }).length, "short");
    assert.deepEqual(mergeSettings(undefined), DEFAULTS);
  });

  test("itemBytes counts the key and the JSON value in UTF-8", () => {
    assert.equal(itemBytes("template", ""), "template".length + 2);
    assert.equal(itemBytes("template", "a\nb"), "template".length + '"a\\nb"'.length);
    assert.equal(itemBytes("language", "中文"), "language".length + 2 + 6);
  });

  test("oversizedItems and the message", () => {
    const fits = "x".repeat(8192 - "template".length - 2);
    assert.deepEqual(oversizedItems({ template: fits }), []);
    const tooLarge = `${fits}y`;
    const [item] = oversizedItems({ template: tooLarge, language: "English" });
    assert.deepEqual(item, { key: "template", bytes: 8193 });
    assert.equal(
      quotaMessage(item),
      "The template is 8.0 KB, but Chrome keeps (and syncs to your other computers) at most 8 KB for one " +
        "setting: shorten it by 1 byte.",
    );
  });

  test("storage use in plain words", () => {
    const template = "This template";
    assert.equal(storageText(template, 1300), "This template takes 1.3 KB of the 8 KB Chrome keeps for it (16%).");
    assert.equal(storageText(template, 30), "This template takes 30 bytes of the 8 KB Chrome keeps for it (1%).");
    assert.match(storageText(template, 9300), /^This template is 9\.1 KB, but .* shorten it by 1\.1 KB\.$/);
    assert.deepEqual(
      [amount(8192), amount(12288), amount(20000), amount(1), amount(0)],
      ["8 KB", "12 KB", "20 KB", "1 byte", "0 bytes"],
    );
  });

  test("normalizeBackendUrl", () => {
    assert.deepEqual(normalizeBackendUrl(" http://127.0.0.1:8765/ "), { url: "http://127.0.0.1:8765" });
    assert.deepEqual(normalizeBackendUrl("http://localhost:8765/api//"), { url: "http://localhost:8765/api" });
    assert.deepEqual(normalizeBackendUrl(""), { url: DEFAULTS.backendUrl });
    for (const bad of ["127.0.0.1:8765x", "ftp://127.0.0.1", "http://127.0.0.1:8765/?x=1", "nonsense"]) {
      assert.ok(normalizeBackendUrl(bad).error, bad);
    }
  });

  test("summaryRequestBody: settings, page overrides, empty fields left out", () => {
    const settings = { ...DEFAULTS };
    assert.deepEqual(summaryRequestBody("2106.09608", settings), {
      paper: "2106.09608",
      source: "full",
      language: "English",
      stream: true,
    });
    const custom = { ...DEFAULTS, template: "T {{ title }}", model: "smollm2-135m", source: "abstract" };
    assert.deepEqual(summaryRequestBody("2106.09608", custom, { type: "summarize", language: "中文" }), {
      paper: "2106.09608",
      source: "abstract",
      template: "T {{ title }}",
      language: "中文",
      model: "smollm2-135m",
      stream: true,
    });
    assert.equal(summaryRequestBody("x", { ...DEFAULTS, template: "   " }).template, undefined);
    assert.equal(summaryRequestBody("x", DEFAULTS, { refresh: true }).refresh, true);
    assert.equal(summaryRequestBody("x", DEFAULTS, { refresh: "yes" }).refresh, undefined);
  });

  test("the length setting becomes max_new_tokens; normal leaves it to the backend", () => {
    assert.deepEqual(LENGTHS, { short: 384, normal: null, long: 1536 });
    assert.equal(summaryRequestBody("x", { ...DEFAULTS, length: "short" }).max_new_tokens, 384);
    assert.equal(summaryRequestBody("x", { ...DEFAULTS, length: "long" }).max_new_tokens, 1536);
    assert.equal("max_new_tokens" in summaryRequestBody("x", { ...DEFAULTS, length: "normal" }), false);
  });

  test("saveSettings checks the quota before writing, and keeps the token local", async () => {
    const storage = fakeStorage();
    await saveSettings({ template: "hi", apiToken: "secret", unknown: 1 }, storage);
    assert.deepEqual(storage.sync.data, { template: "hi" });
    assert.deepEqual(storage.local.data, { apiToken: "secret" });
    await assert.rejects(saveSettings({ template: "x".repeat(9000) }, storage), (error) => {
      assert.ok(error instanceof QuotaError);
      assert.match(error.message, /^The template is 8\.8 KB, but Chrome keeps .* at most 8 KB for one setting: /);
      return true;
    });
    assert.deepEqual(storage.sync.data, { template: "hi" });
    assert.deepEqual(await loadSettings(storage), { ...DEFAULTS, template: "hi", apiToken: "secret" });
  });
});

function fakeArea() {
  return {
    data: {},
    QUOTA_BYTES_PER_ITEM: 8192,
    async get(keys) {
      return Object.fromEntries(keys.filter((key) => key in this.data).map((key) => [key, this.data[key]]));
    },
    async set(values) {
      Object.assign(this.data, values);
    },
  };
}

function fakeStorage() {
  const local = fakeArea();
  delete local.QUOTA_BYTES_PER_ITEM;
  return { sync: fakeArea(), local };
}

// --- lib/backend.js -----------------------------------------------------------------------------------------

const SETTINGS = { ...DEFAULTS, backendUrl: "http://127.0.0.1:8765" };

function sseResponse(chunks, init = {}) {
  return new Response(byteStream(chunks), {
    status: 200,
    headers: { "Content-Type": "text/event-stream; charset=utf-8" },
    ...init,
  });
}

async function collect(fetchImpl, options = {}) {
  const events = [];
  await streamSummary(SETTINGS, { paper: "2106.09608", stream: true }, {
    fetchImpl,
    onEvent: (type, data) => events.push([type, data]),
    ...options,
  });
  return events;
}

describe("streamSummary", () => {
  test("posts JSON and passes meta, deltas and done on", async () => {
    let seen;
    const events = await collect(async (url, init) => {
      seen = { url, init };
      return sseResponse([FRAMES.slice(0, 50), FRAMES.slice(50)]);
    });
    assert.equal(seen.url, "http://127.0.0.1:8765/v1/summaries");
    assert.equal(seen.init.method, "POST");
    assert.equal(seen.init.headers["Content-Type"], "application/json");
    assert.equal(seen.init.headers.Accept, "text/event-stream");
    assert.deepEqual(JSON.parse(seen.init.body), { paper: "2106.09608", stream: true });
    assert.deepEqual(
      events.map(([type]) => type),
      ["meta", "delta", "delta", "done"],
    );
    assert.equal(events[3][1].summary, "Hello wörld 🌍");
  });

  test("an unreachable backend says how to start it", async () => {
    await assert.rejects(
      collect(async () => {
        throw new TypeError("Failed to fetch");
      }),
      (error) => {
        assert.ok(error instanceof BackendError);
        assert.equal(error.code, "backend_unreachable");
        assert.equal(error.message, unreachableMessage("http://127.0.0.1:8765"));
        assert.match(error.message, /not running at http:\/\/127\.0\.0\.1:8765\. Start it with `arxivgpt serve`/);
        assert.equal(error.toJSON().command, "arxivgpt serve");
        return true;
      },
    );
  });

  test("HTTP errors carry the backend's message, code, line and Retry-After", async () => {
    const answer = (status, body, headers = {}) => async () =>
      new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
    await assert.rejects(
      collect(
        answer(422, {
          error: { code: "template_error", message: "template line 1: 'titel' is undefined", line: 1 },
        }),
      ),
      (error) => error.code === "template_error" && error.line === 1 && error.message.includes("'titel'"),
    );
    await assert.rejects(
      collect(answer(429, { error: { code: "queue_full", message: "busy" } }, { "Retry-After": "30" })),
      (error) => error.code === "queue_full" && error.retryAfter === 30 && error.status === 429,
    );
    await assert.rejects(
      collect(async () => new Response("<html>nope</html>", { status: 404, statusText: "Not Found" })),
      (error) => error.code === "http_error" && /HTTP 404 Not Found/.test(error.message),
    );
  });

  test("progress events are passed on between meta and the text", async () => {
    const progress = '{"stage":"writing","message":"writing part 2 of 5: Key insights","part":2,"parts":5}';
    const events = await collect(async () =>
      sseResponse([
        `event: meta\ndata: {}\n\nevent: progress\ndata: ${progress}\n\nevent: ping\ndata: {}\n\n`,
        'event: delta\ndata: {"text":"x"}\n\nevent: done\ndata: {"summary":"x"}\n\n',
      ]),
    );
    assert.deepEqual(
      events.map(([type]) => type),
      ["meta", "progress", "delta", "done"],
    );
    assert.deepEqual(events[1][1], JSON.parse(progress));
  });

  test("an unreachable backend elsewhere gives the command for that port", async () => {
    const settings = { ...SETTINGS, backendUrl: "http://localhost:9000" };
    const failing = async () => {
      throw new TypeError("Failed to fetch");
    };
    await assert.rejects(
      streamSummary(settings, { paper: "x" }, { fetchImpl: failing, onEvent: () => {} }),
      (error) => error.command === "arxivgpt serve --port 9000" && error.message.includes(error.command),
    );
  });

  test("an error event ends the stream", async () => {
    const events = await collect(async () =>
      sseResponse(['event: meta\ndata: {}\n\nevent: error\ndata: {"code":"model_error","message":"boom"}\n\n']),
    );
    assert.deepEqual(events, [
      ["meta", {}],
      ["error", { code: "model_error", message: "boom" }],
    ]);
  });

  test("a stream that ends without done is an error", async () => {
    await assert.rejects(
      collect(async () => sseResponse(['event: delta\ndata: {"text":"x"}\n\n'])),
      (error) => error.code === "incomplete",
    );
  });

  test("a 200 that is not an event stream", async () => {
    await assert.rejects(
      collect(async () => new Response("{}", { status: 200, headers: { "Content-Type": "application/json" } })),
      (error) => error.code === "not_arxivgpt",
    );
  });

  test("aborting mid-stream returns quietly, with no error event", async () => {
    const controller = new AbortController();
    const fetchImpl = async (url, init) =>
      new Response(
        new ReadableStream({
          start(stream) {
            stream.enqueue(new TextEncoder().encode('event: delta\ndata: {"text":"a"}\n\n'));
            // What fetch does when its signal aborts: the body errors with an AbortError.
            init.signal.addEventListener("abort", () => stream.error(new DOMException("aborted", "AbortError")));
          },
        }),
        { status: 200, headers: { "Content-Type": "text/event-stream" } },
      );
    const events = [];
    await streamSummary(SETTINGS, { paper: "x" }, {
      fetchImpl,
      signal: controller.signal,
      onEvent: (type) => {
        events.push(type);
        controller.abort();
      },
    });
    assert.deepEqual(events, ["delta"]);
  });

  test("aborting before the answer returns quietly", async () => {
    const controller = new AbortController();
    controller.abort();
    const events = await collect(
      async (url, init) => {
        init.signal.throwIfAborted();
        return sseResponse([FRAMES]);
      },
      { signal: controller.signal },
    );
    assert.deepEqual(events, []);
  });

  test("the API token goes in the Authorization header", async () => {
    let headers;
    await requestJson({ ...SETTINGS, apiToken: "s3cret" }, "/v1/models", {
      fetchImpl: async (url, init) => {
        headers = init.headers;
        return new Response('{"model":"m"}', { status: 200 });
      },
    });
    assert.equal(headers.Authorization, "Bearer s3cret");
    assert.equal(headers["Content-Type"], undefined);
  });
});
