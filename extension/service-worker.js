// The service worker: the only part of the extension that talks to the backend.
//
// Port "summarize" (abs page panel, side panel):
//   page -> worker   {type: "summarize", paper, source?, template?, language?, model?, refresh?}
//   worker -> page   {type: "request", source, length, backendUrl}   what is asked, before anything else
//                    {type: "meta", paper, model, source, cached}
//                    {type: "progress", stage, message, part?, parts?, tokens?}   (any number)
//                    {type: "delta", text}                       (one per piece of text)
//                    {type: "done", summary, html, references, usage, timings, strategy, cached, model, ...}
//                    {type: "error", code, message, status?, line?, retryAfter?, command?}
//   Disconnecting the port (panel closed or stopped, tab closed) aborts the fetch, which stops the model on
//   the backend. Every `done` is also kept in chrome.storage.session as `result:<paper>` (its summary and
//   what describes it), so that the side panel shows a paper's last summary when it comes back to it.
//
// Port "ask" (the "Ask about this paper" box under a summary), the same way:
//   page -> worker   {type: "ask", paper, question, conversationId?, summary?, source?}
//   worker -> page   {type: "request", source, backendUrl}, {type: "meta", ...}, {type: "delta", text}...,
//                    then {type: "done", answer, html, citations, conversation_id, ...} or {type: "error", ...}
//   The backend keeps the conversation (POST /v1/questions); nothing is kept here.
//
// One-shot messages (chrome.runtime.sendMessage), each answered {ok: true, ...} or
// {ok: false, error: {code, message, line?}}:
//   {type: "defaultTemplate"}                        -> {ok, template, variables}   GET /v1/prompts/default
//   {type: "checkTemplate", template, language?}     -> {ok, parts}                 POST /v1/prompts/check
//   {type: "render", template, paper, source?, language?} -> {ok, prompt}           POST /v1/prompts/render
//   {type: "models"}                                 -> {ok, model, configured, context_length, presets}
//   {type: "health"}                                 -> {ok, status, model}         GET /healthz
//   {type: "openOptions", section?}                  -> {ok}  the options page, at `section`
//   {type: "latestConversation", paper}              -> {ok, conversation: {...turns} | null}  the paper's
//                                                       newest conversation (GET /v1/papers/{id}/conversations,
//                                                       then GET /v1/conversations/{id})
//   {type: "openPassage", url}                       -> {ok, how: "scrolled" | "opened"}  a tab of this window
//                                                       that shows that page goes to the passage (and to the
//                                                       front); else it opens in a new tab
//   {type: "openSidePanel", paper}  (from a tab)     -> {ok}  opens the side panel on that tab for `paper`,
//                                                       handing it over as {pendingPaper} in storage.session
//
// Also: the toolbar icon, the keyboard shortcut (`commands`: "summarize") and the context-menu item on arXiv
// links open the side panel on the current tab, the last two for a paper.

import { isPassageAddress, latestConversation, sameDocument } from "./lib/ask.js";
import { BackendError, requestJson, streamAnswer, streamSummary } from "./lib/backend.js";
import { formatId, paperIdFromUrl, parseArxivId } from "./lib/ids.js";
import { loadSettings, questionRequestBody, summaryRequestBody } from "./lib/settings.js";

const MENU_ID = "arxivgpt-summarize-link";
const ARXIV_LINKS = ["abs", "pdf", "html"].flatMap((kind) =>
  ["https://arxiv.org", "https://www.arxiv.org"].map((site) => `${site}/${kind}/*`),
);
const KEPT_RESULTS = 30; // summaries kept for the side panel (storage.session holds 10 MB)

// The toolbar icon opens the side panel (for the active tab's paper).
chrome.sidePanel
  .setPanelBehavior({ openPanelOnActionClick: true })
  .catch((error) => console.warn("ArxivGPT: cannot set the side panel behaviour:", error));

chrome.runtime.onInstalled.addListener(() => {
  chrome.contextMenus.create(
    { id: MENU_ID, title: "Summarize with ArxivGPT", contexts: ["link"], targetUrlPatterns: ARXIV_LINKS },
    () => void chrome.runtime.lastError, // already there after an update: nothing to do
  );
});

