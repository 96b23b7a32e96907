// The side panel: always the paper of the active tab (its abs, PDF or HTML page on arxiv.org), or the paper a
// listing link, the context menu or the keyboard shortcut handed to that tab (the service worker stores it as
// {pendingPaper} in chrome.storage.session and opens this panel).
//
// One panel per paper, kept while this side panel is open: switching tabs swaps which one is shown, so a
// paper's running stream goes on out of sight and its text never appears under another paper. A paper seen for
// the first time shows its last summary if the service worker kept one (`result:<paper>`), else a clean
// "Summarize this paper".
//
// `sidepanel.html?paper=<id>` pins the panel to one paper (handy when the page is opened in a tab, as tests do).
// Reading the active tab's URL needs no "tabs" permission: host permissions for arxiv.org expose the URL of
// arxiv.org tabs, which are the only ones with a paper.

import { formatId, paperIdFromUrl, parseArxivId } from "../lib/ids.js";
import { createSummaryPanel, el } from "../lib/render.js";

const PENDING_TTL_MS = 5 * 60 * 1000;

const paperLine = document.querySelector('[data-arxivgpt="paper"]');
const slot = document.getElementById("panel-slot");

const panels = new Map(); // paper -> its panel
const handedOver = new Map(); // tabId -> the paper handed to that tab (its own URL may show none)
const taken = new Set(); // pendingPaper hand-overs already used (by their timestamp)
let windowId = null;
let shown; // the paper on screen (null: none)
let asked = 0; // the latest look at the active tab; older answers are ignored

function panelFor(paper) {
  let panel = panels.get(paper);
  if (panel) return panel;
  // An extension page: no page script can click here, so any click (even a test's DOM event) counts.
  panel = createSummaryPanel({ doc: document, paper, closable: false, trustedOnly: false });
  panels.set(paper, panel);
  chrome.storage.session.get(`result:${paper}`).then((stored) => {
    const kept = stored[`result:${paper}`];
    if (kept?.done && panel.state === "idle") panel.show(kept.done, { request: { source: kept.source } });
  });
  return panel;
}

function show(paper) {
  if (paper === shown) return panels.get(paper);
  shown = paper;
  if (!paper) {
    paperLine.textContent = "";
    const hint = el(
      document,
      "p",
      { class: "sp-empty", "data-arxivgpt": "empty" },
      "Open an arXiv paper (its abstract, PDF or HTML page) in this tab to summarise it here.",
    );
    slot.replaceChildren(hint);
    return null;
  }
  const link = el(
    document,
    "a",
    { href: `https://arxiv.org/abs/${paper}`, target: "_blank" },
    `arXiv:${paper}`,
  );
  paperLine.replaceChildren(link);
  const panel = panelFor(paper);
  slot.replaceChildren(panel.element);
  return panel;
}

async function showActiveTab() {
  const mine = ++asked;
  const [tab] = await chrome.tabs.query({
    active: true,
    windowId: windowId ?? chrome.windows.WINDOW_ID_CURRENT,
  });
  if (mine !== asked) return; // the user has moved on; a newer look decides
  const found = tab?.url ? paperIdFromUrl(tab.url) : null;
  show(handedOver.get(tab?.id) ?? (found ? formatId(found) : null));
}

function takePending(pending) {
  if (!pending || taken.has(pending.at)) return;
  if (windowId !== null && pending.windowId !== undefined && pending.windowId !== windowId) return;
  taken.add(pending.at);
  chrome.storage.session.remove("pendingPaper").catch(() => {});
  const found = parseArxivId(pending.paper);
  if (!found || Date.now() - pending.at > PENDING_TTL_MS) return;
  const paper = formatId(found);
  if (pending.tabId !== undefined) handedOver.set(pending.tabId, paper);
  asked += 1; // this hand-over wins over a look at the tab still under way
  const panel = show(paper);
  if (panel && (panel.state === "idle" || panel.state === "error")) panel.start(); // the user asked for it
}

async function followActiveTab() {
  chrome.tabs.onActivated.addListener((info) => {
    if (info.windowId === windowId) showActiveTab();
  });
  chrome.tabs.onUpdated.addListener((tabId, change, tab) => {
    if (change.url) handedOver.delete(tabId); // the tab moved on from the paper it was handed
    if (tab.active && tab.windowId === windowId && (change.url || change.status === "complete"))
      showActiveTab();
  });
  chrome.tabs.onRemoved.addListener((tabId) => handedOver.delete(tabId));
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === "session" && changes.pendingPaper?.newValue) takePending(changes.pendingPaper.newValue);
  });
  const { pendingPaper } = await chrome.storage.session.get("pendingPaper");
  if (pendingPaper) takePending(pendingPaper);
  if (shown === undefined) await showActiveTab();
}

async function main() {
  document.querySelector('[data-arxivgpt="options-link"]').addEventListener("click", (event) => {
    event.preventDefault();
    chrome.runtime.openOptionsPage();
  });
  const pinned = new URLSearchParams(location.search).get("paper");
  if (pinned) {
    const found = parseArxivId(pinned);
    show(found ? formatId(found) : null);
    return;
  }
  windowId = (await chrome.windows.getCurrent()).id;
  await followActiveTab();
}

main().catch((error) => {
  console.error("ArxivGPT:", error);
  paperLine.textContent = `The side panel failed to start: ${error.message}`;
});
