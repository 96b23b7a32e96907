// The side panel: the summary UI for the paper of the active tab (abs, pdf or html page on arxiv.org), or for a
// paper handed over by a listing page's [summarize] link (the service worker stores it as {pendingPaper} in
// chrome.storage.session and opens this panel).
//
// `sidepanel.html?paper=<id>` pins the panel to one paper (handy when the page is opened in a tab, as tests do).
// Reading the active tab's URL needs no "tabs" permission: host permissions for arxiv.org expose the URL of
// arxiv.org tabs, which are the only ones with a paper.

import { formatId, paperIdFromUrl, parseArxivId } from "../lib/ids.js";
import { createSummaryPanel } from "../lib/render.js";

const PENDING_TTL_MS = 5 * 60 * 1000;

const paperLine = document.querySelector('[data-arxivgpt="paper"]');
const summarizeButton = document.querySelector('[data-arxivgpt="summarize"]');
const slot = document.getElementById("panel-slot");

let windowId = null;
let current = null; // the paper the Summarize button summarises
let panel = null;
const taken = new Set(); // pendingPaper hand-overs already used (by their timestamp)

function showPaper(paper) {
  current = paper;
  summarizeButton.disabled = !paper;
  paperLine.textContent = paper
    ? `arXiv:${paper}`
    : "Open an arXiv paper (its abstract, PDF or HTML page) in this tab to summarise it here.";
}

function summarize(paper) {
  panel?.stop();
  panel = createSummaryPanel({ doc: document, paper, onClose: () => (panel = null) });
  slot.replaceChildren(panel.element);
  panel.start();
}

async function paperOfActiveTab() {
  const [tab] = await chrome.tabs.query({ active: true, windowId: windowId ?? chrome.windows.WINDOW_ID_CURRENT });
  const found = tab?.url ? paperIdFromUrl(tab.url) : null;
  return found ? formatId(found) : null;
}

function takePending(pending) {
  if (!pending || taken.has(pending.at)) return false;
  if (windowId !== null && pending.windowId !== undefined && pending.windowId !== windowId) return false;
  taken.add(pending.at);
  chrome.storage.session.remove("pendingPaper").catch(() => {});
  const found = parseArxivId(pending.paper);
  if (!found || Date.now() - pending.at > PENDING_TTL_MS) return false;
  const paper = formatId(found);
  showPaper(paper);
  summarize(paper); // the user asked for it with the [summarize] link
  return true;
}

async function followActiveTab() {
  showPaper(await paperOfActiveTab());
  chrome.tabs.onActivated.addListener(async (info) => {
    if (info.windowId === windowId) showPaper(await paperOfActiveTab());
  });
  chrome.tabs.onUpdated.addListener(async (tabId, change, tab) => {
    if (tab.active && tab.windowId === windowId && (change.url || change.status === "complete")) {
      showPaper(await paperOfActiveTab());
    }
  });
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === "session" && changes.pendingPaper?.newValue) takePending(changes.pendingPaper.newValue);
  });
  const { pendingPaper } = await chrome.storage.session.get("pendingPaper");
  takePending(pendingPaper);
}

async function main() {
  summarizeButton.addEventListener("click", () => current && summarize(current));
  document.querySelector('[data-arxivgpt="options-link"]').addEventListener("click", (event) => {
    event.preventDefault();
    chrome.runtime.openOptionsPage();
  });
  const pinned = new URLSearchParams(location.search).get("paper");
  if (pinned) {
    const found = parseArxivId(pinned);
    showPaper(found ? formatId(found) : null);
    return;
  }
  windowId = (await chrome.windows.getCurrent()).id;
  await followActiveTab();
}

main().catch((error) => {
  console.error("ArxivGPT:", error);
  paperLine.textContent = `The side panel failed to start: ${error.message}`;
});