chrome.contextMenus.onClicked.addListener((info, tab) => {
  if (info.menuItemId !== MENU_ID) return;
  const paper = parseArxivId(info.linkUrl ?? "");
  if (tab?.id !== undefined && paper) openSidePanelFor(tab, formatId(paper));
});

chrome.commands.onCommand.addListener((command, tab) => {
  if (command !== "summarize" || tab?.id === undefined) return;
  const paper = tab.url ? paperIdFromUrl(tab.url) : null;
  openSidePanelFor(tab, paper ? formatId(paper) : null);
});

// --- streaming summaries and answers over a Port -------------------------------------------------------------

const STREAMS = {
  summarize: {
    body: (paper, settings, message) => summaryRequestBody(paper, settings, message),
    stream: streamSummary,
    kept: (paper, done, body) => keepResult(paper, done, body.source),
  },
  ask: {
    body: (paper, settings, message) => questionRequestBody(paper, settings, message),
    stream: streamAnswer,
    kept: () => {}, // the backend keeps the conversation
  },
};

chrome.runtime.onConnect.addListener((port) => {
  if (!Object.hasOwn(STREAMS, port.name)) return;
  const kind = STREAMS[port.name];
  let controller = null;
  port.onDisconnect.addListener(() => controller?.abort());
  port.onMessage.addListener((message) => {
    if (message?.type !== port.name) return;
    controller?.abort(); // one stream per port: a new request replaces the running one
    controller = new AbortController();
    relay(port, kind, message, controller).catch((error) => console.error("ArxivGPT:", error));
  });
});

/** Post the request the page asked for and pass every event of its stream on to the page. */
async function relay(port, kind, message, controller) {
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
  const body = kind.body(formatId(paper), settings, message);
  post({ type: "request", source: body.source, length: settings.length, backendUrl: settings.backendUrl });
  await whileAlive(
    kind
      .stream(settings, body, {
        signal: controller.signal,
        onEvent: (type, data) => {
          post({ ...data, type });
          if (type === "done") kind.kept(formatId(paper), data, body);
        },
      })
      .catch((error) => post({ type: "error", ...describe(error) })),
  );
}

/** The last summary of `paper`, for the side panel: what it shows, not the parts' data. */
function keepResult(paper, done, source) {
  const { summary, html, paper: info, model, strategy, timings, finish_reason, language_note } = done;
  const kept = { summary, html, paper: info, model, strategy, timings, finish_reason, language_note };
  kept.unknown_citations = done.unknown_citations;
  const key = `result:${paper}`;
  chrome.storage.session
    .get("resultOrder")
    .then(({ resultOrder = [] }) => {
      const order = [...resultOrder.filter((k) => k !== key), key];
      const dropped = order.splice(0, Math.max(0, order.length - KEPT_RESULTS));
      return Promise.all([
        chrome.storage.session.set({ [key]: { done: kept, source, at: Date.now() }, resultOrder: order }),
        dropped.length ? chrome.storage.session.remove(dropped) : null,
      ]);
    })
    .catch((error) => console.warn("ArxivGPT: could not keep the summary:", error));
}

// --- one-shot messages --------------------------------------------------------------------------------------

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (message?.type === "openSidePanel") {
    // sidePanel.open must be called in the same turn as the user's click, before anything is awaited.
    const paper = parseArxivId(message.paper);
    if (!sender.tab || sender.tab.id === undefined || !paper) {
      const error = { code: "invalid_input", message: "No paper or tab to open the side panel for." };
      sendResponse({ ok: false, error });
      return false;
    }
    openSidePanelFor(sender.tab, formatId(paper)).then(sendResponse);
    return true;
  }
  const type = message?.type;
  if (typeof type !== "string" || !Object.hasOwn(HANDLERS, type)) return false; // not "toString" and the like
  const handler = HANDLERS[type];
  handler(message, sender)
    .then((answer) => sendResponse({ ok: true, ...answer }))
    .catch((error) => sendResponse({ ok: false, error: describe(error) }));
  return true; // the answer comes asynchronously
});

