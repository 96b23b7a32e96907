// The service worker: the only part of the extension that talks to the backend.
//
// Port "summarize" (abs page panel, side panel):
//   page -> worker   {type: "summarize", paper, source?, template?, language?, model?, refresh?}
//   worker -> page   {type: "meta", paper, model, source, cached}
//                    {type: "delta", text}                       (one per piece of text)
//                    {type: "done", summary, html, references, usage, timings, strategy, cached, model, ...}
//                    {type: "error", code, message, status?, line?, retryAfter?}
//   Disconnecting the port (panel closed, tab closed) aborts the fetch, which stops the model on the backend.
//
// One-shot messages (chrome.runtime.sendMessage), each answered {ok: true, ...} or
// {ok: false, error: {code, message, line?}}:
//   {type: "defaultTemplate"}                        -> {ok, template, variables}   GET /v1/prompts/default
//   {type: "render", template, paper, source?, language?} -> {ok, prompt}           POST /v1/prompts/render
//   {type: "models"}                                 -> {ok, model, configured, context_length, presets}
//   {type: "health"}                                 -> {ok, status, model}         GET /healthz
//   {type: "openSidePanel", paper}  (from a tab)     -> {ok}  opens the side panel on that tab for `paper`,
//                                                       handing it over as {pendingPaper} in storage.session

import { BackendError, requestJson, streamSummary } from "./lib/backend.js";
import { parseArxivId, formatId } from "./lib/ids.js";
import { loadSettings, summaryRequestBody } from "./lib/settings.js";

// The toolbar icon opens the side panel (for the active tab's paper).
chrome.sidePanel
  .setPanelBehavior({ openPanelOnActionClick: true })
  .catch((error) => console.warn("ArxivGPT: cannot set the side panel behaviour:", error));

// --- streaming summaries over a Port -------------------------------------------------------------------------

chrome.runtime.onConnect.addListener((port) => {
  if (port.name !== "summarize") return;
  let controller = null;
  port.onDisconnect.addListener(() => controller?.abort());
  port.onMessage.addListener((message) => {
    if (message?.type !== "summarize") return;
    controller?.abort(); // one summary per port: a new request replaces the running one
    controller = new AbortController();
    summarize(port, message, controller).catch((error) => console.error("ArxivGPT:", error));
  });
});

async function summarize(port, message, controller) {
  const post = (payload) => {
    if (controller.signal.aborted) return;
    try {
      port.postMessage(payload);
    } catch {
      controller.abort(); // the page is gone
    }
  };
  const paper = parseArxivId(message.paper);
  if (!paper) {
    post({ type: "error", code: "invalid_input", message: `"${message.paper}" is not an arXiv ID or URL.` });
    return;
  }
  const settings = await loadSettings();
  const body = summaryRequestBody(formatId(paper), settings, message);
  await whileAlive(
    streamSummary(settings, body, {
      signal: controller.signal,
      onEvent: (type, data) => post({ ...data, type }),
    }).catch((error) => post({ type: "error", ...describe(error) })),
  );
}

// --- one-shot messages --------------------------------------------------------------------------------------

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (message?.type === "openSidePanel") {
    // sidePanel.open must be called in the same turn as the user's click, before anything is awaited.
    openSidePanel(message, sender).then(sendResponse);
    return true;
  }
  const handler = HANDLERS[message?.type];
  if (!handler) return false;
  handler(message)
    .then((answer) => sendResponse({ ok: true, ...answer }))
    .catch((error) => sendResponse({ ok: false, error: describe(error) }));
  return true; // the answer comes asynchronously
});

const HANDLERS = {
  async defaultTemplate() {
    return requestJson(await loadSettings(), "/v1/prompts/default");
  },
  async render(message) {
    const settings = await loadSettings();
    const body = { template: String(message.template ?? ""), paper: String(message.paper ?? "") };
    body.source = message.source === "abstract" || message.source === "full" ? message.source : settings.source;
    const language = message.language || settings.language;
    if (language) body.language = language;
    return requestJson(settings, "/v1/prompts/render", { method: "POST", body });
  },
  async models() {
    return requestJson(await loadSettings(), "/v1/models");
  },
  async health() {
    return requestJson(await loadSettings(), "/healthz");
  },
};

function openSidePanel(message, sender) {
  const tab = sender.tab;
  const paper = parseArxivId(message.paper);
  if (!tab || tab.id === undefined || !paper) {
    const error = { code: "invalid_input", message: "No paper or tab to open the side panel for." };
    return Promise.resolve({ ok: false, error });
  }
  let opened;
  try {
    opened = chrome.sidePanel.open({ tabId: tab.id });
  } catch (error) {
    opened = Promise.reject(error);
  }
  // The panel reads this when it starts, or sees it change if it was open already.
  const pendingPaper = { paper: formatId(paper), tabId: tab.id, windowId: tab.windowId, at: Date.now() };
  const stored = chrome.storage.session.set({ pendingPaper });
  return Promise.all([opened, stored]).then(
    () => ({ ok: true }),
    (error) => ({
      ok: false,
      error: {
        code: "side_panel",
        message:
          `Chrome did not open the side panel (${error?.message ?? error}); ` +
          "click the ArxivGPT toolbar icon to open it.",
      },
    }),
  );
}

function describe(error) {
  if (error instanceof BackendError) return error.toJSON();
  return { code: "extension_error", message: `The extension failed: ${error?.message ?? error}` };
}

// --- staying alive -------------------------------------------------------------------------------------------
// Chrome stops an idle service worker after 30 s. A summary can wait longer than that for its first token (the
// paper is fetched, a CPU model reads a long prompt), so while one runs an extension API call every 25 s keeps
// the worker (and with it the fetch and the port) alive.

let running = 0;
let keepAlive = null;

async function whileAlive(promise) {
  running += 1;
  keepAlive ??= setInterval(() => chrome.runtime.getPlatformInfo(), 25_000);
  try {
    return await promise;
  } finally {
    running -= 1;
    if (running === 0) {
      clearInterval(keepAlive);
      keepAlive = null;
    }
  }
}