const HANDLERS = {
  async defaultTemplate() {
    return requestJson(await loadSettings(), "/v1/prompts/default");
  },
  async checkTemplate(message) {
    const settings = await loadSettings();
    const body = { template: String(message.template ?? "") };
    const language = message.language || settings.language;
    if (language) body.language = language;
    return requestJson(settings, "/v1/prompts/check", { method: "POST", body });
  },
  async render(message) {
    const settings = await loadSettings();
    const body = { template: String(message.template ?? ""), paper: String(message.paper ?? "") };
    body.source =
      message.source === "abstract" || message.source === "full" ? message.source : settings.source;
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
  async latestConversation(message) {
    const paper = parseArxivId(message.paper);
    if (!paper) throw new BackendError("invalid_input", `"${message.paper}" is not an arXiv ID or URL.`);
    const settings = await loadSettings();
    const path = formatId(paper).split("/").map(encodeURIComponent).join("/");
    const latest = latestConversation(await requestJson(settings, `/v1/papers/${path}/conversations`));
    if (!latest) return { conversation: null };
    const id = encodeURIComponent(latest.id);
    return { conversation: await requestJson(settings, `/v1/conversations/${id}`) };
  },
  async openPassage(message, sender) {
    return { how: await openPassage(String(message.url ?? ""), sender, message.windowId) };
  },
  async openOptions(message) {
    const section = /^[a-z]+$/.test(message.section ?? "") ? `#${message.section}` : "";
    await chrome.tabs.create({ url: chrome.runtime.getURL(`options.html${section}`) });
    return {};
  },
};

/**
 * Open the side panel on `tab`, for `paper` (or for whatever the tab shows when null). Call it in the turn of
 * the user's gesture: Chrome opens a side panel only then.
 */
function openSidePanelFor(tab, paper) {
  let opened;
  try {
    opened = chrome.sidePanel.open({ tabId: tab.id });
  } catch (error) {
    opened = Promise.reject(error);
  }
  // The panel reads this when it starts, or sees it change if it was open already.
  const pendingPaper = paper ? { paper, tabId: tab.id, windowId: tab.windowId, at: Date.now() } : null;
  const stored = pendingPaper ? chrome.storage.session.set({ pendingPaper }) : null;
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

/**
 * Show a passage of a paper's HTML page (`url`, with the passage's anchor): a tab of the window the click came
 * from that shows that page goes to the anchor (a same-document navigation: it scrolls, it does not reload)
 * and comes to the front ("scrolled"); if there is none, the page opens in a new tab beside the sender's
 * ("opened"). The tabs' URLs are visible for arXiv and the loopback hosts only (host permissions), the pages
 * a passage can be on.
 */
async function openPassage(url, sender, windowIdHint) {
  if (!isPassageAddress(url)) {
    throw new BackendError("invalid_input", `"${url}" is not the address of a passage on arXiv.`);
  }
  const parsed = new URL(url);
  const windowId = sender.tab?.windowId ?? (await senderWindow(windowIdHint));
  const tabs = await chrome.tabs.query({ windowId });
  const showing = tabs.filter((tab) => tab.url && sameDocument(tab.url, parsed.href));
  const target = showing.find((tab) => tab.active) ?? showing[0];
  if (target) {
    await chrome.tabs.update(target.id, { url: parsed.href, active: true });
    return "scrolled";
  }
  const beside = sender.tab ? { index: sender.tab.index + 1, openerTabId: sender.tab.id } : {};
  await chrome.tabs.create({ url: parsed.href, windowId, ...beside });
  return "opened";
}

/** The window a side panel (which has no tab) said it is in, if there is one; else the last focused. */
async function senderWindow(hint) {
  if (Number.isInteger(hint)) {
    const found = await chrome.windows.get(hint).catch(() => null);
    if (found) return found.id;
  }
  return (await chrome.windows.getLastFocused()).id;
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
